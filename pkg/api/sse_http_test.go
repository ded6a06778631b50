package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/testinfra/testenv"
)

// promptly is how soon a stream must end after its credential did (pen-test finding: a
// revoked token's stream kept delivering for 48 s and more).
const promptly = 3 * time.Second

// TestStreamEndsWhenTokenRevoked: revoking a token through one API replica ends its streams
// on that replica and on another within seconds, and the token cannot open a new one.
func TestStreamEndsWhenTokenRevoked(t *testing.T) {
	e := startStreams(t, streamOptions{})
	other := e.replica(streamOptions{})
	_, tokID, secret := e.newToken("viewer-bot", auth.RoleViewer)
	_, _, keep := e.newToken("other-bot", auth.RoleViewer)
	here, there := e.open(e.url, bearer(secret)), e.open(other, bearer(secret))
	untouched := e.open(other, bearer(keep))

	e.expect(e.url, http.MethodDelete, fmt.Sprintf("/api/v1/tokens/%d", tokID), "", bearer(e.admin), http.StatusNoContent)
	for name, s := range map[string]*sse{"same replica": here, "other replica": there} {
		if r := s.waitEnd(promptly); r != events.ReasonRevoked {
			t.Errorf("%s: end reason %q, want %q", name, r, events.ReasonRevoked)
		}
	}
	if _, status, _ := e.tryOpen(e.url, bearer(secret)); status != http.StatusUnauthorized {
		t.Errorf("reopening with the revoked token: HTTP %d, want 401", status)
	}
	e.publish("test-after-revoke", 1)
	if got := untouched.events("test-after-revoke", 1, 5*time.Second); len(got) != 1 {
		t.Errorf("another token's stream got %v", got)
	}
}

// TestStreamEndsOnLogout: signing out ends that session's stream, not the user's other
// session's.
func TestStreamEndsOnLogout(t *testing.T) {
	e := startStreams(t, streamOptions{})
	authtest.User(t, e.svc, "noc", auth.RoleOperator)
	a, b := e.login("noc"), e.login("noc")
	sa, sb := e.open(e.url, a.apply), e.open(e.url, b.apply)

	e.expect(e.url, http.MethodPost, "/api/v1/auth/logout", "", a.apply, http.StatusNoContent)
	if r := sa.waitEnd(promptly); r != events.ReasonLoggedOut {
		t.Errorf("end reason %q, want %q", r, events.ReasonLoggedOut)
	}
	e.publish("test-after-logout", 1)
	if got := sb.events("test-after-logout", 1, 5*time.Second); len(got) != 1 {
		t.Errorf("the other session's stream got %v", got)
	}
}

// TestStreamEndsOnUserChange: disabling, demoting, promoting, a new password and deleting a
// user end every stream of that user, session and token alike.
func TestStreamEndsOnUserChange(t *testing.T) {
	e := startStreams(t, streamOptions{})
	cases := []struct {
		name   string
		method string
		body   string
	}{
		{"disable", http.MethodPatch, `{"disabled":true}`},
		{"demote", http.MethodPatch, `{"role":"viewer"}`},
		{"promote", http.MethodPatch, `{"role":"admin"}`},
		{"password", http.MethodPatch, `{"password":"another long enough password"}`},
		{"delete", http.MethodDelete, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u, _, secret := e.newToken("user-"+tc.name, auth.RoleOperator)
			sess, tok := e.open(e.url, e.login(u.Username).apply), e.open(e.url, bearer(secret))
			e.expect(e.url, tc.method, fmt.Sprintf("/api/v1/users/%d", u.ID), tc.body, bearer(e.admin),
				map[string]int{http.MethodPatch: http.StatusOK, http.MethodDelete: http.StatusNoContent}[tc.method])
			for name, s := range map[string]*sse{"session": sess, "token": tok} {
				if r := s.waitEnd(promptly); r != events.ReasonRevoked {
					t.Errorf("%s stream: end reason %q, want %q", name, r, events.ReasonRevoked)
				}
			}
		})
	}
}

// TestStreamRecheck: with the revocation notices lost (the hub listens elsewhere), the
// periodic re-check still ends a revoked token's stream, and a session's stream ends at the
// session's timeout.
func TestStreamRecheck(t *testing.T) {
	t.Run("token revoked, notice lost", func(t *testing.T) {
		e := startStreams(t, streamOptions{Hub: events.HubParams{RevokedChannel: "wardops:test:nowhere"},
			Streams: api.StreamParams{Recheck: 300 * time.Millisecond}})
		_, tokID, secret := e.newToken("viewer-bot", auth.RoleViewer)
		s := e.open(e.url, bearer(secret))
		_, err := e.svc.RevokeToken(authtest.SystemCtx(t), tokID)
		testenv.Must(t, "revoke", err)
		if r := s.waitEnd(promptly); r != events.ReasonRevoked {
			t.Errorf("end reason %q, want %q", r, events.ReasonRevoked)
		}
	})
	t.Run("session idle", func(t *testing.T) {
		e := startStreams(t, streamOptions{Auth: auth.Params{SessionIdle: 1500 * time.Millisecond, SessionAbsolute: time.Hour}})
		authtest.User(t, e.svc, "noc", auth.RoleViewer)
		opened := time.Now()
		s := e.open(e.url, e.login("noc").apply)
		if r := s.waitEnd(promptly); r != events.ReasonExpired {
			t.Errorf("end reason %q, want %q", r, events.ReasonExpired)
		}
		if d := time.Since(opened); d < 1400*time.Millisecond {
			t.Errorf("stream ended %s after opening, before the 1.5s idle timeout", d)
		}
	})
	t.Run("session absolute, clock moved", func(t *testing.T) {
		clock := authtest.NewClock(time.Now())
		e := startStreams(t, streamOptions{Auth: auth.Params{Now: clock.Now, SessionIdle: time.Hour, SessionAbsolute: 2 * time.Hour},
			Streams: api.StreamParams{Recheck: 300 * time.Millisecond}})
		authtest.User(t, e.svc, "noc", auth.RoleViewer)
		s := e.open(e.url, e.login("noc").apply)
		clock.Advance(3 * time.Hour)
		if r := s.waitEnd(promptly); r != events.ReasonExpired {
			t.Errorf("end reason %q, want %q", r, events.ReasonExpired)
		}
	})
}

// TestStreamMaxLife: a stream ends at its maximum life (less at most a tenth) and the client
// simply reconnects.
func TestStreamMaxLife(t *testing.T) {
	e := startStreams(t, streamOptions{Streams: api.StreamParams{MaxLife: time.Second}})
	_, _, secret := e.newToken("viewer-bot", auth.RoleViewer)
	opened := time.Now()
	s := e.open(e.url, bearer(secret))
	if r := s.waitEnd(promptly); r != events.ReasonMaxLife {
		t.Errorf("end reason %q, want %q", r, events.ReasonMaxLife)
	}
	if d := time.Since(opened); d < 850*time.Millisecond {
		t.Errorf("stream ended %s after opening, before its 1s life (less a tenth)", d)
	}
	e.open(e.url, bearer(secret)) // the reconnect is welcome
}

// TestStreamEndsAtShutdown: CloseStreams tells every stream "shutdown".
func TestStreamEndsAtShutdown(t *testing.T) {
	e := startStreams(t, streamOptions{})
	_, _, secret := e.newToken("viewer-bot", auth.RoleViewer)
	s := e.open(e.url, bearer(secret))
	hub := events.NewHub(events.HubParams{Redis: e.rdb, RevokedChannel: e.svc.RevokedChannel()})
	defer hub.Close()
	srv := api.New(api.Params{Auth: e.svc, Store: e.store, Redis: e.rdb, Hub: hub})
	hs := newServer(t, srv)
	s2 := e.open(hs, bearer(secret))
	srv.CloseStreams()
	if r := s2.waitEnd(promptly); r != events.ReasonShutdown {
		t.Errorf("end reason %q, want %q", r, events.ReasonShutdown)
	}
	e.publish("test-after-shutdown", 1) // the other replica's stream is untouched
	s.events("test-after-shutdown", 1, 5*time.Second)
}

// TestStreamCaps: an eleventh stream of one user, and a stream beyond the process's cap, are
// 429 too_many_streams with Retry-After; a closed stream frees its place.
func TestStreamCaps(t *testing.T) {
	e := startStreams(t, streamOptions{Hub: events.HubParams{MaxStreams: 12}})
	_, _, alice := e.newToken("alice-bot", auth.RoleViewer)
	_, _, bob := e.newToken("bob-bot", auth.RoleViewer)
	_, _, carol := e.newToken("carol-bot", auth.RoleViewer)
	var mine []*sse
	for range events.DefaultMaxPerUser {
		mine = append(mine, e.open(e.url, bearer(alice)))
	}
	wantRefused(t, e, alice, "the 11th stream of a user")
	e.open(e.url, bearer(bob))
	e.open(e.url, bearer(bob)) // 12 streams: the process's cap
	wantRefused(t, e, carol, "a stream beyond the process's cap")

	mine[0].close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s, status, body := e.tryOpen(e.url, bearer(carol))
		if s != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a closed stream did not free its place within 5s: HTTP %d %s", status, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func wantRefused(t *testing.T, e *streamEnv, secret, what string) {
	t.Helper()
	resp := e.do(e.url, http.MethodGet, "/api/v1/events", "", bearer(secret))
	defer resp.Body.Close()
	var body struct {
		Error struct{ Code, Message string }
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != http.StatusTooManyRequests || body.Error.Code != "too_many_streams" || body.Error.Message == "" {
		t.Errorf("%s: HTTP %d %+v, want 429 too_many_streams", what, resp.StatusCode, body)
	}
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra <= 0 {
		t.Errorf("%s: Retry-After %q, want a number of seconds", what, resp.Header.Get("Retry-After"))
	}
}

// TestStreamsShareOneRedisSubscription: 200 streams of one API process hold one Redis
// subscription between them (the pen test saw a connection per stream: 19 → 219 clients), and
// every stream receives every event in order.
func TestStreamsShareOneRedisSubscription(t *testing.T) {
	const n, msgs = 200, 20
	e := startStreams(t, streamOptions{Hub: events.HubParams{MaxPerUser: n}})
	_, _, secret := e.newToken("wall-bot", auth.RoleViewer)
	before, goroutines := dbClients(t, e), runtime.NumGoroutine()
	streams := make([]*sse, n)
	for i := range streams {
		streams[i] = e.open(e.url, bearer(secret))
	}
	after := dbClients(t, e)
	t.Logf("Redis clients on this test's DB: %d before, %d with %d streams; goroutines +%d (client and server sides, both in this process)",
		before, after, n, runtime.NumGoroutine()-goroutines)
	if after-before > 2 {
		t.Errorf("Redis clients grew by %d for %d streams, want at most 2 (one shared subscription)", after-before, n)
	}

	e.publish("test-fanout", msgs)
	want := make([]string, msgs)
	for i := range want {
		want[i] = strconv.Itoa(i)
	}
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i, s := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := s.collect("test-fanout", msgs, 10*time.Second)
			if err != nil {
				errs <- fmt.Sprintf("stream %d: %v", i, err)
			} else if diff := cmp.Diff(want, got); diff != "" {
				errs <- fmt.Sprintf("stream %d (-want +got):\n%s", i, diff)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
}

// dbClients counts the Redis connections on the test's DB.
func dbClients(t *testing.T, e *streamEnv) int {
	t.Helper()
	out, err := e.rdb.ClientList(testenv.Ctx(t, 5*time.Second)).Result()
	testenv.Must(t, "client list", err)
	db := " db=" + strconv.Itoa(e.rdb.Options().DB) + " "
	n := 0
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, db) {
			n++
		}
	}
	return n
}
