package auth_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
)

// TestDisplaySignIn: a display token signs a wall screen in for longer than a shift, reaches
// only what the wall shows, is audited, and revoking it ends the screen's session at once.
func TestDisplaySignIn(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.login("admin")
	resp := admin.do(http.MethodPost, "/api/v1/tokens", map[string]any{"name": "noc wall", "role": "viewer", "purpose": "display",
		"user_id": f.users["viewer"]})
	if resp.status != http.StatusCreated {
		t.Fatalf("create display token: %d %s", resp.status, resp.body)
	}
	var created auth.CreatedToken
	resp.decode(t, &created)
	if created.Token.Purpose != "display" || created.Token.ExpiresAt != nil || !created.Token.Active {
		t.Fatalf("display token = %+v, want purpose display with no expiry", created.Token)
	}

	wall := f.anon()
	resp = wall.do(http.MethodPost, "/api/v1/auth/display", map[string]string{"token": created.Secret})
	if resp.status != http.StatusOK {
		t.Fatalf("display sign-in: %d %s", resp.status, resp.body)
	}
	var info auth.SessionInfo
	resp.decode(t, &info)
	if !info.Display || info.ExpiresAt != nil || info.User.Role != "viewer" {
		t.Fatalf("display session = %+v", info)
	}
	wall.csrf = info.CSRFToken
	authtest.AssertNoSecrets(t, "display sign-in answer", resp.body, created.Secret)

	// what the wall shows answers; anything else is refused, viewer route or not
	for _, c := range []struct {
		method, path string
		want         int
		code         string
	}{
		{http.MethodGet, "/api/v1/devices/standalone/list", http.StatusOK, ""},
		{http.MethodGet, "/api/v1/auth/me", http.StatusOK, ""},
		{http.MethodGet, "/api/v1/health", http.StatusOK, ""},
		{http.MethodGet, "/api/v1/devices", http.StatusForbidden, "display_only"},
		{http.MethodPost, "/api/v1/auth/password", http.StatusForbidden, "display_only"},
		{http.MethodPost, "/api/v1/alerts/1/ack", http.StatusForbidden, "display_only"},
		{http.MethodGet, "/api/v1/tokens", http.StatusForbidden, "display_only"},
	} {
		got := wall.do(c.method, c.path, map[string]string{})
		if c.method == http.MethodGet {
			got = wall.do(c.method, c.path, nil)
		}
		if got.status != c.want || (c.code != "" && got.errCode() != c.code) {
			t.Errorf("display %s %s: %d %s, want %d %s", c.method, c.path, got.status, got.body, c.want, c.code)
		}
	}
	// the same secret as a bearer token is bound the same way
	if got := f.withToken(created.Secret).do(http.MethodGet, "/api/v1/devices", nil); got.status != http.StatusForbidden {
		t.Errorf("display token as bearer on /devices: %d, want 403", got.status)
	}

	// a day and a half of a wall screen refreshing every few minutes: no sign-in form
	// (an ordinary session ends after the fixture's absolute 2 h)
	for elapsed := time.Duration(0); elapsed < 36*time.Hour; elapsed += 20 * time.Minute {
		f.clock.Advance(20 * time.Minute)
		if got := wall.do(http.MethodGet, "/api/v1/devices/standalone/list", nil).status; got != http.StatusOK {
			t.Fatalf("display session refused after %s: %d", elapsed, got)
		}
	}
	admin = f.login("admin")

	// refused: an API token, a mistyped one, and a display token for a role above viewer
	apiSecret := authtest.Token(t, f.svc, auth.RoleViewer)
	for name, secret := range map[string]string{"api token": apiSecret, "mistyped": created.Secret[:len(created.Secret)-1] + "x"} {
		if got := f.anon().do(http.MethodPost, "/api/v1/auth/display", map[string]string{"token": secret}); got.status != http.StatusUnauthorized || got.errCode() != "invalid_token" {
			t.Errorf("%s as display sign-in: %d %s, want 401 invalid_token", name, got.status, got.body)
		}
	}
	resp = admin.do(http.MethodPost, "/api/v1/tokens", map[string]any{"name": "wall admin", "role": "admin", "purpose": "display"})
	if resp.status != http.StatusBadRequest || !strings.Contains(string(resp.body), `"field":"role"`) {
		t.Errorf("display token with role admin: %d %s, want 400 on role", resp.status, resp.body)
	}

	if got := admin.do(http.MethodDelete, "/api/v1/tokens/"+itoa(created.Token.ID), nil).status; got != http.StatusNoContent {
		t.Fatalf("revoke: %d", got)
	}
	if got := wall.do(http.MethodGet, "/api/v1/devices/standalone/list", nil).status; got != http.StatusUnauthorized {
		t.Errorf("display session after its token was revoked: %d, want 401", got)
	}
	if got := f.anon().do(http.MethodPost, "/api/v1/auth/display", map[string]string{"token": created.Secret}); got.status != http.StatusUnauthorized {
		t.Errorf("revoked display token signs in: %d", got.status)
	}
	audit := admin.do(http.MethodGet, "/api/v1/audit?limit=100", nil)
	for _, action := range []string{"token.create", "auth.display_login", "token.revoke"} {
		if !strings.Contains(string(audit.body), `"action":"`+action+`"`) {
			t.Errorf("audit lacks %s: %s", action, audit.body)
		}
	}
	authtest.AssertNoSecrets(t, "audit", audit.body, created.Secret)
	authtest.AssertNoSecrets(t, "logs", f.logs.Bytes(), created.Secret)
}
