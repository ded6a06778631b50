package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/tsdb"
)

// SeriesReader reads graph series from VictoriaMetrics.
type SeriesReader interface {
	Series(ctx context.Context, q tsdb.SeriesQuery) (tsdb.SeriesResult, error)
}

var _ SeriesReader = (*tsdb.Querier)(nil)

// deviceSeries serves ?metric=rtt|loss|jitter|in_bps|out_bps|cpu|mem&range=1h|6h|24h|7d|30d
// [&interface=ifName]: bad input 400, VictoriaMetrics failures 502.
func (s *Server) deviceSeries(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.checkDevice(c, id); err != nil {
		return err
	}
	if s.p.Series == nil {
		return &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "no time-series database configured"}
	}
	ctx := c.Request().Context()
	if _, err := s.p.Store.GetDevice(ctx, id); err != nil {
		return storeError(err, "device", id)
	}
	q := tsdb.SeriesQuery{DeviceID: id, Metric: c.QueryParam("metric"), Range: c.QueryParam("range"), Interface: c.QueryParam("interface")}
	if q.Range == "" {
		q.Range = "1h"
	}
	res, err := s.p.Series.Series(ctx, q)
	var ve *tsdb.ValidationError
	switch {
	case errors.As(err, &ve):
		return badRequest(ve.Field, "%s", ve.Message)
	case errors.Is(err, tsdb.ErrUpstream):
		return &Error{Status: http.StatusBadGateway, Code: "upstream", Message: "VictoriaMetrics: " + err.Error()}
	case err != nil:
		return err
	}
	return c.JSON(http.StatusOK, res)
}
