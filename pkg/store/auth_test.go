package store_test

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

func newAuthStore(t *testing.T) *store.Store {
	t.Helper()
	return store.New(testenv.NewDB(t), 5*time.Second, nil)
}

func TestUsersLastAdmin(t *testing.T) {
	st := newAuthStore(t)
	ctx := testenv.Ctx(t, 30*time.Second)
	admin, err := st.CreateUser(ctx, store.User{Username: "root", Role: "admin", PasswordHash: "h"})
	testenv.Must(t, "create admin", err)
	viewer, err := st.CreateUser(ctx, store.User{Username: "eve", Role: "viewer", PasswordHash: "h"})
	testenv.Must(t, "create viewer", err)
	if _, err := st.CreateUser(ctx, store.User{Username: "eve", Role: "viewer", PasswordHash: "h"}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate username: got %v, want ErrConflict", err)
	}

	tests := []struct {
		name   string
		id     int64
		change func(*store.User) error
		want   error
	}{
		{"demote last admin", admin.ID, func(u *store.User) error { u.Role = "operator"; return nil }, store.ErrLastAdmin},
		{"disable last admin", admin.ID, func(u *store.User) error { u.Disabled = true; return nil }, store.ErrLastAdmin},
		{"promote viewer", viewer.ID, func(u *store.User) error { u.Role = "admin"; return nil }, nil},
		{"now demoting the first admin is fine", admin.ID, func(u *store.User) error { u.Role = "viewer"; return nil }, nil},
		{"missing user", 9999, func(u *store.User) error { return nil }, store.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := st.UpdateUser(ctx, tc.id, tc.change)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := st.DeleteUser(ctx, viewer.ID); !errors.Is(err, store.ErrLastAdmin) {
		t.Fatalf("delete last admin: got %v, want ErrLastAdmin", err)
	}
	before, after, err := st.UpdateUser(ctx, admin.ID, func(u *store.User) error { u.PasswordHash = "h2"; return nil })
	testenv.Must(t, "change hash", err)
	if !after.PasswordChangedAt.After(before.PasswordChangedAt) {
		t.Errorf("password_changed_at not moved: %v -> %v", before.PasswordChangedAt, after.PasswordChangedAt)
	}
}

func TestCreateFirstUserOnce(t *testing.T) {
	st := newAuthStore(t)
	ctx := testenv.Ctx(t, 30*time.Second)
	var got []bool
	for range 3 {
		ok, err := st.CreateFirstUser(ctx, store.User{Username: "admin", Role: "admin", PasswordHash: "h"})
		testenv.Must(t, "create first user", err)
		got = append(got, ok)
	}
	if diff := cmp.Diff([]bool{true, false, false}, got); diff != "" {
		t.Errorf("created (-want +got):\n%s", diff)
	}
}

func TestAPITokens(t *testing.T) {
	st := newAuthStore(t)
	ctx := testenv.Ctx(t, 30*time.Second)
	u, err := st.CreateUser(ctx, store.User{Username: "ci", Role: "operator", PasswordHash: "h"})
	testenv.Must(t, "create user", err)
	hash := make([]byte, 32)
	hash[0] = 7
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tok, err := st.CreateAPIToken(ctx, store.APIToken{Name: "ci", UserID: u.ID, Role: "viewer", Prefix: "wdo_abc", ExpiresAt: &exp}, hash)
	testenv.Must(t, "create token", err)
	got, gu, err := st.APITokenByHash(ctx, hash)
	testenv.Must(t, "token by hash", err)
	if diff := cmp.Diff(tok, got); diff != "" {
		t.Errorf("token by hash (-want +got):\n%s", diff)
	}
	if gu.Role != "operator" || gu.Disabled {
		t.Errorf("token user = %+v", gu)
	}
	ip := netip.MustParseAddr("127.0.0.1")
	now := time.Now().UTC().Truncate(time.Microsecond)
	testenv.Must(t, "touch", st.TouchAPIToken(ctx, tok.ID, now, &ip))
	testenv.Must(t, "touch again within a minute", st.TouchAPIToken(ctx, tok.ID, now.Add(30*time.Second), &ip))
	got, err = st.APITokenByID(ctx, tok.ID)
	testenv.Must(t, "read", err)
	if got.LastUsedAt == nil || !got.LastUsedAt.Equal(now) || got.LastUsedIP == nil || *got.LastUsedIP != ip {
		t.Errorf("last use = %v %v, want %v %v", got.LastUsedAt, got.LastUsedIP, now, ip)
	}
	r1, err := st.RevokeAPIToken(ctx, tok.ID, now)
	testenv.Must(t, "revoke", err)
	r2, err := st.RevokeAPIToken(ctx, tok.ID, now.Add(time.Hour))
	testenv.Must(t, "revoke again", err)
	if !r2.RevokedAt.Equal(*r1.RevokedAt) {
		t.Errorf("second revoke moved revoked_at: %v -> %v", r1.RevokedAt, r2.RevokedAt)
	}
	if _, err := st.RevokeAPIToken(ctx, 9999, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoke missing: %v", err)
	}
	if _, _, err := st.APITokenByHash(ctx, make([]byte, 32)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown hash: %v", err)
	}
}
