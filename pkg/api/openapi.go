package api

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v5"
)

// OpenAPI is the OpenAPI 3 document of the REST API.
//
//go:embed openapi.yaml
var OpenAPI []byte

func (s *Server) openAPI(c *echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", OpenAPI)
}
