package audit

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/labstack/echo/v5"
)

type markKey struct{}

// recordMark notes that a request's handler recorded its own audit entry.
type recordMark struct{ done atomic.Bool }

func markRecorded(ctx context.Context) {
	if m, ok := ctx.Value(markKey{}).(*recordMark); ok {
		m.done.Store(true)
	}
}

// Middleware records every successful write (any method but GET, HEAD, OPTIONS) whose handler
// did not call Record itself, as action "http.<METHOD> <route>" with the path parameters and
// the status; so a handler that forgets its audit entry still leaves a trace. Mount it after
// the authentication middleware, so the actor is known.
func (r *Recorder) Middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		mark := &recordMark{}
		req := c.Request()
		c.SetRequest(req.WithContext(context.WithValue(req.Context(), markKey{}, mark)))
		err := next(c)
		status := responseStatus(c)
		if err != nil || status >= 400 || mark.done.Load() {
			return err
		}
		r.recordGeneric(c, status)
		return nil
	}
}

func (r *Recorder) recordGeneric(c *echo.Context, status int) {
	ri := c.RouteInfo()
	params := map[string]string{}
	var ids []string
	for _, pv := range c.PathValues() {
		params[pv.Name] = pv.Value
		ids = append(ids, pv.Value)
	}
	_ = r.Record(c.Request().Context(), Entry{
		Action:     "http." + c.Request().Method + " " + ri.Path,
		TargetType: "route",
		TargetID:   strings.Join(ids, "/"),
		Detail:     map[string]any{"path": c.Request().URL.Path, "params": params, "status": status},
	}) // Record logs its own failure
}

func responseStatus(c *echo.Context) int {
	if resp, err := echo.UnwrapResponse(c.Response()); err == nil && resp.Status != 0 {
		return resp.Status
	}
	return http.StatusOK
}
