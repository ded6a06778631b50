package api_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
)

// TestRouteAudit walks every registered route and fails when one is neither public by the
// allow-list nor guarded with the role this table expects (docs/SECURITY.md).
func TestRouteAudit(t *testing.T) {
	srv, svc := routeServer(t)
	want := map[auth.RouteKey]string{
		{Method: "GET", Path: "/"}:                                            "public",
		{Method: "GET", Path: "/static/*"}:                                    "public",
		{Method: "GET", Path: "/favicon.ico"}:                                 "public",
		{Method: "GET", Path: "/api/v1/reports/availability"}:                 "viewer",
		{Method: "GET", Path: "/api/v1/health/detail"}:                        "admin",
		{Method: "GET", Path: "/api/v1/alerts"}:                               "viewer",
		{Method: "GET", Path: "/api/v1/alerts/:id"}:                           "viewer",
		{Method: "GET", Path: "/api/v1/alerts/problems"}:                      "viewer",
		{Method: "POST", Path: "/api/v1/alerts/:id/ack"}:                      "operator",
		{Method: "POST", Path: "/api/v1/alerts/:id/close"}:                    "operator",
		{Method: "POST", Path: "/api/v1/alerts/:id/unack"}:                    "operator",
		{Method: "GET", Path: "/api/v1/audit"}:                                "admin",
		{Method: "POST", Path: "/api/v1/auth/login"}:                          "public",
		{Method: "GET", Path: "/api/v1/auth/methods"}:                         "public",
		{Method: "GET", Path: "/api/v1/auth/oidc/login"}:                      "public",
		{Method: "GET", Path: "/api/v1/auth/oidc/callback"}:                   "public",
		{Method: "POST", Path: "/api/v1/auth/logout"}:                         "viewer",
		{Method: "GET", Path: "/api/v1/auth/me"}:                              "viewer",
		{Method: "POST", Path: "/api/v1/auth/password"}:                       "viewer",
		{Method: "POST", Path: "/api/v1/auth/login/totp"}:                     "public",
		{Method: "POST", Path: "/api/v1/auth/totp/enroll"}:                    "viewer",
		{Method: "POST", Path: "/api/v1/auth/totp/confirm"}:                   "viewer",
		{Method: "DELETE", Path: "/api/v1/users/:id/totp"}:                    "admin",
		{Method: "GET", Path: "/api/v1/channels"}:                             "viewer",
		{Method: "GET", Path: "/api/v1/profiles"}:                             "viewer",
		{Method: "POST", Path: "/api/v1/profiles"}:                            "admin",
		{Method: "GET", Path: "/api/v1/profiles/:id"}:                         "viewer",
		{Method: "PATCH", Path: "/api/v1/profiles/:id"}:                       "admin",
		{Method: "DELETE", Path: "/api/v1/profiles/:id"}:                      "admin",
		{Method: "GET", Path: "/api/v1/regions"}:                              "viewer",
		{Method: "POST", Path: "/api/v1/regions"}:                             "admin",
		{Method: "GET", Path: "/api/v1/regions/:id"}:                          "viewer",
		{Method: "PATCH", Path: "/api/v1/regions/:id"}:                        "admin",
		{Method: "DELETE", Path: "/api/v1/regions/:id"}:                       "admin",
		{Method: "GET", Path: "/api/v1/branches"}:                             "viewer",
		{Method: "POST", Path: "/api/v1/branches"}:                            "admin",
		{Method: "GET", Path: "/api/v1/branches/:id"}:                         "viewer",
		{Method: "PATCH", Path: "/api/v1/branches/:id"}:                       "admin",
		{Method: "DELETE", Path: "/api/v1/branches/:id"}:                      "admin",
		{Method: "POST", Path: "/api/v1/channels"}:                            "admin",
		{Method: "DELETE", Path: "/api/v1/channels/:id"}:                      "admin",
		{Method: "GET", Path: "/api/v1/channels/:id"}:                         "viewer",
		{Method: "PATCH", Path: "/api/v1/channels/:id"}:                       "admin",
		{Method: "POST", Path: "/api/v1/channels/:id/test"}:                   "admin",
		{Method: "GET", Path: "/api/v1/deliveries"}:                           "viewer",
		{Method: "GET", Path: "/api/v1/devices"}:                              "viewer",
		{Method: "POST", Path: "/api/v1/devices"}:                             "admin",
		{Method: "DELETE", Path: "/api/v1/devices/:id"}:                       "admin",
		{Method: "GET", Path: "/api/v1/devices/:id"}:                          "viewer",
		{Method: "PATCH", Path: "/api/v1/devices/:id"}:                        "admin",
		{Method: "GET", Path: "/api/v1/devices/:id/events"}:                   "viewer",
		{Method: "GET", Path: "/api/v1/devices/:id/interfaces"}:               "viewer",
		{Method: "PUT", Path: "/api/v1/devices/:id/interfaces/:ifindex/role"}: "admin",
		{Method: "POST", Path: "/api/v1/devices/:id/ping"}:                    "operator",
		{Method: "GET", Path: "/api/v1/devices/:id/series"}:                   "viewer",
		{Method: "DELETE", Path: "/api/v1/devices/:id/snmp"}:                  "admin",
		{Method: "GET", Path: "/api/v1/devices/:id/snmp"}:                     "viewer",
		{Method: "PUT", Path: "/api/v1/devices/:id/snmp"}:                     "admin",
		{Method: "POST", Path: "/api/v1/devices/:id/snmp-test"}:               "operator",
		{Method: "POST", Path: "/api/v1/devices/import"}:                      "admin",
		{Method: "GET", Path: "/api/v1/devices/standalone/list"}:              "viewer",
		{Method: "GET", Path: "/api/v1/events"}:                               "viewer",
		{Method: "GET", Path: "/api/v1/timeline"}:                             "viewer",
		{Method: "POST", Path: "/api/v1/auth/display"}:                        "public",
		{Method: "GET", Path: "/api/v1/health"}:                               "public",
		{Method: "GET", Path: "/api/v1/incidents"}:                            "viewer",
		{Method: "GET", Path: "/api/v1/incidents/:id"}:                        "viewer",
		{Method: "GET", Path: "/api/v1/maintenance"}:                          "viewer",
		{Method: "POST", Path: "/api/v1/maintenance"}:                         "operator",
		{Method: "DELETE", Path: "/api/v1/maintenance/:id"}:                   "operator",
		{Method: "GET", Path: "/api/v1/maintenance/:id"}:                      "viewer",
		{Method: "PUT", Path: "/api/v1/maintenance/:id"}:                      "operator",
		{Method: "GET", Path: "/api/v1/openapi.yaml"}:                         "viewer",
		{Method: "GET", Path: "/api/v1/rules"}:                                "viewer",
		{Method: "POST", Path: "/api/v1/rules"}:                               "admin",
		{Method: "DELETE", Path: "/api/v1/rules/:id"}:                         "admin",
		{Method: "GET", Path: "/api/v1/rules/:id"}:                            "viewer",
		{Method: "PATCH", Path: "/api/v1/rules/:id"}:                          "admin",
		{Method: "GET", Path: "/api/v1/tasks/:queue/:id"}:                     "viewer",
		{Method: "GET", Path: "/api/v1/schedule"}:                             "viewer",
		{Method: "GET", Path: "/api/v1/config"}:                               "admin",
		{Method: "POST", Path: "/api/v1/config/apply"}:                        "admin",
		{Method: "GET", Path: "/api/v1/config/schema.json"}:                   "viewer",
		{Method: "PATCH", Path: "/api/v1/schedule/:task"}:                     "admin",
		{Method: "GET", Path: "/api/v1/tokens"}:                               "admin",
		{Method: "POST", Path: "/api/v1/tokens"}:                              "admin",
		{Method: "DELETE", Path: "/api/v1/tokens/:id"}:                        "admin",
		{Method: "GET", Path: "/api/v1/users"}:                                "admin",
		{Method: "POST", Path: "/api/v1/users"}:                               "admin",
		{Method: "DELETE", Path: "/api/v1/users/:id"}:                         "admin",
		{Method: "GET", Path: "/api/v1/users/:id"}:                            "admin",
		{Method: "PATCH", Path: "/api/v1/users/:id"}:                          "admin",
		{Method: "GET", Path: "/metrics"}:                                     "viewer",
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

// Scope rules of the routes (docs/SECURITY.md "Scoped roles"), checked by TestScopeMatrix:
const (
	scopeList    = "list: only the caller's items"
	scopeObject  = "object: outside the scope answers 404"
	scopeTargets = "write: targets must lie inside the scope"
	scopeFleet   = "fleet-wide: scoped callers refused (403)"
	scopeAdmin   = "admin only: admins are never scoped"
	scopeConfig  = "configuration, not device data: the same for every scope"
	scopeSelf    = "the caller's own session"
)

// TestRouteScopeAudit makes every route take a scope decision: a route added without one fails
// here until it is classified (and, if it shows devices, enforced and added to TestScopeMatrix).
func TestRouteScopeAudit(t *testing.T) {
	srv, svc := routeServer(t)
	want := map[auth.RouteKey]string{
		{Method: "GET", Path: "/"}:                                            scopeConfig,
		{Method: "GET", Path: "/static/*"}:                                    scopeConfig,
		{Method: "GET", Path: "/favicon.ico"}:                                 scopeConfig,
		{Method: "GET", Path: "/api/v1/health"}:                               scopeConfig,
		{Method: "GET", Path: "/api/v1/openapi.yaml"}:                         scopeConfig,
		{Method: "GET", Path: "/api/v1/rules"}:                                scopeConfig,
		{Method: "GET", Path: "/api/v1/rules/:id"}:                            scopeConfig,
		{Method: "GET", Path: "/api/v1/channels"}:                             scopeConfig,
		{Method: "GET", Path: "/api/v1/profiles"}:                             scopeConfig,
		{Method: "GET", Path: "/api/v1/profiles/:id"}:                         scopeConfig,
		{Method: "GET", Path: "/api/v1/regions"}:                              scopeConfig,
		{Method: "GET", Path: "/api/v1/regions/:id"}:                          scopeConfig,
		{Method: "GET", Path: "/api/v1/branches"}:                             scopeConfig,
		{Method: "GET", Path: "/api/v1/branches/:id"}:                         scopeConfig,
		{Method: "GET", Path: "/api/v1/channels/:id"}:                         scopeConfig,
		{Method: "GET", Path: "/api/v1/schedule"}:                             scopeConfig,
		{Method: "GET", Path: "/api/v1/config/schema.json"}:                   scopeConfig,
		{Method: "POST", Path: "/api/v1/auth/login"}:                          scopeSelf,
		{Method: "POST", Path: "/api/v1/auth/logout"}:                         scopeSelf,
		{Method: "GET", Path: "/api/v1/auth/me"}:                              scopeSelf,
		{Method: "GET", Path: "/api/v1/auth/methods"}:                         scopeConfig,
		{Method: "GET", Path: "/api/v1/auth/oidc/login"}:                      scopeSelf,
		{Method: "GET", Path: "/api/v1/auth/oidc/callback"}:                   scopeSelf,
		{Method: "POST", Path: "/api/v1/auth/password"}:                       scopeSelf,
		{Method: "GET", Path: "/api/v1/devices"}:                              scopeList,
		{Method: "GET", Path: "/api/v1/devices/standalone/list"}:              scopeList,
		{Method: "GET", Path: "/api/v1/alerts"}:                               scopeList,
		{Method: "GET", Path: "/api/v1/incidents"}:                            scopeList,
		{Method: "GET", Path: "/api/v1/maintenance"}:                          scopeList,
		{Method: "GET", Path: "/api/v1/deliveries"}:                           scopeList,
		{Method: "GET", Path: "/api/v1/reports/availability"}:                 scopeList,
		{Method: "GET", Path: "/api/v1/events"}:                               scopeList,
		{Method: "GET", Path: "/api/v1/timeline"}:                             scopeList,
		{Method: "GET", Path: "/api/v1/devices/:id"}:                          scopeObject,
		{Method: "PATCH", Path: "/api/v1/devices/:id"}:                        scopeObject,
		{Method: "DELETE", Path: "/api/v1/devices/:id"}:                       scopeObject,
		{Method: "GET", Path: "/api/v1/devices/:id/events"}:                   scopeObject,
		{Method: "GET", Path: "/api/v1/devices/:id/interfaces"}:               scopeObject,
		{Method: "PUT", Path: "/api/v1/devices/:id/interfaces/:ifindex/role"}: scopeObject,
		{Method: "POST", Path: "/api/v1/devices/:id/ping"}:                    scopeObject,
		{Method: "GET", Path: "/api/v1/devices/:id/series"}:                   scopeObject,
		{Method: "GET", Path: "/api/v1/devices/:id/snmp"}:                     scopeObject,
		{Method: "PUT", Path: "/api/v1/devices/:id/snmp"}:                     scopeObject,
		{Method: "DELETE", Path: "/api/v1/devices/:id/snmp"}:                  scopeObject,
		{Method: "POST", Path: "/api/v1/devices/:id/snmp-test"}:               scopeObject,
		{Method: "GET", Path: "/api/v1/alerts/:id"}:                           scopeObject,
		{Method: "GET", Path: "/api/v1/alerts/problems"}:                      scopeList,
		{Method: "POST", Path: "/api/v1/alerts/:id/ack"}:                      scopeObject,
		{Method: "POST", Path: "/api/v1/alerts/:id/close"}:                    scopeObject,
		{Method: "POST", Path: "/api/v1/alerts/:id/unack"}:                    scopeObject,
		{Method: "GET", Path: "/api/v1/incidents/:id"}:                        scopeObject,
		{Method: "GET", Path: "/api/v1/maintenance/:id"}:                      scopeObject,
		{Method: "PUT", Path: "/api/v1/maintenance/:id"}:                      scopeObject + "; " + scopeTargets,
		{Method: "DELETE", Path: "/api/v1/maintenance/:id"}:                   scopeObject,
		{Method: "GET", Path: "/api/v1/tasks/:queue/:id"}:                     scopeObject,
		{Method: "POST", Path: "/api/v1/maintenance"}:                         scopeTargets,
		{Method: "GET", Path: "/metrics"}:                                     scopeFleet,
		{Method: "GET", Path: "/api/v1/queues"}:                               scopeFleet,
		{Method: "GET", Path: "/api/v1/queues/:queue/tasks"}:                  scopeFleet,
		{Method: "GET", Path: "/api/v1/queues/:queue/tasks/:id"}:              scopeFleet,
		{Method: "POST", Path: "/api/v1/auth/login/totp"}:                     scopeSelf,
		{Method: "POST", Path: "/api/v1/auth/display"}:                        scopeSelf,
		{Method: "POST", Path: "/api/v1/auth/totp/confirm"}:                   scopeSelf,
		{Method: "POST", Path: "/api/v1/auth/totp/enroll"}:                    scopeSelf,
		{Method: "echo_route_any", Path: "/monitoring"}:                       scopeFleet,
		{Method: "echo_route_any", Path: "/monitoring/*"}:                     scopeFleet,
	}
	for k, access := range svc.RouteTable(srv.Echo().Router().Routes()) {
		if _, ok := want[k]; !ok && strings.HasPrefix(access, "admin") {
			want[k] = scopeAdmin // an admin-only route needs no scope rule: admins are never scoped
		}
	}
	got := map[auth.RouteKey]string{}
	for k := range svc.RouteTable(srv.Echo().Router().Routes()) {
		got[k] = want[k]
		if want[k] == "" {
			got[k] = "NO SCOPE DECISION"
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("routes without a scope decision, or decisions for routes that are gone (-want +got):\n%s", diff)
	}
}
