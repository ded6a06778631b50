package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/auth"
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
	lc := listCache{load: func(context.Context) (listSnap, error) {
		<-gate
		b := <-builds
		if b == "fail" {
			return listSnap{}, errors.New("database down")
		}
		return listSnap{plain: []byte(b), gz: []byte("gz:" + b)}, nil
	}}
	age := func(d time.Duration) { lc.mu.Lock(); lc.built = time.Now().Add(-d); lc.mu.Unlock() }
	get := func() string {
		t.Helper()
		snap, err := lc.get(context.Background())
		if err != nil {
			return "error: " + err.Error()
		}
		p, gz := snap.plain, snap.gz
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
	lc := listCache{load: func(context.Context) (listSnap, error) {
		builds.Add(1)
		return listSnap{plain: []byte("list"), gz: []byte("gz")}, nil
	}}
	get := func() {
		t.Helper()
		if _, err := lc.get(context.Background()); err != nil {
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

// BenchmarkScopedList cuts a scoped caller's list (one region of ten, gzipped too) from a
// cached fleet of 100,000 devices: what the first scoped request after each build costs.
func BenchmarkScopedList(b *testing.B) {
	rows := make([]store.StandaloneRow, 100_000)
	for i := range rows {
		rows[i] = store.StandaloneRow{ID: int64(i + 1), Name: fmt.Sprintf("dev-%06d", i), IP: "127.70.0.1",
			Region: fmt.Sprintf("region-%d", i%10), Branch: fmt.Sprintf("BR-%04d", i%1000), Type: "router", Status: "up",
			LastChange: time.Now()}
	}
	snap := listSnap{rows: rows}
	sc := auth.Scope{Regions: []string{"region-3"}}
	for b.Loop() {
		if plain, _ := scopedList(snap, sc); len(plain) == 0 {
			b.Fatal("empty list")
		}
	}
}

// TestScopedCuts: a scope's cut is reused within a build and redone for a newer one; scopes do
// not share cuts.
func TestScopedCuts(t *testing.T) {
	rows := []store.StandaloneRow{{ID: 1, Region: "A"}, {ID: 2, Region: "B"}}
	var cuts scopedCuts
	count := func(plain []byte) int {
		var v struct{ Count int }
		if err := json.Unmarshal(plain, &v); err != nil {
			t.Fatal(err)
		}
		return v.Count
	}
	a, b := auth.Scope{Regions: []string{"A"}}, auth.Scope{Branches: []string{"A"}}
	p1, _ := cuts.get(listSnap{rows: rows, gen: 1}, a)
	p2, _ := cuts.get(listSnap{rows: rows[:1], gen: 1}, a) // same build: the kept cut
	p3, _ := cuts.get(listSnap{rows: rows, gen: 1}, b)
	p4, _ := cuts.get(listSnap{rows: append(rows, store.StandaloneRow{ID: 3, Region: "A"}), gen: 2}, a)
	if got := []int{count(p1), count(p2), count(p3), count(p4)}; !cmp.Equal([]int{1, 1, 0, 2}, got) {
		t.Errorf("counts %v, want [1 1 0 2]", got)
	}
}
