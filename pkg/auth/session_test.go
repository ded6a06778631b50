package auth_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
)

func TestCSRF(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.login("admin")
	token := f.withToken(authtest.Token(t, f.svc, auth.RoleAdmin))
	tests := []struct {
		name   string
		c      *client
		csrf   string // "" keeps the client's own
		header map[string]string
		method string
		want   int
	}{
		{"session write with token", admin, "", nil, http.MethodPost, http.StatusOK},
		{"session write without token", admin, "-", nil, http.MethodPost, http.StatusForbidden},
		{"session write with wrong token", admin, "not-the-token", nil, http.MethodPost, http.StatusForbidden},
		{"session write cross-site", admin, "", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.MethodPost, http.StatusForbidden},
		{"session write same-origin", admin, "", map[string]string{"Sec-Fetch-Site": "same-origin"}, http.MethodPost, http.StatusOK},
		{"session read needs no token", admin, "-", nil, http.MethodGet, http.StatusOK},
		{"bearer write is exempt", token, "-", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.MethodPost, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := *tc.c
			c.header = http.Header{}
			switch tc.csrf {
			case "-":
				c.csrf = ""
			case "":
			default:
				c.csrf = tc.csrf
			}
			for k, v := range tc.header {
				c.header.Set(k, v)
			}
			var body any
			if tc.method != http.MethodGet {
				body = map[string]string{}
			}
			resp := c.do(tc.method, "/api/v1/devices", body)
			if resp.status != tc.want {
				t.Errorf("status %d, want %d: %s", resp.status, tc.want, resp.body)
			}
			if tc.want == http.StatusForbidden && resp.errCode() != "csrf_failed" {
				t.Errorf("code %q, want csrf_failed", resp.errCode())
			}
		})
	}
}

func TestLoginRefusesCrossSiteAndForms(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.anon()
	c.header.Set("Sec-Fetch-Site", "cross-site")
	if resp := c.do(http.MethodPost, "/api/v1/auth/login", map[string]string{"username": "admin", "password": authtest.Password}); resp.status != http.StatusForbidden {
		t.Errorf("cross-site login: %d, want 403", resp.status)
	}
	form := url.Values{"username": {"admin"}, "password": {authtest.Password}}
	resp, err := http.Post(f.srv.URL+"/api/v1/auth/login", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("form login: %d, want 415", resp.StatusCode)
	}
}

func TestSessionCookieFlags(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	resp := f.anon().do(http.MethodPost, "/api/v1/auth/login", map[string]string{"username": "viewer", "password": authtest.Password})
	if resp.status != http.StatusOK {
		t.Fatalf("login: %d %s", resp.status, resp.body)
	}
	cookies := map[string]*http.Cookie{}
	for _, ck := range (&http.Response{Header: resp.header}).Cookies() {
		cookies[ck.Name] = ck
	}
	sess, csrf := cookies[auth.SessionCookie], cookies[auth.CSRFCookie]
	if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Path != "/" || sess.MaxAge != 0 {
		t.Errorf("session cookie = %+v", sess)
	}
	if csrf == nil || csrf.HttpOnly || csrf.Value == "" {
		t.Errorf("csrf cookie = %+v", csrf)
	}
	var info auth.SessionInfo
	resp.decode(t, &info)
	if info.CSRFToken != csrf.Value || info.User.Username != "viewer" || info.User.Role != "viewer" {
		t.Errorf("login answer %+v does not match the csrf cookie", info)
	}
}

func TestSecureCookieName(t *testing.T) {
	t.Parallel()
	svc := authtest.NewService(t, auth.Params{CookieSecure: true})
	authtest.User(t, svc, "alice", auth.RoleViewer)
	e := echo.New()
	e.OnAddRoute = svc.OnAddRoute
	e.Use(svc.Authenticate)
	svc.Register(e.Group("/api/v1"))
	req := httptest.NewRequest(http.MethodPost, "/api/v1/auth/login",
		strings.NewReader(`{"username":"alice","password":"`+authtest.Password+`"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	var names []string
	for _, ck := range rec.Result().Cookies() {
		if !ck.Secure {
			t.Errorf("cookie %s not Secure", ck.Name)
		}
		names = append(names, ck.Name)
	}
	if diff := cmp.Diff([]string{auth.SecureSessionCookie, auth.CSRFCookie}, names); diff != "" {
		t.Errorf("cookies (-want +got):\n%s", diff)
	}
}

func TestSessionIdleAndAbsoluteExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	me := func(c *client) int { return c.do(http.MethodGet, "/api/v1/auth/me", nil).status }

	idleClient := f.login("viewer")
	f.clock.Advance(idle - time.Minute)
	if got := me(idleClient); got != http.StatusOK {
		t.Fatalf("just inside idle timeout: %d", got)
	}
	f.clock.Advance(idle - time.Minute) // activity above moved the idle deadline
	if got := me(idleClient); got != http.StatusOK {
		t.Fatalf("activity did not extend the session: %d", got)
	}
	f.clock.Advance(idle)
	if got := me(idleClient); got != http.StatusUnauthorized {
		t.Fatalf("after idle timeout: %d, want 401", got)
	}

	busy := f.login("operator")
	for elapsed := time.Duration(0); elapsed < absolute-10*time.Minute; elapsed += 10 * time.Minute {
		f.clock.Advance(10 * time.Minute)
		if got := me(busy); got != http.StatusOK {
			t.Fatalf("active session refused after %s: %d", elapsed, got)
		}
	}
	f.clock.Advance(10 * time.Minute)
	if got := me(busy); got != http.StatusUnauthorized {
		t.Fatalf("after absolute timeout: %d, want 401", got)
	}
}

func TestLogoutEndsSessionServerSide(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.login("operator")
	u, _ := url.Parse(f.srv.URL)
	stolen := c.http.Jar.Cookies(u)
	if resp := c.do(http.MethodPost, "/api/v1/auth/logout", map[string]string{}); resp.status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", resp.status, resp.body)
	}
	replay := f.anon()
	replay.http.Jar.SetCookies(u, stolen)
	if resp := replay.do(http.MethodGet, "/api/v1/auth/me", nil); resp.status != http.StatusUnauthorized {
		t.Errorf("old cookie after logout: %d, want 401", resp.status)
	}
}

func TestUserChangesEndSessions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.login("admin")
	tests := []struct {
		name   string
		change map[string]any
	}{
		{"disable", map[string]any{"disabled": true}},
		{"role", map[string]any{"role": "viewer"}},
		{"password", map[string]any{"password": "another long password"}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := "victim" + string(rune('a'+i))
			u := authtest.User(t, f.svc, name, auth.RoleOperator)
			victim := f.login(name)
			resp := admin.do(http.MethodPatch, "/api/v1/users/"+itoa(u.ID), tc.change)
			if resp.status != http.StatusOK {
				t.Fatalf("patch: %d %s", resp.status, resp.body)
			}
			if got := victim.do(http.MethodGet, "/api/v1/auth/me", nil).status; got != http.StatusUnauthorized {
				t.Errorf("session after %s change: %d, want 401", tc.name, got)
			}
		})
	}
}

func TestChangeOwnPassword(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.login("viewer")
	other := f.login("viewer")
	resp := c.do(http.MethodPost, "/api/v1/auth/password", map[string]string{"current_password": "wrong wrong wrong", "new_password": "a brand new password"})
	if resp.status != http.StatusBadRequest {
		t.Fatalf("wrong current password: %d %s", resp.status, resp.body)
	}
	resp = c.do(http.MethodPost, "/api/v1/auth/password", map[string]string{"current_password": authtest.Password, "new_password": "short"})
	if resp.status != http.StatusBadRequest || !strings.Contains(string(resp.body), `"new_password"`) {
		t.Fatalf("weak new password: %d %s", resp.status, resp.body)
	}
	resp = c.do(http.MethodPost, "/api/v1/auth/password", map[string]string{"current_password": authtest.Password, "new_password": "a brand new password"})
	if resp.status != http.StatusOK {
		t.Fatalf("change: %d %s", resp.status, resp.body)
	}
	var info auth.SessionInfo
	resp.decode(t, &info)
	c.csrf = info.CSRFToken
	if got := c.do(http.MethodGet, "/api/v1/auth/me", nil).status; got != http.StatusOK {
		t.Errorf("the changing session got a fresh one, but me says %d", got)
	}
	if got := other.do(http.MethodGet, "/api/v1/auth/me", nil).status; got != http.StatusUnauthorized {
		t.Errorf("other session after password change: %d, want 401", got)
	}
	token := f.withToken(authtest.Token(t, f.svc, auth.RoleViewer))
	if got := token.do(http.MethodPost, "/api/v1/auth/password", map[string]string{"current_password": "x", "new_password": "y"}).status; got != http.StatusForbidden {
		t.Errorf("password change with a token: %d, want 403", got)
	}
}
