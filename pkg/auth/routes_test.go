package auth_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/pquerna/otp/totp"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/pkg/directory"
	"github.com/wardops/wardops/pkg/directory/directorytest"
	"github.com/wardops/wardops/pkg/secrets"
	"github.com/wardops/wardops/testinfra/testenv"
)

// TestRouteTable is the route audit of the fixture app: the same check the API's own
// route-audit test runs over every registered route.
func TestRouteTable(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	authtest.CheckRoutes(t, f.svc, f.e, map[auth.RouteKey]string{
		{"GET", "/api/v1/health"}:                  "public",
		{"GET", "/api/v1/devices"}:                 "viewer",
		{"POST", "/api/v1/devices"}:                "admin",
		{"POST", "/api/v1/alerts/:id/ack"}:         "operator",
		{"GET", "/api/v1/unguarded"}:               auth.AccessNone,
		{"POST", "/api/v1/auth/login"}:             "public",
		{"POST", "/api/v1/auth/logout"}:            "viewer",
		{"GET", "/api/v1/auth/me"}:                 "viewer",
		{"POST", "/api/v1/auth/password"}:          "viewer",
		{"POST", "/api/v1/auth/login/totp"}:        "public",
		{"POST", "/api/v1/auth/display"}:           "public",
		{"GET", "/api/v1/devices/standalone/list"}: "viewer",
		{"POST", "/api/v1/auth/totp/enroll"}:       "viewer",
		{"POST", "/api/v1/auth/totp/confirm"}:      "viewer",
		{"DELETE", "/api/v1/users/:id/totp"}:       "admin",
		{"GET", "/api/v1/auth/methods"}:            "public",
		{"GET", "/api/v1/auth/oidc/login"}:         "public",
		{"GET", "/api/v1/auth/oidc/callback"}:      "public",
		{"GET", "/api/v1/users"}:                   "admin",
		{"POST", "/api/v1/users"}:                  "admin",
		{"GET", "/api/v1/users/:id"}:               "admin",
		{"PATCH", "/api/v1/users/:id"}:             "admin",
		{"DELETE", "/api/v1/users/:id"}:            "admin",
		{"GET", "/api/v1/tokens"}:                  "admin",
		{"POST", "/api/v1/tokens"}:                 "admin",
		{"DELETE", "/api/v1/tokens/:id"}:           "admin",
		{"GET", "/api/v1/audit"}:                   "admin",
		{echo.RouteAny, "/monitoring/*"}:           "read:operator write:admin",
		{"GET", "/metrics"}:                        "viewer|ip-allowlist",
		{"GET", "/metrics-remote"}:                 "viewer|ip-allowlist",
		{"GET", "/admin/stacked"}:                  "viewer & admin",
	})
}

type route struct{ method, path string }

// TestRoleRouteMatrix calls every guarded route over real HTTP as each kind of caller, with a
// session (and its CSRF token) from a password, a password and a TOTP code, a directory
// sign-in (a real slapd), or a single sign-on (through the real OpenID Provider), and with a
// bearer token, unscoped and (viewer, operator) scoped to a region or a branch, and checks the
// guard's verdict. What a scope hides inside a route is pkg/api's TestScopeMatrix.
func TestRoleRouteMatrix(t *testing.T) {
	t.Parallel()
	l := testenv.NewLDAP(t)
	dir, err := directory.New(directorytest.Config(t, l, l.URL), nil)
	if err != nil {
		t.Fatal(err)
	}
	box, err := secrets.New(bytes.Repeat([]byte{9}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	x := newSSOFixture(t, func(p *auth.Params) { p.Directory, p.DirectoryRefresh, p.Secrets = dir, ldapRefresh, box })
	f := x.fixture
	callers := map[string]*client{"anonymous": f.anon()}
	ssoUser := map[auth.Role]string{auth.RoleViewer: "vera", auth.RoleOperator: "olga", auth.RoleAdmin: "ana"}
	ldapUser := map[auth.Role]string{auth.RoleViewer: "carol", auth.RoleOperator: "bob", auth.RoleAdmin: "alice"}
	for _, r := range []auth.Role{auth.RoleViewer, auth.RoleOperator, auth.RoleAdmin} {
		callers[r.String()+"/session"] = f.login(r.String())
		callers[r.String()+"/oidc"] = x.signIn(ssoUser[r])
		callers[r.String()+"/token"] = f.withToken(authtest.Token(t, f.svc, r))
		c, info, resp := f.ldapLogin(ldapUser[r], testenv.LDAPPassword)
		if resp.status != http.StatusOK || info.User.Role != r.String() {
			t.Fatalf("directory sign-in of %s: %d %s", ldapUser[r], resp.status, resp.body)
		}
		callers[r.String()+"/ldap"] = c
	}
	// two-factor sign-ins: enrol, then a new session through the password and the code steps
	for _, r := range []auth.Role{auth.RoleViewer, auth.RoleOperator, auth.RoleAdmin} {
		name := r.String() + "-2fa"
		authtest.User(t, f.svc, name, r)
		secret, _ := f.enrol(f.login(name))
		f.clock.Advance(31 * time.Second) // the enrolment's code is spent; sign in with the next one
		c := f.anon()
		code, _ := totp.GenerateCode(secret, f.clock.Now())
		if resp := f.codeStep(c, f.passwordStep(c, name), map[string]string{"code": code}); resp.status != http.StatusOK {
			t.Fatalf("two-factor sign-in of %s: %d %s", name, resp.status, resp.body)
		}
		callers[r.String()+"/totp"] = c
	}
	// roles × scopes: a scope narrows what a caller sees, never what its role may call
	scopes := map[string]auth.Scope{"region-A": {Regions: []string{"A"}}, "branch-B": {Branches: []string{"B"}}}
	for _, r := range []auth.Role{auth.RoleViewer, auth.RoleOperator} {
		for sn, sc := range scopes {
			name := r.String() + "-" + sn
			authtest.ScopedUser(t, f.svc, name, r, sc)
			callers[r.String()+"/session/"+sn] = f.login(name)
			callers[r.String()+"/token/"+sn] = f.withToken(authtest.ScopedToken(t, f.svc, r, sc))
		}
	}
	const (
		pass   = 200
		unauth = http.StatusUnauthorized
		forb   = http.StatusForbidden
	)
	// want[route] = status for anonymous, viewer, operator, admin
	want := map[route][4]int{
		{"GET", "/api/v1/health"}:        {pass, pass, pass, pass},
		{"GET", "/api/v1/devices"}:       {unauth, pass, pass, pass},
		{"POST", "/api/v1/devices"}:      {unauth, forb, forb, pass},
		{"POST", "/api/v1/alerts/7/ack"}: {unauth, forb, pass, pass},
		{"GET", "/monitoring/queues"}:    {unauth, forb, pass, pass},
		{"POST", "/monitoring/api/x"}:    {unauth, forb, forb, pass},
		{"DELETE", "/monitoring/api/x"}:  {unauth, forb, forb, pass},
		{"GET", "/metrics"}:              {pass, pass, pass, pass}, // 127.0.0.1 is allow-listed
		{"GET", "/metrics-remote"}:       {unauth, pass, pass, pass},
		{"GET", "/admin/stacked"}:        {unauth, forb, forb, pass},
		{"GET", "/api/v1/auth/me"}:       {unauth, pass, pass, pass},
		{"GET", "/api/v1/users"}:         {unauth, forb, forb, pass},
		{"GET", "/api/v1/tokens"}:        {unauth, forb, forb, pass},
		{"GET", "/api/v1/audit"}:         {unauth, forb, forb, pass},
		// the guard's verdict; past it, the handler answers 400/409 to these empty bodies
		{"DELETE", "/api/v1/users/999999/totp"}: {unauth, forb, forb, 404},
		{"POST", "/api/v1/auth/login/totp"}:     {400, 400, 400, 400}, // public; {} lacks a code
		{"GET", "/api/v1/auth/methods"}:         {pass, pass, pass, pass},
		{"GET", "/api/v1/unguarded"}:            {forb, forb, forb, forb}, // fail closed
	}
	roleIdx := map[string]int{"anonymous": 0, "viewer": 1, "operator": 2, "admin": 3}
	for rt, statuses := range want {
		for name, c := range callers {
			role, _, _ := strings.Cut(name, "/")
			t.Run(fmt.Sprintf("%s %s as %s", rt.method, rt.path, name), func(t *testing.T) {
				var body any
				if rt.method != http.MethodGet {
					body = map[string]string{}
				}
				resp := c.do(rt.method, rt.path, body)
				if w := statuses[roleIdx[role]]; resp.status != w {
					t.Errorf("status %d, want %d: %s", resp.status, w, resp.body)
				}
			})
		}
	}
}

func TestUnguardedRouteFailsClosed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	resp := f.login("admin").do(http.MethodGet, "/api/v1/unguarded", nil)
	if resp.status != http.StatusForbidden || resp.errCode() != "no_access_rule" {
		t.Errorf("got %d %s, want 403 no_access_rule", resp.status, resp.body)
	}
	if resp := f.anon().do(http.MethodGet, "/api/v1/nothing-here", nil); resp.status != http.StatusNotFound {
		t.Errorf("unknown route: %d, want 404", resp.status)
	}
}

func TestForgottenHookFailsClosed(t *testing.T) {
	t.Parallel()
	svc := authtest.NewService(t, auth.Params{})
	e := echo.New() // no e.OnAddRoute = svc.OnAddRoute
	e.Use(svc.Authenticate)
	e.GET("/open", ok, svc.Public())
	rec := serve(e, http.MethodGet, "/open")
	if rec != http.StatusForbidden {
		t.Errorf("status %d, want 403 when routes were registered without the hook", rec)
	}
}

func serve(e *echo.Echo, method, path string) int {
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Code
}
