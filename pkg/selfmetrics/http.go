package selfmetrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v5"
)

// EchoMiddleware measures every request by route template (c.Path(), e.g.
// /api/v1/devices/:id; "unmatched" when no route matched), method and status code:
// wardops_http_request_duration_seconds (histogram).
func (r *Registry) EchoMiddleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			start := time.Now()
			err := next(c)
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			_, status := echo.ResolveResponseStatus(c.Response(), err)
			r.set.GetOrCreatePrometheusHistogramExt(name("wardops_http_request_duration_seconds",
				"route", route, "method", method(c.Request().Method), "code", strconv.Itoa(status)), httpBuckets).UpdateDuration(start)
			return err
		}
	}
}

// method keeps the label's values to the standard methods.
func method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}
