package httpsec

import (
	"net/http"

	"github.com/labstack/echo/v5"
)

// DefaultBodyLimit is the request body limit of every route without an override (1 MiB).
const DefaultBodyLimit = 1 << 20

// BodyLimit caps request bodies at limit bytes (DefaultBodyLimit when limit <= 0), or at
// perRoute[route path] for routes that need more (a CSV import: "/api/v1/devices/import").
// A declared Content-Length over the limit is refused at once with 413; a body that grows
// past it fails its read with *http.MaxBytesError, which DecodeJSON turns into 413 too.
func BodyLimit(limit int64, perRoute map[string]int64) echo.MiddlewareFunc {
	if limit <= 0 {
		limit = DefaultBodyLimit
	}
	routes := make(map[string]int64, len(perRoute))
	for k, v := range perRoute {
		routes[k] = v
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			n := limit
			if v, ok := routes[c.Path()]; ok {
				n = v
			}
			req := c.Request()
			if req.ContentLength > n {
				return NewError(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "request body is too large", "")
			}
			if req.Body != nil && req.Body != http.NoBody {
				req.Body = http.MaxBytesReader(c.Response(), req.Body, n)
			}
			return next(c)
		}
	}
}
