// Package authtest helps tests of WardOps' HTTP surface: an auth.Service on the test's own
// PostgreSQL database and Redis DB with cheap password hashing, callers of each role, a
// movable clock, the route-audit check and a scan for leaked secrets.
package authtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/audit"
	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

// CheapHash returns hashing costs that make tests fast (never use them in production).
func CheapHash() auth.HashParams { return auth.HashParams{MemoryKiB: 64, Iterations: 1, Threads: 1} }

// NewService returns a Service for a test. Zero fields of p are filled: Store on a fresh
// migrated database (testenv.NewDB), Redis on the test's own DB (testenv.NewRedis), CheapHash,
// and a RedisPrefix of its own: Redis pub/sub ignores DB numbers, so a test's revocation
// notices (on RedisPrefix + "revoked") must not reach the live streams of tests running beside it.
func NewService(t testing.TB, p auth.Params) *auth.Service {
	t.Helper()
	if p.RedisPrefix == "" {
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		p.RedisPrefix = "wardops:auth:test-" + hex.EncodeToString(b) + ":"
	}
	if p.Store == nil {
		p.Store = store.New(testenv.NewDB(t), 10*time.Second, p.Logger)
	}
	if p.Redis == nil {
		p.Redis = testenv.NewRedis(t)
	}
	if p.Hash == (auth.HashParams{}) {
		p.Hash = CheapHash()
	}
	svc, err := auth.NewService(p)
	if err != nil {
		t.Fatalf("new auth service: %v", err)
	}
	return svc
}

// SystemCtx returns a context whose audit actor is "test", for setup writes.
func SystemCtx(t testing.TB) context.Context {
	return audit.WithActor(testenv.Ctx(t, time.Minute), audit.Actor{Name: "test", Via: audit.ViaSystem})
}

// Password is the password User gives every user it creates.
const Password = "correct horse battery staple"

// User creates a user called name with role and Password.
func User(t testing.TB, svc *auth.Service, name string, role auth.Role) store.User {
	t.Helper()
	u, err := svc.CreateUser(SystemCtx(t), auth.NewUser{Username: name, Role: role, Password: Password})
	if err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	return u
}

// ScopedUser creates a user called name with role, scope and Password.
func ScopedUser(t testing.TB, svc *auth.Service, name string, role auth.Role, scope auth.Scope) store.User {
	t.Helper()
	u, err := svc.CreateUser(SystemCtx(t), auth.NewUser{Username: name, Role: role, Password: Password, Scope: scope})
	if err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	return u
}

// Token creates a user "<role>-bot-N" with role and returns a bearer token secret for it.
func Token(t testing.TB, svc *auth.Service, role auth.Role) string {
	t.Helper()
	return ScopedToken(t, svc, role, auth.Scope{})
}

// ScopedToken creates a user "<role>-bot-N" with role and scope and returns a bearer token
// secret for it (the token acts with its user's scope).
func ScopedToken(t testing.TB, svc *auth.Service, role auth.Role, scope auth.Scope) string {
	t.Helper()
	u := ScopedUser(t, svc, fmt.Sprintf("%s-bot-%d", role, time.Now().UnixNano()), role, scope)
	secret, _, err := svc.CreateToken(SystemCtx(t), auth.NewToken{Name: "test", UserID: u.ID, Role: role})
	if err != nil {
		t.Fatalf("create %s token: %v", role, err)
	}
	return secret
}

// Clock is a settable clock for auth.Params.Now.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts a clock at start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// CheckRoutes is the route audit: it fails t unless every route registered on e has exactly
// the access rule want gives it ("public", "viewer", "read:operator write:admin", …; see
// auth.Service.RouteTable), and want lists no route that does not exist.
func CheckRoutes(t testing.TB, svc *auth.Service, e *echo.Echo, want map[auth.RouteKey]string) {
	t.Helper()
	got := svc.RouteTable(e.Router().Routes())
	if diff := cmp.Diff(want, got); diff != "" {
		var b strings.Builder
		for _, k := range auth.SortedKeys(got) {
			fmt.Fprintf(&b, "\t{%q, %q}: %q,\n", k.Method, k.Path, got[k])
		}
		t.Errorf("route access rules differ from the table (-want +got):\n%s\nregistered routes now:\n%s", diff, b.String())
	}
}

// AssertNoSecrets fails t if data (a response body, captured logs) contains any of secrets,
// as is or JSON-escaped, URL-escaped or base64-encoded. where names data in the failure.
func AssertNoSecrets(t testing.TB, where string, data []byte, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s == "" {
			continue
		}
		js, _ := json.Marshal(s)
		forms := map[string]string{
			"plain": s, "json": strings.Trim(string(js), `"`), "url": url.QueryEscape(s),
			"base64": base64.StdEncoding.EncodeToString([]byte(s)), "base64url": base64.RawURLEncoding.EncodeToString([]byte(s)),
		}
		for enc, f := range forms {
			if bytes.Contains(data, []byte(f)) {
				t.Errorf("%s contains a secret (%s form) %q", where, enc, mask(s))
			}
		}
	}
}

func mask(s string) string {
	if len(s) <= 4 {
		return "****"
	}
	return s[:4] + "…"
}
