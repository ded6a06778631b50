package api

import (
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/configfile"
	"github.com/wardops/wardops/pkg/httpsec"
)

// configApplyPath takes a configuration file, which may be larger than a JSON body.
const configApplyPath = "/api/v1/config/apply"

// configRoutes serve configuration as code (docs/CONFIG.md): the file's schema to viewers
// (editors fetch it), export and apply to admins only (users' roles are in it).
func (s *Server) configRoutes() {
	g := s.V1
	g.GET("/config/schema.json", s.configSchema, s.viewer())
	if s.p.Config == nil {
		return
	}
	g.GET("/config", s.exportConfig, s.admin())
	g.POST("/config/apply", s.applyConfig, s.admin())
}

func (s *Server) configSchema(c *echo.Context) error {
	return c.Blob(http.StatusOK, "application/schema+json", configfile.Schema())
}

func (s *Server) exportConfig(c *echo.Context) error {
	b, err := s.p.Config.Export(c.Request().Context())
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="wardops.yaml"`)
	return c.Blob(http.StatusOK, "application/yaml; charset=utf-8", b)
}

// configErrorBody is a refused file: the first problem as the API's one error shape, and
// every problem with its line.
type configErrorBody struct {
	Error  httpsec.BodyError   `json:"error"`
	Errors []*configfile.Error `json:"errors"`
}

// applyConfig applies the YAML body (?dry_run=1: check and diff only; ?prune=1: delete what the
// file leaves out) and answers the diff; a refused file is 400 with every error and its line.
func (s *Server) applyConfig(c *echo.Context) error {
	dry, err := queryFlag(c, "dry_run")
	if err != nil {
		return err
	}
	prune, err := queryFlag(c, "prune")
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, configfile.MaxFileSize+1))
	if err != nil {
		return badRequest("", "read the configuration file: %v", err)
	}
	ctx := c.Request().Context()
	name := "wardops.yaml"
	if n := c.QueryParam("file"); n != "" && len(n) <= 200 {
		name = n
	}
	doc, err := configfile.Parse(name, body)
	var res *configfile.Result
	if err == nil {
		res, err = s.p.Config.Apply(ctx, doc, configfile.Options{DryRun: dry, Prune: prune})
	}
	var es configfile.Errors
	if errors.As(err, &es) {
		first := es[0]
		return c.JSON(http.StatusBadRequest, configErrorBody{Errors: es,
			Error: httpsec.BodyError{Code: "invalid_config", Message: first.Error(), Field: first.Field}})
	}
	if err != nil {
		return err
	}
	if !dry && len(res.Changes) > 0 {
		s.invalidateProfiles(ctx)
	}
	return c.JSON(http.StatusOK, res)
}

// queryFlag reads a boolean query parameter: absent, 0/false or 1/true.
func queryFlag(c *echo.Context, name string) (bool, error) {
	switch c.QueryParam(name) {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	}
	return false, badRequest(name, "%s must be 1 or 0", name)
}
