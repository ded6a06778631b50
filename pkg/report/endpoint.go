package report

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/httpsec"
	"github.com/wardops/wardops/pkg/store"
)

// ScopeFunc returns the device scope of a request's caller (an error answers the request).
type ScopeFunc func(c *echo.Context) (store.DeviceScope, error)

// Endpoint serves GET …/reports/availability?range=1d|7d|30d (default 7d) as JSON, or with
// format=csv one table (table=devices|branches|outages, default devices) as a CSV download,
// over the devices of the caller's scope (scope nil: every device). now is the clock (nil:
// time.Now).
func Endpoint(src Source, now func() time.Time, logger *slog.Logger, scope ScopeFunc) echo.HandlerFunc {
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return func(c *echo.Context) error {
		rng := c.QueryParam("range")
		if rng == "" {
			rng = "7d"
		}
		format, table := c.QueryParam("format"), c.QueryParam("table")
		if format != "" && format != "json" && format != "csv" {
			return httpsec.NewError(http.StatusBadRequest, "invalid_format", "format must be json or csv", "format")
		}
		if table == "" {
			table = TableDevices
		}
		var sc store.DeviceScope
		if scope != nil {
			var err error
			if sc, err = scope(c); err != nil {
				return err
			}
		}
		r, err := Build(c.Request().Context(), src, rng, now(), sc)
		if errors.Is(err, ErrRange) {
			return httpsec.NewError(http.StatusBadRequest, "invalid_range", ErrRange.Error(), "range")
		}
		if err != nil {
			logger.ErrorContext(c.Request().Context(), "availability report failed", "range", rng, "err", err)
			return httpsec.NewError(http.StatusInternalServerError, "internal", "internal error; see the API log", "")
		}
		c.Response().Header().Set("Cache-Control", "no-store")
		if format != "csv" {
			return c.JSON(http.StatusOK, r)
		}
		var b bytes.Buffer
		if err := r.WriteCSV(&b, table); errors.Is(err, ErrTable) {
			return httpsec.NewError(http.StatusBadRequest, "invalid_table", ErrTable.Error(), "table")
		} else if err != nil {
			return err
		}
		c.Response().Header().Set("Content-Disposition", `attachment; filename="availability-`+table+`-`+rng+`.csv"`)
		return c.Blob(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
	}
}
