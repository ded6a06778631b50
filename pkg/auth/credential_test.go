package auth_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/testinfra/testenv"
)

// capture adds a viewer route that records the caller's identity, and returns a function
// that authenticates c through it.
func (f *fixture) capture() func(c *client) auth.Identity {
	var got auth.Identity
	f.e.GET("/api/v1/test/identity", func(c *echo.Context) error {
		got, _ = auth.Principal(c)
		return ok(c)
	}, f.svc.Require(auth.RoleViewer))
	return func(c *client) auth.Identity {
		f.t.Helper()
		if r := c.do(http.MethodGet, "/api/v1/test/identity", nil); r.status != http.StatusOK {
			f.t.Fatalf("identity: HTTP %d %s", r.status, r.body)
		}
		return got
	}
}

// TestCheckCredential: the re-check of a live stream's credential sees every way a session
// or token ends, says how long a good one stands, and does not count as session activity.
func TestCheckCredential(t *testing.T) {
	f := newFixture(t)
	identity := f.capture()
	ctx := authtest.SystemCtx(t)
	token := func(name string, role auth.Role) (int64, auth.Identity) {
		u := authtest.User(t, f.svc, name, role)
		secret, tok, err := f.svc.CreateToken(ctx, auth.NewToken{Name: name, UserID: u.ID, Role: role,
			ExpiresAt: f.clock.Now().Add(3 * time.Hour)})
		testenv.Must(t, "create token", err)
		return tok.ID, identity(f.withToken(secret))
	}
	cases := []struct {
		name      string
		setup     func() auth.Identity // returns the identity to check, after whatever ends it
		wantValid time.Duration
		wantEnd   string
	}{
		{"session fresh", func() auth.Identity { return identity(f.login("viewer")) }, idle, ""},
		{"session later, not touched by checks", func() auth.Identity {
			id := identity(f.login("viewer"))
			f.clock.Advance(20 * time.Minute)
			_, _ = f.svc.CheckCredential(ctx, id) // must not move the idle deadline
			return id
		}, idle - 20*time.Minute, ""},
		{"session logged out", func() auth.Identity {
			c := f.login("viewer")
			id := identity(c)
			c.do(http.MethodPost, "/api/v1/auth/logout", nil)
			return id
		}, 0, events.ReasonLoggedOut},
		{"session idle", func() auth.Identity {
			id := identity(f.login("viewer"))
			f.clock.Advance(idle)
			return id
		}, 0, events.ReasonExpired},
		{"session of a changed user", func() auth.Identity {
			id := identity(f.login("operator"))
			role := auth.RoleViewer
			_, err := f.svc.UpdateUser(ctx, f.users["operator"], auth.UserChange{Role: &role})
			testenv.Must(t, "demote", err)
			return id
		}, 0, events.ReasonLoggedOut},
		{"token fresh", func() auth.Identity { _, id := token("bot-fresh", auth.RoleViewer); return id }, 3 * time.Hour, ""},
		{"token revoked", func() auth.Identity {
			tid, id := token("bot-revoked", auth.RoleViewer)
			_, err := f.svc.RevokeToken(ctx, tid)
			testenv.Must(t, "revoke", err)
			return id
		}, 0, events.ReasonRevoked},
		{"token expired", func() auth.Identity {
			_, id := token("bot-expired", auth.RoleViewer)
			f.clock.Advance(3 * time.Hour)
			return id
		}, 0, events.ReasonExpired},
		{"token of a disabled user", func() auth.Identity {
			_, id := token("bot-disabled", auth.RoleViewer)
			yes := true
			_, err := f.svc.UpdateUser(ctx, id.UserID, auth.UserChange{Disabled: &yes})
			testenv.Must(t, "disable", err)
			return id
		}, 0, events.ReasonRevoked},
		{"token whose user was demoted", func() auth.Identity {
			_, id := token("bot-demoted", auth.RoleOperator)
			role := auth.RoleViewer
			_, err := f.svc.UpdateUser(ctx, id.UserID, auth.UserChange{Role: &role})
			testenv.Must(t, "demote", err)
			return id
		}, 0, events.ReasonRevoked},
		{"token of a deleted user", func() auth.Identity {
			_, id := token("bot-deleted", auth.RoleViewer)
			_, err := f.svc.DeleteUser(ctx, id.UserID)
			testenv.Must(t, "delete", err)
			return id
		}, 0, events.ReasonRevoked},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			valid, err := f.svc.CheckCredential(ctx, tc.setup())
			var ended *auth.CredentialEndedError
			gotEnd := ""
			if errors.As(err, &ended) {
				gotEnd = ended.Reason
			} else if err != nil {
				t.Fatalf("CheckCredential: %v", err)
			}
			if diff := cmp.Diff(tc.wantEnd, gotEnd); diff != "" {
				t.Errorf("end reason (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantValid, valid); diff != "" {
				t.Errorf("valid for (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRevocationNotices: each way a credential ends publishes the notice that ends its live
// streams on every replica.
func TestRevocationNotices(t *testing.T) {
	f := newFixture(t)
	identity := f.capture()
	ctx := authtest.SystemCtx(t)
	ps := testenv.NewRedis(t).Subscribe(ctx, f.svc.RevokedChannel())
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	next := func(what string) events.Revocation {
		t.Helper()
		m, err := ps.ReceiveMessage(testenv.Ctx(t, 3*time.Second))
		if err != nil {
			t.Fatalf("%s: no revocation notice: %v", what, err)
		}
		var r events.Revocation
		testenv.Must(t, "decode notice", json.Unmarshal([]byte(m.Payload), &r))
		return r
	}

	c := f.login("viewer")
	handle := identity(c).SessionHandle()
	if handle == "" {
		t.Fatal("a session identity has no SessionHandle")
	}
	c.do(http.MethodPost, "/api/v1/auth/logout", nil)
	if diff := cmp.Diff(events.Revocation{Session: handle, Reason: events.ReasonLoggedOut}, next("logout")); diff != "" {
		t.Errorf("logout notice (-want +got):\n%s", diff)
	}

	u := authtest.User(t, f.svc, "bot", auth.RoleViewer)
	_, tok, err := f.svc.CreateToken(ctx, auth.NewToken{Name: "bot", UserID: u.ID, Role: auth.RoleViewer})
	testenv.Must(t, "create token", err)
	_, err = f.svc.RevokeToken(ctx, tok.ID)
	testenv.Must(t, "revoke", err)
	if diff := cmp.Diff(events.Revocation{TokenID: tok.ID, Reason: events.ReasonRevoked}, next("revoke")); diff != "" {
		t.Errorf("revoke notice (-want +got):\n%s", diff)
	}

	pw := "a brand new long password"
	_, err = f.svc.UpdateUser(ctx, u.ID, auth.UserChange{Password: &pw})
	testenv.Must(t, "new password", err)
	if diff := cmp.Diff(events.Revocation{UserID: u.ID, Reason: events.ReasonRevoked}, next("password change")); diff != "" {
		t.Errorf("user notice (-want +got):\n%s", diff)
	}
}
