package auth_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
)

func TestTokenLifecycle(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.login("admin")
	resp := admin.do(http.MethodPost, "/api/v1/tokens", map[string]any{"name": "ci", "role": "operator",
		"user_id": f.users["operator"], "expires_at": f.clock.Now().Add(48 * time.Hour).Format(time.RFC3339)})
	if resp.status != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.status, resp.body)
	}
	var created auth.CreatedToken
	resp.decode(t, &created)
	if !strings.HasPrefix(created.Secret, "wdo_") || !created.Token.Active || created.Token.Role != "operator" {
		t.Fatalf("created = %+v", created)
	}
	bot := f.withToken(created.Secret)
	if got := bot.do(http.MethodPost, "/api/v1/alerts/1/ack", map[string]string{}).status; got != http.StatusOK {
		t.Fatalf("operator token on operator route: %d", got)
	}
	if got := bot.do(http.MethodPost, "/api/v1/devices", map[string]string{}).status; got != http.StatusForbidden {
		t.Fatalf("operator token on admin route: %d", got)
	}

	list := admin.do(http.MethodGet, "/api/v1/tokens", nil)
	authtest.AssertNoSecrets(t, "token list", list.body, created.Secret)
	if !strings.Contains(string(list.body), `"last_used_ip":"127.0.0.1"`) {
		t.Errorf("token list lacks last use: %s", list.body)
	}

	if got := admin.do(http.MethodDelete, "/api/v1/tokens/"+itoa(created.Token.ID), nil).status; got != http.StatusNoContent {
		t.Fatalf("revoke: %d", got)
	}
	resp = bot.do(http.MethodGet, "/api/v1/devices", nil)
	if resp.status != http.StatusUnauthorized || resp.errCode() != "invalid_token" {
		t.Errorf("revoked token: %d %s, want 401 invalid_token", resp.status, resp.body)
	}
	audit := admin.do(http.MethodGet, "/api/v1/audit?action=token.*", nil)
	authtest.AssertNoSecrets(t, "audit of token changes", audit.body, created.Secret)
	authtest.AssertNoSecrets(t, "logs", f.logs.Bytes(), created.Secret, authtest.Password)
}

func TestTokenRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	operatorSecret := authtest.Token(t, f.svc, auth.RoleOperator)
	viewerUser := authtest.User(t, f.svc, "vw", auth.RoleViewer)
	viewerSecret, _, err := f.svc.CreateToken(authtest.SystemCtx(t), auth.NewToken{Name: "v", UserID: viewerUser.ID, Role: auth.RoleViewer,
		ExpiresAt: f.clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	admin := f.login("admin")

	t.Run("user disabled", func(t *testing.T) {
		u := authtest.User(t, f.svc, "gone", auth.RoleViewer)
		secret, _, err := f.svc.CreateToken(authtest.SystemCtx(t), auth.NewToken{Name: "g", UserID: u.ID, Role: auth.RoleViewer})
		if err != nil {
			t.Fatal(err)
		}
		admin.do(http.MethodPatch, "/api/v1/users/"+itoa(u.ID), map[string]any{"disabled": true})
		if got := f.withToken(secret).do(http.MethodGet, "/api/v1/devices", nil).status; got != http.StatusUnauthorized {
			t.Errorf("token of disabled user: %d, want 401", got)
		}
	})
	t.Run("capped by demoted user", func(t *testing.T) {
		u := authtest.User(t, f.svc, "demoted", auth.RoleAdmin)
		secret, _, err := f.svc.CreateToken(authtest.SystemCtx(t), auth.NewToken{Name: "d", UserID: u.ID, Role: auth.RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		admin.do(http.MethodPatch, "/api/v1/users/"+itoa(u.ID), map[string]any{"role": "viewer"})
		if got := f.withToken(secret).do(http.MethodPost, "/api/v1/devices", map[string]string{}).status; got != http.StatusForbidden {
			t.Errorf("admin token of a demoted user on an admin route: %d, want 403", got)
		}
	})
	t.Run("garbage and wrong scheme", func(t *testing.T) {
		last := operatorSecret[len(operatorSecret)-1]
		flipped := operatorSecret[:len(operatorSecret)-1] + map[bool]string{true: "B", false: "A"}[last == 'A']
		for i, h := range []string{"Bearer wdo_short", "Bearer " + strings.Repeat("x", 47), "Basic YWRtaW46eA==", "Bearer " + flipped} {
			c := f.anon()
			c.header.Set("Authorization", h)
			if got := c.do(http.MethodGet, "/api/v1/health", nil).status; got != http.StatusUnauthorized {
				t.Errorf("header %d: %d, want 401", i, got)
			}
		}
	})
	t.Run("role above owner", func(t *testing.T) {
		resp := admin.do(http.MethodPost, "/api/v1/tokens", map[string]any{"name": "x", "role": "admin", "user_id": f.users["viewer"]})
		if resp.status != http.StatusBadRequest || !strings.Contains(string(resp.body), `"field":"role"`) {
			t.Errorf("admin token for a viewer: %d %s", resp.status, resp.body)
		}
	})
	t.Run("bad expiry", func(t *testing.T) {
		for _, exp := range []string{"tomorrow", f.clock.Now().Add(-time.Hour).Format(time.RFC3339), "2999-01-01T00:00:00Z"} {
			resp := admin.do(http.MethodPost, "/api/v1/tokens", map[string]any{"name": "x", "role": "viewer", "expires_at": exp})
			if resp.status != http.StatusBadRequest || !strings.Contains(string(resp.body), `"field":"expires_at"`) {
				t.Errorf("expires_at %q: %d %s", exp, resp.status, resp.body)
			}
		}
	})
	t.Run("expired", func(t *testing.T) {
		f.clock.Advance(time.Hour) // the last subtest: this also ends the admin session
		if got := f.withToken(viewerSecret).do(http.MethodGet, "/api/v1/devices", nil).status; got != http.StatusUnauthorized {
			t.Errorf("expired token: %d, want 401", got)
		}
	})
}
