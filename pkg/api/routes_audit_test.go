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
		{"GET", "/api/v1/alerts"}:                  "viewer",
		{"GET", "/api/v1/alerts/:id"}:              "viewer",
		{"POST", "/api/v1/alerts/:id/ack"}:         "operator",
		{"POST", "/api/v1/alerts/:id/close"}:       "operator",
		{"POST", "/api/v1/alerts/:id/unack"}:       "operator",
		{"GET", "/api/v1/audit"}:                   "admin",
		{"POST", "/api/v1/auth/login"}:             "public",
		{"POST", "/api/v1/auth/logout"}:            "viewer",
		{"GET", "/api/v1/auth/me"}:                 "viewer",
		{"POST", "/api/v1/auth/password"}:          "viewer",
		{"GET", "/api/v1/channels"}:                "viewer",
		{"POST", "/api/v1/channels"}:               "admin",
		{"DELETE", "/api/v1/channels/:id"}:         "admin",
		{"GET", "/api/v1/channels/:id"}:            "viewer",
		{"PATCH", "/api/v1/channels/:id"}:          "admin",
		{"POST", "/api/v1/channels/:id/test"}:      "admin",
		{"GET", "/api/v1/deliveries"}:              "viewer",
		{"GET", "/api/v1/devices"}:                 "viewer",
		{"POST", "/api/v1/devices"}:                "admin",
		{"DELETE", "/api/v1/devices/:id"}:          "admin",
		{"GET", "/api/v1/devices/:id"}:             "viewer",
		{"PATCH", "/api/v1/devices/:id"}:           "admin",
		{"GET", "/api/v1/devices/:id/events"}:      "viewer",
		{"GET", "/api/v1/devices/:id/interfaces"}:  "viewer",
		{"POST", "/api/v1/devices/:id/ping"}:       "operator",
		{"GET", "/api/v1/devices/:id/series"}:      "viewer",
		{"DELETE", "/api/v1/devices/:id/snmp"}:     "admin",
		{"GET", "/api/v1/devices/:id/snmp"}:        "viewer",
		{"PUT", "/api/v1/devices/:id/snmp"}:        "admin",
		{"POST", "/api/v1/devices/:id/snmp-test"}:  "operator",
		{"POST", "/api/v1/devices/import"}:         "admin",
		{"GET", "/api/v1/devices/standalone/list"}: "viewer",
		{"GET", "/api/v1/events"}:                  "viewer",
		{"GET", "/api/v1/health"}:                  "public",
		{"GET", "/api/v1/incidents"}:               "viewer",
		{"GET", "/api/v1/incidents/:id"}:           "viewer",
		{"GET", "/api/v1/maintenance"}:             "viewer",
		{"POST", "/api/v1/maintenance"}:            "operator",
		{"DELETE", "/api/v1/maintenance/:id"}:      "operator",
		{"GET", "/api/v1/maintenance/:id"}:         "viewer",
		{"PUT", "/api/v1/maintenance/:id"}:         "operator",
		{"GET", "/api/v1/openapi.yaml"}:            "viewer",
		{"GET", "/api/v1/rules"}:                   "viewer",
		{"POST", "/api/v1/rules"}:                  "admin",
		{"DELETE", "/api/v1/rules/:id"}:            "admin",
		{"GET", "/api/v1/rules/:id"}:               "viewer",
		{"PATCH", "/api/v1/rules/:id"}:             "admin",
		{"GET", "/api/v1/tasks/:queue/:id"}:        "viewer",
		{"GET", "/api/v1/tokens"}:                  "admin",
		{"POST", "/api/v1/tokens"}:                 "admin",
		{"DELETE", "/api/v1/tokens/:id"}:           "admin",
		{"GET", "/api/v1/users"}:                   "admin",
		{"POST", "/api/v1/users"}:                  "admin",
		{"DELETE", "/api/v1/users/:id"}:            "admin",
		{"GET", "/api/v1/users/:id"}:               "admin",
		{"PATCH", "/api/v1/users/:id"}:             "admin",
		{"GET", "/metrics"}:                        "viewer",
		{"echo_route_any", "/monitoring"}:          "read:operator write:admin",
		{"echo_route_any", "/monitoring/*"}:        "read:operator write:admin",
	}
	authtest.CheckRoutes(t, svc, srv.Echo(), want)
}
