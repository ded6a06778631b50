package schedule_test

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/schedule"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/testinfra/testenv"
)

// emission is one successful Emit seen through Params.OnEnqueued.
type emission struct {
	owner string
	slot  int64
	at    time.Time
}

type recorder struct {
	mu  sync.Mutex
	all []emission
}

func (r *recorder) hook(owner string) func(schedule.Job, int64) {
	return func(_ schedule.Job, slot int64) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.all = append(r.all, emission{owner: owner, slot: slot, at: time.Now()})
	}
}

func (r *recorder) snapshot() []emission {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]emission(nil), r.all...)
}

// waitFor polls the emissions until ok holds or within passes.
func (r *recorder) waitFor(t *testing.T, within time.Duration, what string, ok func([]emission) bool) []emission {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := r.snapshot()
		if ok(got) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s; emissions so far: %+v", what, within, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type running struct {
	owner  string
	s      *schedule.Scheduler
	cancel context.CancelFunc
	done   chan error
}

func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		testenv.Must(t, r.owner+" stops", err)
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not stop", r.owner)
	}
}

// TestTwoSchedulersFailover runs two schedulers at a 1 s interval on the same Redis for about
// five slots: every slot's cycle task is enqueued exactly once (in OnEnqueued and in asynq under
// its slot-derived ID), with no slot missed while the leader is stable. Then the leader is
// cancelled, and the other one must emit within two intervals.
func TestTwoSchedulersFailover(t *testing.T) {
	rdb := testenv.NewRedis(t)
	client, in := newClient(t, rdb)
	const interval = time.Second
	job := schedule.Job{TaskType: tasks.TypePingCycle, Queue: tasks.QueueDefault, Interval: interval}
	rec := &recorder{}
	start := func(owner string) *running {
		ctx, cancel := context.WithCancel(context.Background())
		s := schedule.New(schedule.Params{Redis: rdb, Client: client, Jobs: []schedule.Job{job}, Owner: owner,
			LeaderTTL: 1500 * time.Millisecond, OnEnqueued: rec.hook(owner)})
		r := &running{owner: owner, s: s, cancel: cancel, done: make(chan error, 1)}
		go func() { r.done <- s.Run(ctx) }()
		t.Cleanup(cancel)
		return r
	}
	a, b := start("sched-a"), start("sched-b")

	before := rec.waitFor(t, 10*interval, "five slots emitted", func(e []emission) bool { return len(e) >= 5 })
	leader, other := a, b
	if before[len(before)-1].owner == b.owner {
		leader, other = b, a
	}
	if !leader.s.IsLeader() || other.s.IsLeader() {
		t.Fatalf("IsLeader: %s=%v %s=%v; want only %s", a.owner, a.s.IsLeader(), b.owner, b.s.IsLeader(), leader.owner)
	}
	if holder, _ := rdb.Get(context.Background(), schedule.LeaseKey).Result(); holder != leader.owner {
		t.Fatalf("lease held by %q, want the emitting scheduler %s", holder, leader.owner)
	}
	for _, e := range before {
		if e.owner != leader.owner {
			t.Errorf("slot %d emitted by %s while %s led", e.slot, e.owner, leader.owner)
		}
	}

	leader.stop(t)
	stoppedAt := time.Now()
	after := rec.waitFor(t, 2*interval, other.owner+" emits after the leader stopped", func(e []emission) bool {
		for _, x := range e {
			if x.owner == other.owner && x.at.After(stoppedAt) {
				return true
			}
		}
		return false
	})
	n := len(after)
	rec.waitFor(t, 5*interval, "two more slots from the new leader", func(e []emission) bool { return len(e) >= n+2 })
	other.stop(t)

	all := rec.snapshot()
	perSlot := map[int64][]string{}
	var slots []int64
	for _, e := range all {
		if len(perSlot[e.slot]) == 0 {
			slots = append(slots, e.slot)
		}
		perSlot[e.slot] = append(perSlot[e.slot], e.owner)
	}
	for s, owners := range perSlot {
		if len(owners) != 1 {
			t.Errorf("slot %d emitted %d times (%v), want once", s, len(owners), owners)
		}
	}
	sort.Slice(slots, func(i, j int) bool { return slots[i] < slots[j] })
	// while one leader is stable no slot is skipped
	for i := 1; i < len(before); i++ {
		if before[i].slot != before[i-1].slot+1 {
			t.Errorf("stable leader skipped from slot %d to %d", before[i-1].slot, before[i].slot)
		}
	}
	if diff := cmp.Diff(slots, pendingCycleSlots(t, in, job.Queue, job.TaskType)); diff != "" {
		t.Errorf("asynq pending cycle tasks vs emitted slots (-emitted +asynq):\n%s", diff)
	}
	if holder, err := rdb.Get(context.Background(), schedule.LeaseKey).Result(); err == nil {
		t.Errorf("lease still held by %q after both schedulers stopped", holder)
	}
	t.Logf("emitted slots %v; failover emission %s after the leader stopped", slots, firstAfter(all, other.owner, stoppedAt))
}

func firstAfter(all []emission, owner string, t time.Time) time.Duration {
	for _, e := range all {
		if e.owner == owner && e.at.After(t) {
			return e.at.Sub(t).Round(time.Millisecond)
		}
	}
	return -1
}

// TestSchedulerWithoutLeaseEmitsNothing: a scheduler that cannot get the lease (another owner
// holds it and keeps it) never emits.
func TestSchedulerWithoutLeaseEmitsNothing(t *testing.T) {
	rdb := testenv.NewRedis(t)
	client, in := newClient(t, rdb)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	testenv.Must(t, "hold lease", rdb.Set(ctx, schedule.LeaseKey, "someone-else", time.Minute).Err())
	rec := &recorder{}
	job := schedule.Job{TaskType: tasks.TypePingCycle, Queue: tasks.QueueDefault, Interval: 300 * time.Millisecond}
	s := schedule.New(schedule.Params{Redis: rdb, Client: client, Jobs: []schedule.Job{job}, Owner: "sched-a",
		LeaderTTL: time.Second, OnEnqueued: rec.hook("sched-a")})
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	time.Sleep(4 * job.Interval)
	cancel()
	testenv.Must(t, "run", <-done)
	if got := rec.snapshot(); len(got) != 0 || s.IsLeader() {
		t.Errorf("follower emitted %+v (leader=%v)", got, s.IsLeader())
	}
	if got := pendingCycleSlots(t, in, job.Queue, job.TaskType); len(got) != 0 {
		t.Errorf("pending cycle tasks %v, want none", got)
	}
	if holder, _ := rdb.Get(context.Background(), schedule.LeaseKey).Result(); holder != "someone-else" {
		t.Errorf("follower's release changed the lease holder to %q", holder)
	}
}
