package schedule_test

import (
	"context"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/schedule"
	"github.com/wardops/wardops/testinfra/testenv"
)

const testLeaseKey = "wardops:test:lease"

func mustHold(t *testing.T, ctx context.Context, l *schedule.Lease, want bool, what string) {
	t.Helper()
	got, err := l.TryAcquire(ctx)
	testenv.Must(t, what, err)
	if got != want {
		t.Fatalf("%s: holds = %v, want %v", what, got, want)
	}
}

// TestLeaseAcquireRenewRelease: one owner at a time; renewing restores the TTL; only the owner
// can release; a released lease is free at once.
func TestLeaseAcquireRenewRelease(t *testing.T) {
	rdb := testenv.NewRedis(t)
	ctx := testenv.Ctx(t, 10*time.Second)
	a := schedule.NewLease(rdb, testLeaseKey, "sched-a", 5*time.Second)
	b := schedule.NewLease(rdb, testLeaseKey, "sched-b", 5*time.Second)

	mustHold(t, ctx, a, true, "a acquires a free lease")
	mustHold(t, ctx, b, false, "b while a holds")
	if owner, _ := rdb.Get(ctx, testLeaseKey).Result(); owner != "sched-a" {
		t.Fatalf("lease key holds %q, want sched-a", owner)
	}

	// let the TTL run down, then renew: it is back near the full 5s
	testenv.Must(t, "shorten ttl", rdb.PExpire(ctx, testLeaseKey, 300*time.Millisecond).Err())
	mustHold(t, ctx, a, true, "a renews")
	if ttl, _ := rdb.PTTL(ctx, testLeaseKey).Result(); ttl < 4*time.Second {
		t.Errorf("ttl after renew %s, want about 5s", ttl)
	}
	mustHold(t, ctx, b, false, "b after a renewed")

	testenv.Must(t, "b releases what it does not hold", b.Release(ctx))
	mustHold(t, ctx, b, false, "b after its own no-op release")
	if owner, _ := rdb.Get(ctx, testLeaseKey).Result(); owner != "sched-a" {
		t.Fatalf("lease key holds %q after b's release, want sched-a", owner)
	}

	testenv.Must(t, "a releases", a.Release(ctx))
	if n, _ := rdb.Exists(ctx, testLeaseKey).Result(); n != 0 {
		t.Fatal("lease key still exists after the owner released it")
	}
	mustHold(t, ctx, b, true, "b after a released")
	mustHold(t, ctx, a, false, "a after b took over")
	testenv.Must(t, "a releases b's lease (no-op)", a.Release(ctx))
	mustHold(t, ctx, b, true, "b still holds")
}

// TestLeaseFailover: when the holder stops renewing (a crash: no release), a second owner gets
// the lease once the TTL has run out, never before; the old holder then cannot renew.
func TestLeaseFailover(t *testing.T) {
	rdb := testenv.NewRedis(t)
	ctx := testenv.Ctx(t, 10*time.Second)
	const ttl = 400 * time.Millisecond
	a := schedule.NewLease(rdb, testLeaseKey, "sched-a", ttl)
	b := schedule.NewLease(rdb, testLeaseKey, "sched-b", ttl)
	mustHold(t, ctx, a, true, "a acquires")

	deadline := time.Now().Add(5 * time.Second)
	for {
		held, err := b.TryAcquire(ctx)
		testenv.Must(t, "b tries", err)
		if held {
			break
		}
		// as long as b does not hold it, a's key must still be there
		if owner, err := rdb.Get(ctx, testLeaseKey).Result(); err == nil && owner != "sched-a" {
			t.Fatalf("lease held by %q while b was refused", owner)
		}
		if time.Now().After(deadline) {
			t.Fatal("b never took over the expired lease")
		}
		time.Sleep(25 * time.Millisecond)
	}
	if owner, _ := rdb.Get(ctx, testLeaseKey).Result(); owner != "sched-b" {
		t.Fatalf("after failover the key holds %q, want sched-b", owner)
	}
	if ms, _ := rdb.PTTL(ctx, testLeaseKey).Result(); ms <= 0 || ms > ttl {
		t.Errorf("new lease ttl %s, want in (0, %s]", ms, ttl)
	}
	mustHold(t, ctx, a, false, "a after failover (its renew must not steal the lease back)")
}

// TestLeaseRedisDown: with Redis unreachable TryAcquire reports an error and not holding.
func TestLeaseRedisDown(t *testing.T) {
	rdb := closedRedis(t)
	l := schedule.NewLease(rdb, testLeaseKey, "sched-a", time.Second)
	held, err := l.TryAcquire(context.Background())
	if err == nil || held {
		t.Fatalf("TryAcquire with Redis down = %v, %v; want false and an error", held, err)
	}
	if err := l.Release(context.Background()); err == nil {
		t.Error("Release with Redis down: no error")
	}
}
