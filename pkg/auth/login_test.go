package auth_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
)

type loginResult struct {
	Status int
	Code   string
}

func (f *fixture) tryLogin(c *client, user, pw string) (loginResult, response) {
	resp := c.do(http.MethodPost, "/api/v1/auth/login", map[string]string{"username": user, "password": pw})
	return loginResult{resp.status, resp.errCode()}, resp
}

func TestLoginSameAnswerForUnknownUserAndWrongPassword(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.anon()
	_, wrong := f.tryLogin(c, "operator", "not the password!")
	_, unknown := f.tryLogin(c, "nobody-here", "not the password!")
	if wrong.status != http.StatusUnauthorized || string(wrong.body) != string(unknown.body) {
		t.Errorf("answers differ: wrong password %d %s, unknown user %d %s", wrong.status, wrong.body, unknown.status, unknown.body)
	}
	authtest.User(t, f.svc, "dormant", auth.RoleViewer)
	f.svc.UpdateUser(authtest.SystemCtx(t), mustUserID(t, f, "dormant"), auth.UserChange{Disabled: ptr(true)})
	_, disabled := f.tryLogin(c, "dormant", authtest.Password)
	if string(disabled.body) != string(unknown.body) {
		t.Errorf("disabled account answer %s differs from unknown user %s", disabled.body, unknown.body)
	}
}

func mustUserID(t *testing.T, f *fixture, name string) int64 {
	t.Helper()
	resp := f.login("admin").do(http.MethodGet, "/api/v1/users", nil)
	var out struct {
		Users []auth.UserView `json:"users"`
	}
	resp.decode(t, &out)
	for _, u := range out.Users {
		if u.Username == name {
			return u.ID
		}
	}
	t.Fatalf("no user %s", name)
	return 0
}

func ptr[T any](v T) *T { return &v }

func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.anon()
	unauth := loginResult{http.StatusUnauthorized, "invalid_credentials"}
	throttled := loginResult{http.StatusTooManyRequests, "throttled"}
	okLogin := loginResult{http.StatusOK, ""}

	for _, user := range []string{"viewer", "no-such-user"} {
		t.Run(user, func(t *testing.T) {
			var got []loginResult
			for range auth.DefaultUserFreeFailures {
				r, _ := f.tryLogin(c, user, "wrong password!!")
				got = append(got, r)
			}
			// the correct password is refused too while the backoff runs
			r, resp := f.tryLogin(c, user, authtest.Password)
			got = append(got, r)
			want := []loginResult{unauth, unauth, unauth, unauth, unauth, throttled}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
			if ra, _ := strconv.Atoi(resp.header.Get("Retry-After")); ra < 1 {
				t.Errorf("Retry-After = %q", resp.header.Get("Retry-After"))
			}
		})
	}

	// after the wait, the right password works and clears the user's count
	f.clock.Advance(2 * auth.DefaultBackoffBase)
	if r, resp := f.tryLogin(c, "viewer", authtest.Password); r != okLogin {
		t.Fatalf("after backoff: %+v %s", r, resp.body)
	}
	if r, _ := f.tryLogin(c, "viewer", "wrong password!!"); r != unauth {
		t.Fatalf("first failure after success: %+v", r)
	}
	// the backoff doubles with each failure past the free ones: 1 s, 2 s, 4 s …
	var got []loginResult
	for _, wait := range []time.Duration{0, 1500 * time.Millisecond, time.Second, 3 * time.Second, 2 * time.Second} {
		f.clock.Advance(wait)
		r, _ := f.tryLogin(c, "no-such-user", "wrong password!!")
		got = append(got, r)
	}
	if diff := cmp.Diff([]loginResult{unauth, throttled, unauth, throttled, unauth}, got); diff != "" {
		t.Errorf("doubling (-want +got):\n%s", diff)
	}
}

func TestLoginThrottlePerAddress(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.anon()
	// one address spraying many user names is stopped by the address counter
	var last loginResult
	for i := range auth.DefaultAddrFreeFailures + 1 {
		last, _ = f.tryLogin(c, "spray-"+strconv.Itoa(i), "wrong password!!")
	}
	if last.Status != http.StatusTooManyRequests {
		t.Errorf("attempt %d from one address: %+v, want 429", auth.DefaultAddrFreeFailures+1, last)
	}
}

// BenchmarkLogin compares the cost of a sign-in with a wrong password and with an unknown
// user name (with the default argon2id cost, which hashes a dummy for unknown users): the two
// should take about the same time. The throttle is set out of the way.
func BenchmarkLogin(b *testing.B) {
	svc := authtest.NewService(b, auth.Params{Hash: auth.HashParams{MemoryKiB: auth.DefaultHashMemoryKiB,
		Iterations: auth.DefaultHashIterations, Threads: auth.DefaultHashThreads},
		Throttle: auth.ThrottleParams{UserFree: 1 << 30, AddrFree: 1 << 30}})
	authtest.User(b, svc, "known", auth.RoleViewer)
	for _, user := range []string{"known", "unknown"} {
		b.Run(user, func(b *testing.B) {
			ctx := authtest.SystemCtx(b)
			for b.Loop() {
				if err := svc.CheckPassword(ctx, user, "wrong password!!", "127.0.0.1"); err == nil {
					b.Fatal("accepted")
				}
			}
		})
	}
}

func TestLoginHostileUsernames(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, name := range []string{"\x00", "admin\x00", strings.Repeat("a", 100000), "' OR 1=1 --", "ADMIN "} {
		r, resp := f.tryLogin(f.anon(), name, "wrong password!!")
		if r.Status != http.StatusUnauthorized {
			t.Errorf("username %q: %d %s", clipName(name), r.Status, resp.body)
		}
	}
}

func clipName(s string) string {
	if len(s) > 12 {
		return s[:12] + "…"
	}
	return s
}
