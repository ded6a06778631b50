package auth_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/audit"
	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/pkg/httpsec"
)

// fixture is an echo app over real HTTP with the auth service mounted as cmd/api mounts it,
// plus a few dummy routes guarded each way.
type fixture struct {
	t     *testing.T
	svc   *auth.Service
	e     *echo.Echo
	srv   *httptest.Server
	clock *authtest.Clock
	logs  *syncBuffer
	users map[string]int64 // name → id of admin, operator, viewer
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

const (
	idle     = 30 * time.Minute
	absolute = 2 * time.Hour
)

func newFixture(t *testing.T) *fixture { return newFixtureWith(t, fixtureOpts{}) }

// fixtureOpts vary the fixture: clockStart (default 2026-05-01 08:00 UTC); for single sign-on,
// oidc, which receives the fixture's callback URL; edit changes the service's Params (a
// directory, a secret box, …) before the service is built.
type fixtureOpts struct {
	clockStart time.Time
	oidc       func(redirectURL string) *auth.OIDCParams
	edit       func(*auth.Params)
}

// newFixtureWith is newFixture with o applied.
func newFixtureWith(t *testing.T, o fixtureOpts) *fixture {
	t.Helper()
	if o.clockStart.IsZero() {
		o.clockStart = time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	}
	f := &fixture{t: t, clock: authtest.NewClock(o.clockStart), logs: &syncBuffer{}, users: map[string]int64{}}
	// the listener comes first: single sign-on needs the callback URL before the service
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := auth.Params{SessionIdle: idle, SessionAbsolute: absolute, Now: f.clock.Now}
	if o.oidc != nil {
		p.OIDC = o.oidc("http://" + ln.Addr().String() + "/api/v1/auth/oidc/callback")
	}
	logger := slog.New(audit.NewRedactingHandler(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	p.Logger = logger
	if o.edit != nil {
		o.edit(&p)
	}
	f.svc = authtest.NewService(t, p)
	f.e = echo.New()
	f.e.Logger = logger
	f.e.OnAddRoute = f.svc.OnAddRoute
	f.e.IPExtractor = httpsec.IPExtractor(nil)
	f.e.Use(httpsec.SecureHeaders(httpsec.HeadersParams{}))
	f.e.Use(httpsec.BodyLimit(0, nil))
	f.e.Use(f.svc.Authenticate)
	f.e.Use(f.svc.Audit().Middleware)
	f.mountDummies()
	f.srv = httptest.NewUnstartedServer(f.e)
	_ = f.srv.Listener.Close()
	f.srv.Listener = ln
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	contractCheck.Watch(t, f.srv.URL, standIns...)
	for _, r := range []auth.Role{auth.RoleAdmin, auth.RoleOperator, auth.RoleViewer} {
		f.users[r.String()] = authtest.User(t, f.svc, r.String(), r).ID
	}
	return f
}

func ok(c *echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"route": c.Path()}) }

func (f *fixture) mountDummies() {
	s := f.svc
	v1 := f.e.Group("/api/v1")
	v1.GET("/health", ok, s.Public())
	v1.GET("/devices", ok, s.Require(auth.RoleViewer))
	v1.GET("/devices/standalone/list", ok, s.Require(auth.RoleViewer))
	v1.POST("/devices", ok, s.Require(auth.RoleAdmin))
	v1.POST("/alerts/:id/ack", ok, s.Require(auth.RoleOperator))
	v1.GET("/unguarded", ok)
	s.Register(v1)
	f.e.Any("/monitoring/*", ok, s.RequireMethods(auth.RoleOperator, auth.RoleAdmin))
	f.e.GET("/metrics", ok, s.RequireOrAllowIP(auth.RoleViewer, []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}))
	f.e.GET("/metrics-remote", ok, s.RequireOrAllowIP(auth.RoleViewer, []netip.Prefix{netip.MustParsePrefix("127.0.0.99/32")}))
	admin := f.e.Group("/admin", s.Require(auth.RoleViewer))
	admin.GET("/stacked", ok, s.Require(auth.RoleAdmin))
}

// client is one caller: a cookie jar for a session, or a bearer token.
type client struct {
	f      *fixture
	http   *http.Client
	bearer string
	csrf   string
	header http.Header // extra headers on every request
}

func (f *fixture) anon() *client {
	jar, _ := cookiejar.New(nil)
	return &client{f: f, http: &http.Client{Jar: jar, Transport: contractCheck}, header: http.Header{}}
}

func (f *fixture) withToken(secret string) *client {
	c := f.anon()
	c.bearer = secret
	return c
}

// login signs in as user with authtest.Password and returns the session client.
func (f *fixture) login(user string) *client {
	f.t.Helper()
	c := f.anon()
	resp := c.do(http.MethodPost, "/api/v1/auth/login", map[string]string{"username": user, "password": authtest.Password})
	if resp.status != http.StatusOK {
		f.t.Fatalf("login %s: %d %s", user, resp.status, resp.body)
	}
	var info auth.SessionInfo
	resp.decode(f.t, &info)
	c.csrf = info.CSRFToken
	return c
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r response) errCode() string {
	var b httpsec.Body
	_ = json.Unmarshal(r.body, &b)
	return b.Error.Code
}

// do sends a request; body, when not nil, is sent as JSON. Writes carry the CSRF token.
func (c *client) do(method, path string, body any) response {
	c.f.t.Helper()
	var rd io.Reader
	if body != nil {
		if s, isStr := body.(string); isStr {
			rd = strings.NewReader(s)
		} else {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequest(method, c.f.srv.URL+path, rd)
	if err != nil {
		c.f.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	if c.csrf != "" {
		req.Header.Set(auth.CSRFHeader, c.csrf)
	}
	for k, vs := range c.header {
		req.Header[k] = vs
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.f.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// userNamed reads the user called name through GET /users as admin (the zero view when absent).
func (f *fixture) userNamed(admin *client, name string) auth.UserView {
	f.t.Helper()
	var list struct {
		Users []auth.UserView `json:"users"`
	}
	admin.do(http.MethodGet, "/api/v1/users", nil).decode(f.t, &list)
	for _, u := range list.Users {
		if u.Username == name {
			return u
		}
	}
	return auth.UserView{}
}
