package auth_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/oidctest"
)

// ssoFixture is the auth fixture with single sign-on against a real OpenID Provider
// (oidctest: zitadel/oidc's op) on loopback. WardOps reaches the provider through tamper,
// which passes everything through unless a test sets it to rewrite the ID token of the next
// token response (a token-substitution attacker between WardOps and the provider).
type ssoFixture struct {
	*fixture
	op     *oidctest.Provider
	tamper *tamperTransport
	client oidctest.Client // WardOps at the provider
	other  oidctest.Client // another relying party at the same provider
}

var ssoUsers = []oidctest.User{
	{Subject: "sub-ana", Username: "ana", Email: "ana@bank.example", Groups: []string{"staff", "noc-admins"}},
	{Subject: "sub-olga", Username: "olga", Email: "olga@bank.example", Groups: []string{"noc-operators"}},
	{Subject: "sub-vera", Username: "vera", Email: "vera@bank.example", Groups: []string{"noc-viewers"}},
	{Subject: "sub-dora", Username: "dora", Email: "dora@bank.example", Groups: []string{"noc-viewers"}},
	{Subject: "sub-nemo", Username: "nemo", Email: "nemo@bank.example", Groups: []string{"canteen"}},
	{Subject: "sub-nora", Username: "nora", Email: "nora@bank.example", Groups: []string{"north-viewers"}},
	// a provider account whose name is a local WardOps account's
	{Subject: "sub-imposter", Username: "admin", Email: "admin@elsewhere.example", Groups: []string{"noc-admins"}},
}

var ssoRoles = map[string]auth.OIDCGrant{
	"noc-admins":    {Role: auth.RoleAdmin},
	"noc-operators": {Role: auth.RoleOperator},
	"noc-viewers":   {Role: auth.RoleViewer},
	"north-viewers": {Role: auth.RoleViewer, Regions: []string{"north"}},
}

func newSSOFixture(t *testing.T, edit ...func(*auth.Params)) *ssoFixture {
	t.Helper()
	ln := oidctest.Listen(t)
	x := &ssoFixture{tamper: &tamperTransport{next: http.DefaultTransport}}
	x.fixture = newFixtureWith(t, fixtureOpts{
		edit: func(p *auth.Params) {
			for _, e := range edit {
				e(p)
			}
		},
		clockStart: time.Now().UTC().Truncate(time.Second), // ID tokens carry the real time
		oidc: func(redirect string) *auth.OIDCParams {
			x.client = oidctest.Client{ID: "wardops", Secret: "wardops-client-secret", RedirectURIs: []string{redirect}}
			x.other = oidctest.Client{ID: "other-app", Secret: "other-client-secret", RedirectURIs: []string{redirect}}
			return &auth.OIDCParams{Issuer: oidctest.IssuerOf(ln), ClientID: x.client.ID, ClientSecret: x.client.Secret,
				RedirectURL: redirect, Roles: ssoRoles,
				HTTPClient: &http.Client{Transport: x.tamper, Timeout: 5 * time.Second}}
		},
	})
	x.op = oidctest.Start(t, ln, []oidctest.Client{x.client, x.other}, ssoUsers)
	return x
}

// browser is a fresh cookie jar that follows redirects, as a browser does.
func (x *ssoFixture) browser() *client { return x.anon() }

// toProvider signs in at the provider from c and returns the callback URL it redirects to.
func (x *ssoFixture) toProvider(c *client, user string) *url.URL {
	x.t.Helper()
	cb, err := x.op.SignIn(c.http, x.srv.URL+"/api/v1/auth/oidc/login", user)
	if err != nil {
		x.t.Fatalf("sign in at the provider as %s: %v", user, err)
	}
	if !strings.HasPrefix(cb.String(), x.srv.URL+"/api/v1/auth/oidc/callback?") {
		x.t.Fatalf("provider redirected to %s, want the WardOps callback", cb)
	}
	return cb
}

// callback calls the provider's redirect URL from c, without following WardOps' redirect.
func (x *ssoFixture) callback(c *client, cb *url.URL) response {
	x.t.Helper()
	h := *c.http
	h.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := h.Get(cb.String())
	if err != nil {
		x.t.Fatalf("GET callback: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// signIn runs the whole flow for user and returns the signed-in client (with its CSRF token).
func (x *ssoFixture) signIn(user string) *client {
	x.t.Helper()
	c := x.browser()
	resp := x.callback(c, x.toProvider(c, user))
	if resp.status != http.StatusSeeOther || resp.header.Get("Location") != "/" {
		x.t.Fatalf("SSO sign-in as %s: %d %s %s", user, resp.status, resp.header.Get("Location"), resp.body)
	}
	var me auth.SessionInfo
	x.me(c).decode(x.t, &me)
	c.csrf = me.CSRFToken
	return c
}

func (x *ssoFixture) me(c *client) response { return c.do(http.MethodGet, "/api/v1/auth/me", nil) }

// TestOIDCSignIn runs the authorization code flow with PKCE through the real provider for a
// user of each mapped role: each gets the normal session (cookie + CSRF) with their role, is
// provisioned as a single sign-on user without a usable password, and the sign-in is audited.
func TestOIDCSignIn(t *testing.T) {
	t.Parallel()
	x := newSSOFixture(t)
	for _, tc := range []struct{ user, role string }{{"ana", "admin"}, {"olga", "operator"}, {"vera", "viewer"}} {
		t.Run(tc.user, func(t *testing.T) {
			c := x.signIn(tc.user)
			var me auth.SessionInfo
			x.me(c).decode(t, &me)
			if me.User.Username != tc.user || me.User.Role != tc.role || me.Via != "session" || me.CSRFToken == "" {
				t.Errorf("me = %+v, want %s as %s over a session with a CSRF token", me, tc.user, tc.role)
			}
			if r := c.do(http.MethodPost, "/api/v1/auth/logout", map[string]string{}); r.status != http.StatusNoContent {
				t.Errorf("logout with the session's CSRF token: %d %s", r.status, r.body)
			}
			// the provisioned account has no password that works
			if r, _ := x.tryLogin(x.anon(), tc.user, "!sso"); r.Code != "invalid_credentials" {
				t.Errorf("password sign-in of an SSO user: %+v, want invalid_credentials", r)
			}
		})
	}
	admin := x.login("admin")
	vera := x.userNamed(admin, "vera")
	if vera.ID == 0 || vera.Role != "viewer" {
		t.Fatalf("vera not provisioned as a viewer: %+v", vera)
	}
	r := admin.do(http.MethodPatch, "/api/v1/users/"+itoa(vera.ID), map[string]string{"password": "a brand new password"})
	if r.status != http.StatusBadRequest || r.errCode() != "invalid_field" {
		t.Errorf("setting a password on an SSO user: %d %s, want 400 invalid_field", r.status, r.body)
	}
	got := x.audit(t, "auth.login")
	if n := countDetail(got, "method", "oidc"); n != 3 {
		t.Errorf("%d auth.login entries with method oidc, want 3: %+v", n, got)
	}
}

// TestOIDCRoleFollowsClaims: the role is re-evaluated at every sign-in; a change ends the
// user's older sessions, and losing every mapped group refuses the next sign-in.
// TestOIDCScopedGrant: a claim mapped to a scoped role gives the role with its scope — on the
// session, on the stored user — and a returning user whose claims changed gets the new scope.
func TestOIDCScopedGrant(t *testing.T) {
	t.Parallel()
	x := newSSOFixture(t)
	c := x.signIn("nora")
	var me auth.SessionInfo
	x.me(c).decode(t, &me)
	want := auth.Scope{Regions: []string{"north"}, Branches: []string{}}
	if me.User.Role != "viewer" || !me.User.Scope.Equal(want) {
		t.Fatalf("nora signed in as %s scoped %+v, want viewer scoped to region north", me.User.Role, me.User.Scope)
	}
	x.op.SetGroups("sub-nora", "noc-viewers")
	c = x.signIn("nora")
	x.me(c).decode(t, &me)
	if me.User.Role != "viewer" || !me.User.Scope.All() {
		t.Errorf("after the claim changed to noc-viewers: %s scoped %+v, want an unscoped viewer", me.User.Role, me.User.Scope)
	}
}

func TestOIDCRoleFollowsClaims(t *testing.T) {
	t.Parallel()
	x := newSSOFixture(t)
	first := x.signIn("vera")
	x.op.SetGroups("sub-vera", "noc-admins")
	second := x.signIn("vera")
	var me auth.SessionInfo
	x.me(second).decode(t, &me)
	if me.User.Role != "admin" {
		t.Errorf("after the provider made vera an admin: role %s", me.User.Role)
	}
	if r := x.me(first); r.status != http.StatusUnauthorized {
		t.Errorf("vera's viewer session after the role change: %d, want 401", r.status)
	}
	x.op.SetGroups("sub-vera", "canteen")
	c := x.browser()
	if r := x.callback(c, x.toProvider(c, "vera")); r.status != http.StatusForbidden || !strings.Contains(string(r.body), `data-code="no_role"`) {
		t.Errorf("vera without a mapped group: %d %s", r.status, r.body)
	}
}

// TestOIDCTwoTabs: two sign-ins started in one browser both complete, in either order.
func TestOIDCTwoTabs(t *testing.T) {
	t.Parallel()
	x := newSSOFixture(t)
	c := x.browser()
	first, second := x.toProvider(c, "vera"), x.toProvider(c, "vera")
	for _, cb := range []*url.URL{second, first} {
		if r := x.callback(c, cb); r.status != http.StatusSeeOther {
			t.Errorf("callback: %d %s", r.status, r.body)
		}
	}
}

// TestOIDCSessionLifetime: a session from single sign-on follows the WardOps session rules
// (here the idle timeout), whatever the ID token's own lifetime.
func TestOIDCSessionLifetime(t *testing.T) {
	t.Parallel()
	x := newSSOFixture(t)
	c := x.signIn("olga")
	x.clock.Advance(idle - time.Minute)
	if r := x.me(c); r.status != http.StatusOK {
		t.Fatalf("within the idle timeout: %d", r.status)
	}
	x.clock.Advance(idle + time.Second)
	if r := x.me(c); r.status != http.StatusUnauthorized {
		t.Errorf("after the idle timeout: %d, want 401", r.status)
	}
}

type tamperTransport struct {
	next http.RoundTripper
	mu   sync.Mutex
	swap func(idToken string) string // applied to the next token response, then cleared
}

func (tt *tamperTransport) next1(f func(string) string) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	tt.swap = f
}

func (tt *tamperTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := tt.next.RoundTrip(req)
	tt.mu.Lock()
	swap := tt.swap
	if err != nil || req.Method != http.MethodPost || !strings.HasSuffix(req.URL.Path, "/oauth/token") {
		swap = nil
	} else {
		tt.swap = nil
	}
	tt.mu.Unlock()
	if swap == nil {
		return resp, err
	}
	var body map[string]any
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if json.Unmarshal(raw, &body) == nil {
		if id, ok := body["id_token"].(string); ok {
			body["id_token"] = swap(id)
		}
		raw, _ = json.Marshal(body)
	}
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	resp.ContentLength = int64(len(raw))
	resp.Header.Set("Content-Length", strconv.Itoa(len(raw)))
	return resp, nil
}

// audit returns the audit entries with action, newest first.
func (x *ssoFixture) audit(t *testing.T, action string) []map[string]any {
	t.Helper()
	var out struct{ Entries []map[string]any }
	x.login("admin").do(http.MethodGet, "/api/v1/audit?action="+action, nil).decode(t, &out)
	return out.Entries
}

func countDetail(entries []map[string]any, k, v string) int {
	n := 0
	for _, e := range entries {
		if d, ok := e["detail"].(map[string]any); ok && d[k] == v {
			n++
		}
	}
	return n
}
