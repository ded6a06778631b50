package api

import (
	"net/http"

	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/health"
)

// health answers the SPEC's health document: 503 when any component is critical.
func (s *Server) health(c *echo.Context) error {
	rep := s.p.Health.Run(c.Request().Context())
	code := http.StatusOK
	if rep.Status == health.Critical {
		code = http.StatusServiceUnavailable
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(code, rep)
}
