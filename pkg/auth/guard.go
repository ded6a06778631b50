package auth

import (
	"errors"
	"net/http"
	"net/netip"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/labstack/echo/v5"
)

// Access descriptions used in the route table (RouteTable) and in route-audit tests.
const (
	AccessPublic = "public"
	// AccessNone marks a route with no guard: Authenticate refuses it (fail closed).
	AccessNone = "NONE"
)

// RouteKey names a registered route as echo does: the method (or echo.RouteAny) and the path
// pattern ("/api/v1/devices/:id").
type RouteKey struct {
	Method string
	Path   string
}

// guard is one access rule attached to a route. Its wrap method is the middleware; the
// service recognises guards among a route's middleware by that method's code pointer.
type guard struct {
	svc    *Service
	public bool
	read   Role // role for GET, HEAD, OPTIONS
	write  Role // role for every other method
	allow  []netip.Prefix
}

// guardRule is how a guard describes itself to OnAddRoute: wrap(nil)(nil) returns it.
type guardRule struct{ g *guard }

func (guardRule) Error() string { return "auth guard description" }

func (g *guard) describe() string {
	var d string
	switch {
	case g.public:
		return AccessPublic
	case g.read == g.write:
		d = g.read.String()
	default:
		d = "read:" + g.read.String() + " write:" + g.write.String()
	}
	if len(g.allow) > 0 {
		d += "|ip-allowlist"
	}
	return d
}

func (g *guard) wrap(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		if c == nil { // OnAddRoute asks what this guard requires; echo never passes nil
			return guardRule{g}
		}
		if g.public {
			return next(c)
		}
		need := g.write
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			need = g.read
		}
		p, ok := Principal(c)
		if ok && p.Role >= need {
			return next(c)
		}
		if len(g.allow) > 0 && addrAllowed(c.RealIP(), g.allow) {
			return next(c)
		}
		if !ok {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="wardops"`)
			return apiError(http.StatusUnauthorized, "unauthenticated", "sign in or send an API token", "")
		}
		g.svc.log.InfoContext(c.Request().Context(), "access denied", "user", p.Username, "role", p.Role.String(),
			"need", need.String(), "method", c.Request().Method, "route", c.Path())
		return apiError(http.StatusForbidden, "forbidden", "this needs the "+need.String()+" role", "")
	}
}

func addrAllowed(ip string, allow []netip.Prefix) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range allow {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func (s *Service) newGuard(g guard) echo.MiddlewareFunc {
	g.svc = s
	return g.wrap
}

// Require lets a route through only for callers with at least role r (viewer < operator <
// admin): 401 for anonymous callers, 403 for lower roles. Attach it to routes or groups.
func (s *Service) Require(r Role) echo.MiddlewareFunc {
	return s.newGuard(guard{read: r, write: r})
}

// RequireMethods needs role read for GET, HEAD and OPTIONS and role write for every other
// method: for routes mounted with Any, such as /monitoring (asynqmon), operator/admin.
func (s *Service) RequireMethods(read, write Role) echo.MiddlewareFunc {
	return s.newGuard(guard{read: read, write: write})
}

// RequireOrAllowIP lets a route through for callers with role r or requests from one of the
// allowed networks (a Prometheus scraper on /metrics without a token).
func (s *Service) RequireOrAllowIP(r Role, allow []netip.Prefix) echo.MiddlewareFunc {
	return s.newGuard(guard{read: r, write: r, allow: append([]netip.Prefix(nil), allow...)})
}

// Public marks a route as open to anonymous callers (health, the login endpoint and page,
// static assets). It is the allow-list: a route without Public or a Require is refused.
func (s *Service) Public() echo.MiddlewareFunc {
	return s.newGuard(guard{public: true})
}

// registry maps every route seen by OnAddRoute to its guards' descriptions, in chain order.
type registry struct {
	mu     sync.RWMutex
	routes map[RouteKey][]string
}

func newRegistry() *registry { return &registry{routes: map[RouteKey][]string{}} }

// OnAddRoute records the guards of each route as echo registers it. Install it before adding
// any route: e.OnAddRoute = svc.OnAddRoute. Routes it has not seen are refused by
// Authenticate, so forgetting it fails closed (every route answers 403).
func (s *Service) OnAddRoute(route echo.Route) error {
	if route.Method == echo.RouteNotFound {
		return nil
	}
	var descs []string
	for _, m := range route.Middlewares {
		if m == nil || reflect.ValueOf(m).Pointer() != s.guardPC {
			continue
		}
		var gr guardRule
		if err := m(nil)(nil); errors.As(err, &gr) {
			descs = append(descs, gr.g.describe())
		}
	}
	key := RouteKey{Method: route.Method, Path: normalizeRoutePath(route.Path)}
	s.routes.mu.Lock()
	defer s.routes.mu.Unlock()
	s.routes.routes[key] = descs
	return nil
}

// normalizeRoutePath matches echo's own normalisation of registered paths.
func normalizeRoutePath(p string) string {
	if p == "" || p[0] != '/' {
		return "/" + p
	}
	return p
}

// access returns the description of a route and whether OnAddRoute has seen a guard on it.
func (r *registry) access(k RouteKey) (string, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	descs := r.routes[k]
	if len(descs) == 0 {
		return AccessNone, false
	}
	return strings.Join(descs, " & "), true
}

// RouteTable describes the access rule of every given route (pass e.Router().Routes()) as the
// route-audit test compares it: "public", "viewer", "operator", "admin", "read:operator
// write:admin", "viewer|ip-allowlist", guards stacked by a group and a route joined with " & "
// ("viewer & admin"), or AccessNone. 404 (RouteNotFound) routes are left out.
func (s *Service) RouteTable(routes echo.Routes) map[RouteKey]string {
	out := make(map[RouteKey]string, len(routes))
	for _, ri := range routes {
		if ri.Method == echo.RouteNotFound {
			continue
		}
		k := RouteKey{Method: ri.Method, Path: ri.Path}
		out[k], _ = s.routes.access(k)
	}
	return out
}

// SortedKeys returns the table's keys ordered by path then method, for stable test output.
func SortedKeys(t map[RouteKey]string) []RouteKey {
	keys := make([]RouteKey, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Path != keys[j].Path {
			return keys[i].Path < keys[j].Path
		}
		return keys[i].Method < keys[j].Method
	})
	return keys
}
