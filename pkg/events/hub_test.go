package events_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/testinfra/testenv"
)

// hubEnv is a hub on the test's Redis DB with channels of its own (Redis pub/sub ignores DB
// numbers: tests running beside this one must not reach it).
type hubEnv struct {
	t   *testing.T
	rdb *redis.Client
	p   events.HubParams
	hub *events.Hub
}

func newHub(t *testing.T, p events.HubParams) *hubEnv {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	tag := hex.EncodeToString(b)
	p.Redis = testenv.NewRedis(t)
	p.Channel = "wardops:test:" + tag + ":events"
	p.RevokedChannel = "wardops:test:" + tag + ":revoked"
	h := events.NewHub(p)
	t.Cleanup(func() { _ = h.Close() })
	return &hubEnv{t: t, rdb: p.Redis.(*redis.Client), p: p, hub: h}
}

func (e *hubEnv) subscribe(o events.Owner, f events.Filter) *events.Subscriber {
	e.t.Helper()
	s, err := e.hub.Subscribe(testenv.Ctx(e.t, 10*time.Second), o, f)
	if err != nil {
		e.t.Fatalf("subscribe %+v: %v", o, err)
	}
	e.t.Cleanup(s.Close)
	return s
}

// publish sends events "n" = from..to-1 of type typ, as Publisher does.
func (e *hubEnv) publish(typ string, from, to int) {
	e.t.Helper()
	ctx := testenv.Ctx(e.t, 10*time.Second)
	for n := from; n < to; n++ {
		msg, _ := json.Marshal(events.Event{Type: typ, At: time.Now().UTC(), Data: json.RawMessage(strconv.Itoa(n))})
		testenv.Must(e.t, "publish", e.rdb.Publish(ctx, e.p.Channel, msg).Err())
	}
}

func (e *hubEnv) revoke(r events.Revocation) {
	e.t.Helper()
	testenv.Must(e.t, "publish revocation", events.PublishRevocation(testenv.Ctx(e.t, 5*time.Second), e.rdb, e.p.RevokedChannel, r))
}

// receive reads n events from s, failing after limit.
func receive(t *testing.T, s *events.Subscriber, n int, limit time.Duration) []int {
	t.Helper()
	var got []int
	deadline := time.After(limit)
	for len(got) < n {
		select {
		case m := <-s.C():
			v, err := strconv.Atoi(string(m.Event.Data))
			if err != nil {
				t.Fatalf("event data %q is not a number", m.Event.Data)
			}
			if !strings.Contains(string(m.Payload), `"data":`+string(m.Event.Data)) {
				t.Errorf("payload %q is not the published message", m.Payload)
			}
			got = append(got, v)
		case <-deadline:
			t.Fatalf("received %d of %d events within %s: %v", len(got), n, limit, got)
		}
	}
	return got
}

func seq(from, to, step int) []int {
	var out []int
	for n := from; n < to; n += step {
		out = append(out, n)
	}
	return out
}

// waitEnded waits for s to end and returns its reason.
func waitEnded(t *testing.T, s *events.Subscriber, limit time.Duration) string {
	t.Helper()
	select {
	case <-s.Done():
		return s.Reason()
	case <-time.After(limit):
		t.Fatalf("subscriber %+v still open after %s", s.Owner(), limit)
		return ""
	}
}

func stillOpen(t *testing.T, s *events.Subscriber) {
	t.Helper()
	if r := s.Reason(); r != "" {
		t.Errorf("subscriber %+v ended (%s), want it open", s.Owner(), r)
	}
}

// TestHubFansOutInOrder: every subscriber gets every event it filters for, in publish order,
// from the one subscription.
func TestHubFansOutInOrder(t *testing.T) {
	e := newHub(t, events.HubParams{})
	all := []*events.Subscriber{e.subscribe(events.Owner{UserID: 1}, nil), e.subscribe(events.Owner{UserID: 2}, nil),
		e.subscribe(events.Owner{UserID: 2, TokenID: 9}, nil)}
	even := e.subscribe(events.Owner{UserID: 3}, func(ev events.Event) bool {
		n, _ := strconv.Atoi(string(ev.Data))
		return n%2 == 0
	})
	e.publish("status", 0, 200)
	for _, s := range all {
		if diff := cmp.Diff(seq(0, 200, 1), receive(t, s, 200, 10*time.Second)); diff != "" {
			t.Errorf("events of %+v (-want +got):\n%s", s.Owner(), diff)
		}
	}
	if diff := cmp.Diff(seq(0, 200, 2), receive(t, even, 100, 10*time.Second)); diff != "" {
		t.Errorf("events of the filtered subscriber (-want +got):\n%s", diff)
	}
	if n := e.hub.Len(); n != 4 {
		t.Errorf("Len = %d, want 4", n)
	}
}

// TestHubDropsSlowSubscriber: a subscriber that does not read is dropped when its queue is
// full (and counted), while a fast one receives everything in order. Events go out in
// batches of the queue's size, each read by the fast subscriber before the next, so that only
// the slow one can overflow however loaded the machine is.
func TestHubDropsSlowSubscriber(t *testing.T) {
	const buffer, batches = 8, 10
	set := metrics.NewSet()
	e := newHub(t, events.HubParams{Buffer: buffer, Metrics: set})
	slow := e.subscribe(events.Owner{UserID: 1}, nil)
	fast := e.subscribe(events.Owner{UserID: 2}, nil)
	var got []int
	for b := range batches {
		e.publish("status", b*buffer, (b+1)*buffer)
		got = append(got, receive(t, fast, buffer, 10*time.Second)...)
	}
	if diff := cmp.Diff(seq(0, batches*buffer, 1), got); diff != "" {
		t.Errorf("events of the fast subscriber (-want +got):\n%s", diff)
	}
	if r := waitEnded(t, slow, 5*time.Second); r != events.ReasonSlow {
		t.Errorf("slow subscriber ended with %q, want %q", r, events.ReasonSlow)
	}
	if n := e.hub.DroppedSlow(); n != 1 {
		t.Errorf("DroppedSlow = %d, want 1", n)
	}
	stillOpen(t, fast)
	if n := e.hub.Len(); n != 1 {
		t.Errorf("Len = %d after the drop, want 1", n)
	}
	var out bytes.Buffer
	set.WritePrometheus(&out)
	for _, line := range []string{"wardops_sse_streams 1", "wardops_sse_dropped_slow_total 1", `wardops_sse_ended_total{reason="slow"} 1`} {
		if !strings.Contains(out.String(), line+"\n") {
			t.Errorf("metrics lack %q:\n%s", line, out.String())
		}
	}
}

// TestHubCaps: MaxPerUser per user, MaxStreams in all; a closed subscriber frees its place.
func TestHubCaps(t *testing.T) {
	e := newHub(t, events.HubParams{MaxStreams: 3, MaxPerUser: 2})
	ctx := testenv.Ctx(t, 10*time.Second)
	a1 := e.subscribe(events.Owner{UserID: 1, TokenID: 1}, nil)
	e.subscribe(events.Owner{UserID: 1, Session: "s"}, nil)
	if _, err := e.hub.Subscribe(ctx, events.Owner{UserID: 1, TokenID: 2}, nil); !errors.Is(err, events.ErrTooManyUserStreams) {
		t.Errorf("third stream of user 1: %v, want ErrTooManyUserStreams", err)
	}
	e.subscribe(events.Owner{UserID: 2}, nil)
	if _, err := e.hub.Subscribe(ctx, events.Owner{UserID: 3}, nil); !errors.Is(err, events.ErrTooManyStreams) {
		t.Errorf("fourth stream: %v, want ErrTooManyStreams", err)
	}
	a1.Close()
	if r := a1.Reason(); r != events.ReasonClosed {
		t.Errorf("closed subscriber's reason = %q, want %q", r, events.ReasonClosed)
	}
	e.subscribe(events.Owner{UserID: 3}, nil) // a1's place
	if _, err := e.hub.Subscribe(ctx, events.Owner{UserID: 1}, nil); !errors.Is(err, events.ErrTooManyStreams) {
		t.Errorf("a stream beyond the total again: %v, want ErrTooManyStreams", err)
	}
	if n := e.hub.Len(); n != 3 {
		t.Errorf("Len = %d, want 3", n)
	}
}

// TestHubRevocationNotices end exactly the subscribers a notice names.
func TestHubRevocationNotices(t *testing.T) {
	e := newHub(t, events.HubParams{})
	token := e.subscribe(events.Owner{UserID: 1, TokenID: 5}, nil)
	session := e.subscribe(events.Owner{UserID: 1, Session: "abc"}, nil)
	otherSession := e.subscribe(events.Owner{UserID: 1, Session: "def"}, nil)
	user2a := e.subscribe(events.Owner{UserID: 2, TokenID: 6}, nil)
	user2b := e.subscribe(events.Owner{UserID: 2, Session: "ghi"}, nil)
	user3 := e.subscribe(events.Owner{UserID: 3, TokenID: 7}, nil)

	e.revoke(events.Revocation{TokenID: 5, Reason: events.ReasonRevoked})
	e.revoke(events.Revocation{Session: "abc", Reason: events.ReasonLoggedOut})
	e.revoke(events.Revocation{UserID: 2}) // no reason: revoked
	for _, c := range []struct {
		s    *events.Subscriber
		want string
	}{{token, events.ReasonRevoked}, {session, events.ReasonLoggedOut}, {user2a, events.ReasonRevoked}, {user2b, events.ReasonRevoked}} {
		if r := waitEnded(t, c.s, 3*time.Second); r != c.want {
			t.Errorf("%+v ended with %q, want %q", c.s.Owner(), r, c.want)
		}
	}
	e.publish("status", 0, 1) // the notices came first on the one connection: the survivors are still served
	for _, s := range []*events.Subscriber{otherSession, user3} {
		receive(t, s, 1, 3*time.Second)
		stillOpen(t, s)
	}
}

// TestHubResyncsAfterRedisDrop kills the hub's subscription connection: go-redis reconnects
// it, and every subscriber is ended with ReasonResync (events of the gap are lost); new
// subscribers are served again.
func TestHubResyncsAfterRedisDrop(t *testing.T) {
	e := newHub(t, events.HubParams{})
	a := e.subscribe(events.Owner{UserID: 1}, nil)
	b := e.subscribe(events.Owner{UserID: 2}, nil)
	ctx := testenv.Ctx(t, 10*time.Second)
	killed := 0
	for _, c := range clients(t, e.rdb) {
		if c["db"] == strconv.Itoa(e.rdb.Options().DB) && c["sub"] == "2" { // the hub's: two channels
			testenv.Must(t, "client kill", e.rdb.ClientKillByFilter(ctx, "ID", c["id"]).Err())
			killed++
		}
	}
	if killed != 1 {
		t.Fatalf("found %d subscription connections of this test's DB, want 1", killed)
	}
	for _, s := range []*events.Subscriber{a, b} {
		if r := waitEnded(t, s, 10*time.Second); r != events.ReasonResync {
			t.Errorf("%+v ended with %q, want %q", s.Owner(), r, events.ReasonResync)
		}
	}
	c := e.subscribe(events.Owner{UserID: 3}, nil)
	e.publish("status", 7, 8)
	if diff := cmp.Diff([]int{7}, receive(t, c, 1, 5*time.Second)); diff != "" {
		t.Errorf("after the reconnect (-want +got):\n%s", diff)
	}
}

// clients parses CLIENT LIST into one map per connection.
func clients(t *testing.T, rdb *redis.Client) []map[string]string {
	t.Helper()
	out, err := rdb.ClientList(testenv.Ctx(t, 5*time.Second)).Result()
	testenv.Must(t, "client list", err)
	var list []map[string]string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		m := map[string]string{}
		for _, f := range strings.Fields(line) {
			if k, v, ok := strings.Cut(f, "="); ok {
				m[k] = v
			}
		}
		list = append(list, m)
	}
	return list
}

// TestHubClose ends every subscriber with ReasonShutdown and refuses new ones.
func TestHubClose(t *testing.T) {
	e := newHub(t, events.HubParams{})
	s := e.subscribe(events.Owner{UserID: 1}, nil)
	testenv.Must(t, "close", e.hub.Close())
	if r := waitEnded(t, s, time.Second); r != events.ReasonShutdown {
		t.Errorf("ended with %q, want %q", r, events.ReasonShutdown)
	}
	if _, err := e.hub.Subscribe(context.Background(), events.Owner{UserID: 1}, nil); !errors.Is(err, events.ErrClosed) {
		t.Errorf("Subscribe after Close: %v, want ErrClosed", err)
	}
}

// TestHubWithoutRedis: with Redis unreachable from the start, Subscribe gives up after
// ReadyTimeout with ErrUnavailable (the API answers 503) instead of hanging.
func TestHubWithoutRedis(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer rdb.Close()
	h := events.NewHub(events.HubParams{Redis: rdb, ReadyTimeout: 500 * time.Millisecond})
	defer h.Close()
	start := time.Now()
	if _, err := h.Subscribe(context.Background(), events.Owner{UserID: 1}, nil); !errors.Is(err, events.ErrUnavailable) {
		t.Errorf("Subscribe without Redis: %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Subscribe took %s to give up, want about ReadyTimeout", d)
	}
	if n := h.Len(); n != 0 {
		t.Errorf("Len = %d, want 0", n)
	}
}
