package auth_test

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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

// TestSignInAdmission (pen-test finding 6): a flood of bad sign-ins cannot queue a
// legitimate user behind it. One address gets at most DefaultMaxAttemptsPerAddr attempts in
// flight (the rest are refused at once, unhashed), and addresses with recent failures hash
// in their own narrow lane, so a sign-in from a clean address finishes while most of the flood
// is still waiting. Ordering, not wall-clock time, is asserted: on the single shared queue of
// old, the legitimate sign-in finished behind nearly all of the flood.
func TestSignInAdmission(t *testing.T) {
	t.Parallel()
	svc := authtest.NewService(t, auth.Params{Hash: auth.HashParams{MemoryKiB: auth.DefaultHashMemoryKiB,
		Iterations: auth.DefaultHashIterations, Threads: auth.DefaultHashThreads}})
	authtest.User(t, svc, "legit", auth.RoleViewer)
	ctx := authtest.SystemCtx(t)
	const addrs = 10
	flooder := func(a int) string { return "127.0.1." + strconv.Itoa(a+1) } // client addresses as the throttle keys them: nothing is sent

	// each flooding address has a few failures behind it already
	for a := range addrs {
		for i := range auth.DefaultAddrFreeFailures / 4 {
			if err := svc.CheckPassword(ctx, fmt.Sprintf("ghost-%d-%d", a, i), "wrong password!!", flooder(a)); !errors.Is(err, auth.ErrInvalidCredentials) {
				t.Fatalf("warm-up failure: %v", err)
			}
		}
	}

	t.Run("per-address cap", func(t *testing.T) {
		var wg sync.WaitGroup
		var refused, hashed atomic.Int32
		for i := range 10 {
			wg.Go(func() {
				var te *auth.ThrottledError
				switch err := svc.CheckPassword(ctx, fmt.Sprintf("cap-%d", i), "wrong password!!", "127.0.2.1"); {
				case errors.As(err, &te):
					refused.Add(1)
				case errors.Is(err, auth.ErrInvalidCredentials):
					hashed.Add(1)
				default:
					t.Errorf("attempt: %v", err)
				}
			})
		}
		wg.Wait()
		if refused.Load() == 0 {
			t.Errorf("10 parallel attempts from one address: %d hashed, none refused; want those beyond %d in flight refused unhashed",
				hashed.Load(), auth.DefaultMaxAttemptsPerAddr)
		}
	})

	t.Run("clean address is not queued behind the flood", func(t *testing.T) {
		var wg sync.WaitGroup
		var floodDone atomic.Int32
		start := make(chan struct{})
		for a := range addrs {
			for i := range auth.DefaultMaxAttemptsPerAddr {
				wg.Go(func() {
					<-start
					_ = svc.CheckPassword(ctx, fmt.Sprintf("flood-%d-%d", a, i), "wrong password!!", flooder(a))
					floodDone.Add(1)
				})
			}
		}
		close(start)
		time.Sleep(50 * time.Millisecond) // let the flood take its places first
		if err := svc.CheckPassword(ctx, "legit", authtest.Password, "127.0.3.1"); err != nil {
			t.Fatalf("legitimate sign-in: %v", err)
		}
		done := floodDone.Load()
		wg.Wait()
		if total := int32(addrs * auth.DefaultMaxAttemptsPerAddr); done > total/2 {
			t.Errorf("the legitimate sign-in finished after %d of %d flood attempts; want it ahead of most of them", done, total)
		}
	})
}

// BenchmarkSignInUnderFlood times one legitimate sign-in (right password, clean address, the
// default argon2id cost) alone ("quiet") and while 200 unknown-user attempts from 10 addresses
// are sent at once ("flood", the pen test's finding 6; 1.55 s there before the fix). Only the
// legitimate sign-in is timed; each iteration's flood uses fresh addresses and names.
func BenchmarkSignInUnderFlood(b *testing.B) {
	svc := authtest.NewService(b, auth.Params{Hash: auth.HashParams{MemoryKiB: auth.DefaultHashMemoryKiB,
		Iterations: auth.DefaultHashIterations, Threads: auth.DefaultHashThreads}})
	authtest.User(b, svc, "legit", auth.RoleViewer)
	ctx := authtest.SystemCtx(b)
	for _, flood := range []int{0, 200} {
		name := "quiet"
		if flood > 0 {
			name = "flood"
		}
		b.Run(name, func(b *testing.B) {
			var worst time.Duration
			iter := 0
			for b.Loop() {
				b.StopTimer()
				iter++
				var wg sync.WaitGroup
				start := make(chan struct{})
				for i := range flood {
					addr := fmt.Sprintf("flood-%s-%d-%d", name, iter, i%10)
					wg.Go(func() {
						<-start
						_ = svc.CheckPassword(ctx, fmt.Sprintf("nobody-%d-%d", iter, i), "wrong password!!", addr)
					})
				}
				close(start)
				if flood > 0 {
					time.Sleep(20 * time.Millisecond) // the flood is in before the user arrives
				}
				b.StartTimer()
				t0 := time.Now()
				if err := svc.CheckPassword(ctx, "legit", authtest.Password, "127.0.3.1"); err != nil {
					b.Fatalf("legitimate sign-in: %v", err)
				}
				worst = max(worst, time.Since(t0))
				b.StopTimer()
				wg.Wait()
				b.StartTimer()
			}
			b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
		})
	}
}
