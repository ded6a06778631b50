package web_test

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/pkg/harness"
	"github.com/wardops/wardops/pkg/httpsec"
	"github.com/wardops/wardops/pkg/store"
)

// proposedAlertRoutes registers, for the browser tests, the alert routes the dashboard calls
// (static/js/alertsapi.js and docs/DASHBOARD.md) on the real alert store and service. They
// stand in until the API registers its own alert routes with the same contract; then the
// tests use those and this file goes.
func proposedAlertRoutes(sys *harness.System) func(*api.Server) {
	svc := alert.NewService(alert.ServiceParams{Acks: sys.Store, Enqueuer: sys.Client, Publisher: events.NewPublisher(sys.Redis), Logger: sys.Logger})
	return func(s *api.Server) {
		viewer, operator := s.Guard(auth.RoleViewer), s.Guard(auth.RoleOperator)
		s.V1.GET("/alerts", func(c *echo.Context) error {
			f := store.AlertFilter{State: c.QueryParam("state")}
			f.DeviceID, _ = strconv.ParseInt(c.QueryParam("device_id"), 10, 64)
			f.IncidentID, _ = strconv.ParseInt(c.QueryParam("incident_id"), 10, 64)
			f.Limit, _ = strconv.Atoi(c.QueryParam("limit"))
			list, _, err := sys.Store.ListAlerts(c.Request().Context(), f)
			if err != nil {
				return err
			}
			return c.JSON(http.StatusOK, map[string]any{"alerts": list, "next_cursor": nil})
		}, viewer)
		s.V1.GET("/incidents", func(c *echo.Context) error {
			list, err := sys.Store.ListIncidents(c.Request().Context(), c.QueryParam("state"), 0, 100)
			if err != nil {
				return err
			}
			return c.JSON(http.StatusOK, map[string]any{"incidents": list})
		}, viewer)
		s.V1.POST("/alerts/:id/ack", func(c *echo.Context) error {
			var b struct {
				Comment   string     `json:"comment"`
				ExpiresAt *time.Time `json:"expires_at"`
			}
			if err := httpsec.Bind(c, &b); err != nil {
				return err
			}
			id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
			a, err := svc.Ack(c.Request().Context(), id, who(c), b.Comment, b.ExpiresAt)
			if err != nil {
				return err
			}
			return c.JSON(http.StatusOK, a)
		}, operator)
		s.V1.POST("/alerts/:id/close", func(c *echo.Context) error {
			var b struct {
				Comment string `json:"comment"`
			}
			if err := httpsec.Bind(c, &b); err != nil {
				return err
			}
			id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
			a, err := svc.Close(c.Request().Context(), id, who(c), b.Comment)
			if err != nil {
				return err
			}
			return c.JSON(http.StatusOK, a)
		}, operator)
	}
}

func who(c *echo.Context) string {
	id, _ := auth.Principal(c)
	return id.Username
}
