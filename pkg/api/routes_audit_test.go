package api_test

import (
	"testing"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
)

// TestRouteAudit walks every registered route and fails when one is neither public by the
// allow-list nor guarded with the role this table expects (docs/SECURITY.md).
func TestRouteAudit(t *testing.T) {
	srv, svc := routeServer(t)
	want := map[auth.RouteKey]string{
		{Method: "GET", Path: "/"}:                               "public",
		{Method: "GET", Path: "/static/*"}:                       "public",
		{Method: "GET", Path: "/favicon.ico"}:                    "public",
		{Method: "GET", Path: "/api/v1/reports/availability"}:    "viewer",
		{Method: "GET", Path: "/api/v1/health/detail"}:           "admin",
		{Method: "GET", Path: "/api/v1/alerts"}:                  "viewer",
		{Method: "GET", Path: "/api/v1/alerts/:id"}:              "viewer",
		{Method: "POST", Path: "/api/v1/alerts/:id/ack"}:         "operator",
		{Method: "POST", Path: "/api/v1/alerts/:id/close"}:       "operator",
		{Method: "POST", Path: "/api/v1/alerts/:id/unack"}:       "operator",
		{Method: "GET", Path: "/api/v1/audit"}:                   "admin",
		{Method: "POST", Path: "/api/v1/auth/login"}:             "public",
		{Method: "POST", Path: "/api/v1/auth/logout"}:            "viewer",
		{Method: "GET", Path: "/api/v1/auth/me"}:                 "viewer",
		{Method: "POST", Path: "/api/v1/auth/password"}:          "viewer",
		{Method: "GET", Path: "/api/v1/channels"}:                "viewer",
		{Method: "POST", Path: "/api/v1/channels"}:               "admin",
		{Method: "DELETE", Path: "/api/v1/channels/:id"}:         "admin",
		{Method: "GET", Path: "/api/v1/channels/:id"}:            "viewer",
		{Method: "PATCH", Path: "/api/v1/channels/:id"}:          "admin",
		{Method: "POST", Path: "/api/v1/channels/:id/test"}:      "admin",
		{Method: "GET", Path: "/api/v1/deliveries"}:              "viewer",
		{Method: "GET", Path: "/api/v1/devices"}:                 "viewer",
		{Method: "POST", Path: "/api/v1/devices"}:                "admin",
		{Method: "DELETE", Path: "/api/v1/devices/:id"}:          "admin",
		{Method: "GET", Path: "/api/v1/devices/:id"}:             "viewer",
		{Method: "PATCH", Path: "/api/v1/devices/:id"}:           "admin",
		{Method: "GET", Path: "/api/v1/devices/:id/events"}:      "viewer",
		{Method: "GET", Path: "/api/v1/devices/:id/interfaces"}:  "viewer",
		{Method: "POST", Path: "/api/v1/devices/:id/ping"}:       "operator",
		{Method: "GET", Path: "/api/v1/devices/:id/series"}:      "viewer",
		{Method: "DELETE", Path: "/api/v1/devices/:id/snmp"}:     "admin",
		{Method: "GET", Path: "/api/v1/devices/:id/snmp"}:        "viewer",
		{Method: "PUT", Path: "/api/v1/devices/:id/snmp"}:        "admin",
		{Method: "POST", Path: "/api/v1/devices/:id/snmp-test"}:  "operator",
		{Method: "POST", Path: "/api/v1/devices/import"}:         "admin",
		{Method: "GET", Path: "/api/v1/devices/standalone/list"}: "viewer",
		{Method: "GET", Path: "/api/v1/events"}:                  "viewer",
		{Method: "GET", Path: "/api/v1/health"}:                  "public",
		{Method: "GET", Path: "/api/v1/incidents"}:               "viewer",
		{Method: "GET", Path: "/api/v1/incidents/:id"}:           "viewer",
		{Method: "GET", Path: "/api/v1/maintenance"}:             "viewer",
		{Method: "POST", Path: "/api/v1/maintenance"}:            "operator",
		{Method: "DELETE", Path: "/api/v1/maintenance/:id"}:      "operator",
		{Method: "GET", Path: "/api/v1/maintenance/:id"}:         "viewer",
		{Method: "PUT", Path: "/api/v1/maintenance/:id"}:         "operator",
		{Method: "GET", Path: "/api/v1/openapi.yaml"}:            "viewer",
		{Method: "GET", Path: "/api/v1/rules"}:                   "viewer",
		{Method: "POST", Path: "/api/v1/rules"}:                  "admin",
		{Method: "DELETE", Path: "/api/v1/rules/:id"}:            "admin",
		{Method: "GET", Path: "/api/v1/rules/:id"}:               "viewer",
		{Method: "PATCH", Path: "/api/v1/rules/:id"}:             "admin",
		{Method: "GET", Path: "/api/v1/tasks/:queue/:id"}:        "viewer",
		{Method: "GET", Path: "/api/v1/tokens"}:                  "admin",
		{Method: "POST", Path: "/api/v1/tokens"}:                 "admin",
		{Method: "DELETE", Path: "/api/v1/tokens/:id"}:           "admin",
		{Method: "GET", Path: "/api/v1/users"}:                   "admin",
		{Method: "POST", Path: "/api/v1/users"}:                  "admin",
		{Method: "DELETE", Path: "/api/v1/users/:id"}:            "admin",
		{Method: "GET", Path: "/api/v1/users/:id"}:               "admin",
		{Method: "PATCH", Path: "/api/v1/users/:id"}:             "admin",
		{Method: "GET", Path: "/metrics"}:                        "viewer",
		// task control (pkg/monitoring): operators read, admins act
		{Method: "GET", Path: "/api/v1/queues"}:                          "operator",
		{Method: "GET", Path: "/api/v1/queues/:queue/tasks"}:             "operator",
		{Method: "GET", Path: "/api/v1/queues/:queue/tasks/:id"}:         "operator",
		{Method: "DELETE", Path: "/api/v1/queues/:queue/tasks/:id"}:      "admin",
		{Method: "POST", Path: "/api/v1/queues/:queue/tasks/:id/cancel"}: "admin",
		{Method: "POST", Path: "/api/v1/queues/:queue/tasks/:id/retry"}:  "admin",
		{Method: "POST", Path: "/api/v1/queues/:queue/pause"}:            "admin",
		{Method: "POST", Path: "/api/v1/queues/:queue/resume"}:           "admin",
		{Method: "POST", Path: "/api/v1/queues/:queue/purge"}:            "admin",
		{Method: "echo_route_any", Path: "/monitoring"}:                  "read:operator write:admin",
		{Method: "echo_route_any", Path: "/monitoring/*"}:                "read:operator write:admin",
	}
	authtest.CheckRoutes(t, svc, srv.Echo(), want)
}
