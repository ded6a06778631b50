package cache_test

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/cache"
	"github.com/wardops/wardops/testinfra/testenv"
)

type profile struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// loader counts its calls and returns the current value of src.
type loader struct {
	calls atomic.Int32
	src   atomic.Pointer[[]profile]
	err   error
}

func newLoader(v []profile) *loader {
	l := &loader{}
	l.src.Store(&v)
	return l
}

func (l *loader) load(context.Context) ([]profile, error) {
	l.calls.Add(1)
	if l.err != nil {
		return nil, l.err
	}
	return *l.src.Load(), nil
}

func (l *loader) set(v []profile) { l.src.Store(&v) }

// TestReadThrough: the first Get loads and stores, later Gets are served from Redis (even when
// the source changed) until Invalidate, after which the new value is loaded.
func TestReadThrough(t *testing.T) {
	rdb := testenv.NewRedis(t)
	ctx := testenv.Ctx(t, 10*time.Second)
	v1 := []profile{{"default", 3}}
	l := newLoader(v1)
	c := cache.New(rdb, cache.ProfilesKey, cache.ProfilesTTL, l.load)

	for i := range 3 {
		got, err := c.Get(ctx)
		testenv.Must(t, "get", err)
		if diff := cmp.Diff(v1, got); diff != "" {
			t.Fatalf("get %d (-want +got):\n%s", i, diff)
		}
	}
	if n := l.calls.Load(); n != 1 {
		t.Errorf("load called %d times for 3 gets, want 1", n)
	}
	raw, err := rdb.Get(ctx, cache.ProfilesKey).Result()
	testenv.Must(t, "read key", err)
	if diff := cmp.Diff(`[{"name":"default","count":3}]`, raw); diff != "" {
		t.Errorf("stored JSON (-want +got):\n%s", diff)
	}
	ttl, err := rdb.PTTL(ctx, cache.ProfilesKey).Result()
	testenv.Must(t, "read ttl", err)
	if ttl <= cache.ProfilesTTL-10*time.Second || ttl > cache.ProfilesTTL {
		t.Errorf("ttl %s, want just under %s", ttl, cache.ProfilesTTL)
	}

	v2 := []profile{{"default", 3}, {"fast", 1}}
	l.set(v2)
	got, err := c.Get(ctx)
	testenv.Must(t, "get after change", err)
	if diff := cmp.Diff(v1, got); diff != "" {
		t.Errorf("before invalidate the cached value is served (-want +got):\n%s", diff)
	}
	testenv.Must(t, "invalidate", c.Invalidate(ctx))
	if n, _ := rdb.Exists(ctx, cache.ProfilesKey).Result(); n != 0 {
		t.Errorf("key still exists after Invalidate")
	}
	got, err = c.Get(ctx)
	testenv.Must(t, "get after invalidate", err)
	if diff := cmp.Diff(v2, got); diff != "" {
		t.Errorf("after invalidate (-want +got):\n%s", diff)
	}
	if n := l.calls.Load(); n != 2 {
		t.Errorf("load called %d times, want 2", n)
	}
}

// TestTTLExpiry: once the TTL passes, Redis drops the value and the next Get loads again.
func TestTTLExpiry(t *testing.T) {
	rdb := testenv.NewRedis(t)
	ctx := testenv.Ctx(t, 10*time.Second)
	l := newLoader([]profile{{"a", 1}})
	c := cache.New(rdb, "wardops:cache:test", 150*time.Millisecond, l.load)
	_, err := c.Get(ctx)
	testenv.Must(t, "get", err)
	l.set([]profile{{"b", 2}})
	deadline := time.Now().Add(5 * time.Second)
	for {
		if n, _ := rdb.Exists(ctx, "wardops:cache:test").Result(); n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("cached key never expired")
		}
		time.Sleep(20 * time.Millisecond)
	}
	got, err := c.Get(ctx)
	testenv.Must(t, "get after expiry", err)
	if diff := cmp.Diff([]profile{{"b", 2}}, got); diff != "" {
		t.Errorf("after expiry (-want +got):\n%s", diff)
	}
	if n := l.calls.Load(); n != 2 {
		t.Errorf("load called %d times, want 2", n)
	}
}

// TestCorruptEntryReloads: a value that is not valid JSON for T is treated as a miss and replaced.
func TestCorruptEntryReloads(t *testing.T) {
	rdb := testenv.NewRedis(t)
	ctx := testenv.Ctx(t, 10*time.Second)
	testenv.Must(t, "plant", rdb.Set(ctx, cache.RulesKey, `{"not":"a list"}`, time.Minute).Err())
	l := newLoader([]profile{{"x", 1}})
	c := cache.New(rdb, cache.RulesKey, cache.RulesTTL, l.load)
	got, err := c.Get(ctx)
	testenv.Must(t, "get", err)
	if diff := cmp.Diff([]profile{{"x", 1}}, got); diff != "" {
		t.Errorf("get (-want +got):\n%s", diff)
	}
	raw, _ := rdb.Get(ctx, cache.RulesKey).Result()
	if diff := cmp.Diff(`[{"name":"x","count":1}]`, raw); diff != "" {
		t.Errorf("stored JSON after repair (-want +got):\n%s", diff)
	}
}

// TestLoadErrorIsNotCached: a failing load is returned wrapped with the key and nothing is stored.
func TestLoadErrorIsNotCached(t *testing.T) {
	rdb := testenv.NewRedis(t)
	ctx := testenv.Ctx(t, 10*time.Second)
	boom := errors.New("database down")
	l := newLoader(nil)
	l.err = boom
	c := cache.New(rdb, cache.ProfilesKey, cache.ProfilesTTL, l.load)
	_, err := c.Get(ctx)
	if !errors.Is(err, boom) || err.Error() != "load wardops:cache:profiles: database down" {
		t.Fatalf("Get error = %v, want it to wrap %v and name the key", err, boom)
	}
	if n, _ := rdb.Exists(ctx, cache.ProfilesKey).Result(); n != 0 {
		t.Error("a failed load left a cached value")
	}
}

// TestRedisDownFallsBackToLoad points the cache at a closed loopback port: every Get still
// answers from the loader, and Invalidate reports the outage.
func TestRedisDownFallsBackToLoad(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	testenv.Must(t, "listen", err)
	addr := ln.Addr().String()
	testenv.Must(t, "close listener", ln.Close())
	rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := testenv.Ctx(t, 10*time.Second)

	l := newLoader([]profile{{"default", 3}})
	c := cache.New(rdb, cache.ProfilesKey, cache.ProfilesTTL, l.load)
	for i := range 3 {
		got, err := c.Get(ctx)
		if err != nil {
			t.Fatalf("get %d with Redis down: %v", i, err)
		}
		if diff := cmp.Diff([]profile{{"default", 3}}, got); diff != "" {
			t.Fatalf("get %d (-want +got):\n%s", i, diff)
		}
	}
	if n := l.calls.Load(); n != 3 {
		t.Errorf("load called %d times, want 3 (no cache while Redis is down)", n)
	}
	if err := c.Invalidate(ctx); err == nil {
		t.Error("Invalidate with Redis down: no error")
	}
}

// TestConcurrentGets: many goroutines reading at once all get the value (run with -race).
func TestConcurrentGets(t *testing.T) {
	rdb := testenv.NewRedis(t)
	ctx := testenv.Ctx(t, 10*time.Second)
	l := newLoader([]profile{{"default", 3}})
	c := cache.New(rdb, cache.ProfilesKey, cache.ProfilesTTL, l.load)
	errs := make(chan error, 20)
	for range 20 {
		go func() {
			got, err := c.Get(ctx)
			if err == nil && len(got) != 1 {
				err = errors.New("wrong value")
			}
			errs <- err
		}()
	}
	for range 20 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := l.calls.Load(); n < 1 || n > 20 {
		t.Errorf("load called %d times", n)
	}
}
