package api

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/store"
)

// TestEncodeStandaloneMatchesEncodingJSON checks the hand-written encoder against encoding/json
// on awkward values: nulls, escapes, HTML characters, control characters, odd floats.
func TestEncodeStandaloneMatchesEncodingJSON(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	p := int64(7)
	now := time.Date(2026, 11, 28, 18, 0, 0, 123456789, time.UTC)
	rows := []store.StandaloneRow{
		{ID: 1, Name: `a "quoted" \ name <b>&`, IP: "127.0.0.1", Branch: "br\tanch", Region: "r\x01", Type: "router",
			ParentID: &p, BlockedBy: &p, Version: 1 << 40, Status: "up", RTTMS: f(0.123456789), LossPct: f(0), JitterMS: f(1e-7), LastSeen: &now, LastChange: now},
		{ID: 2, Name: "ümlaut-日本", IP: "::1", Status: "unknown", LastChange: now, RTTMS: f(123456789.5)},
	}
	for _, tc := range []struct {
		name string
		rows []store.StandaloneRow
	}{{"rows", rows}, {"empty", []store.StandaloneRow{}}} {
		t.Run(tc.name, func(t *testing.T) {
			var got, want any
			if err := json.Unmarshal(encodeStandalone(tc.rows), &got); err != nil {
				t.Fatalf("hand-written JSON does not parse: %v", err)
			}
			std, _ := json.Marshal(map[string]any{"devices": tc.rows, "count": len(tc.rows)})
			if err := json.Unmarshal(std, &want); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("standalone JSON differs from encoding/json (-want +got):\n%s", d)
			}
		})
	}
}

// TestListCacheServesStaleWhileRebuilding: the first request waits for a build; a fresh list is
// reused; a stale one is answered at once while one build runs in the background; a list older
// than standaloneMaxStale is not served; a failed first build is an error.
func TestListCacheServesStaleWhileRebuilding(t *testing.T) {
	builds := make(chan string, 4) // the body each build returns
	gate := make(chan struct{})    // a build blocks until released
	lc := listCache{load: func(context.Context) ([]byte, []byte, error) {
		<-gate
		b := <-builds
		if b == "fail" {
			return nil, nil, errors.New("database down")
		}
		return []byte(b), []byte("gz:" + b), nil
	}}
	age := func(d time.Duration) { lc.mu.Lock(); lc.built = time.Now().Add(-d); lc.mu.Unlock() }
	get := func() string {
		t.Helper()
		p, gz, err := lc.get(context.Background())
		if err != nil {
			return "error: " + err.Error()
		}
		if string(gz) != "gz:"+string(p) {
			t.Errorf("plain %q and gzipped %q from different builds", p, gz)
		}
		return string(p)
	}

	builds <- "fail"
	close(gate)
	if got := get(); got != "error: database down" {
		t.Fatalf("first build failing: got %q", got)
	}
	builds <- "v1"
	if got := get(); got != "v1" {
		t.Fatalf("first build: got %q", got)
	}
	if got := get(); got != "v1" || len(builds) != 0 {
		t.Fatalf("fresh list: got %q", got)
	}

	gate = make(chan struct{}) // the next build hangs until the gate opens
	age(2 * standaloneTTL)
	for range 3 {
		if got := get(); got != "v1" {
			t.Fatalf("stale list during a rebuild: got %q, want v1 at once", got)
		}
	}
	builds <- "v2"
	close(gate)
	deadline := time.Now().Add(5 * time.Second)
	for get() != "v2" {
		if time.Now().After(deadline) {
			t.Fatal("the background build never replaced the stale list")
		}
		time.Sleep(5 * time.Millisecond)
	}

	age(2 * standaloneMaxStale)
	builds <- "v3"
	if got := get(); got != "v3" {
		t.Errorf("list older than the stale bound: got %q, want the new build", got)
	}
}

// TestListCacheFreshForItsBuildTime: a list that took long to build stays fresh for four times
// its build time (no rebuild), bounded by standaloneMaxTTL; a quick one for standaloneTTL.
func TestListCacheFreshForItsBuildTime(t *testing.T) {
	var builds atomic.Int32
	lc := listCache{load: func(context.Context) ([]byte, []byte, error) {
		builds.Add(1)
		return []byte("list"), []byte("gz"), nil
	}}
	get := func() {
		t.Helper()
		if _, _, err := lc.get(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	set := func(age, took time.Duration) {
		lc.mu.Lock()
		lc.built, lc.took = time.Now().Add(-age), took
		lc.mu.Unlock()
	}
	get()
	cases := []struct {
		name      string
		age, took time.Duration
		rebuilt   bool
	}{
		{"quick build, within the TTL", standaloneTTL / 2, time.Millisecond, false},
		{"quick build, past the TTL", 2 * standaloneTTL, time.Millisecond, true},
		{"slow build, past the TTL but within 4× its build", 1500 * time.Millisecond, 500 * time.Millisecond, false},
		{"slow build, past 4× its build", 2500 * time.Millisecond, 500 * time.Millisecond, true},
		{"very slow build, past the cap", standaloneMaxTTL + time.Second, 5 * time.Second, true},
	}
	for _, tc := range cases {
		before := builds.Load()
		set(tc.age, tc.took)
		get()
		deadline := time.Now().Add(2 * time.Second) // a stale list is rebuilt in the background
		for tc.rebuilt && builds.Load() == before && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		_, _, _ = lc.group.Do("list", func() (any, error) { return nil, nil }) // joins a rebuild still running
		if got := builds.Load() > before; got != tc.rebuilt {
			t.Errorf("%s: rebuilt %v, want %v", tc.name, got, tc.rebuilt)
		}
	}
}
