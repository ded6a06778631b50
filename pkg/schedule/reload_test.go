package schedule_test

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/schedule"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/testinfra/testenv"
)

// startEmission is one emitted slot, by its start time.
type startEmission struct {
	owner string
	start time.Time
}

type startRecorder struct {
	mu  sync.Mutex
	all []startEmission
}

func (r *startRecorder) hook(owner string) func(schedule.Job, int64) {
	return func(j schedule.Job, slot int64) {
		r.mu.Lock()
		defer r.mu.Unlock()
		start := time.Unix(0, slot*int64(j.Interval)).UTC()
		r.all = append(r.all, startEmission{owner: owner, start: start})
	}
}

func (r *startRecorder) snapshot() []startEmission {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]startEmission(nil), r.all...)
}

func (r *startRecorder) waitCount(t *testing.T, n int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for len(r.snapshot()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d emissions not within %s: %+v", n, within, r.snapshot())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTwoSchedulersWhileIntervalEdited runs two schedulers reading the stored schedule from
// PostgreSQL while the ping interval is edited from 1 s to 2 s and back: no slot start is
// emitted twice, every slot of the schedule in force is emitted (consecutive starts are one
// interval apart, the old one before an edit and the new one after), each slot is one asynq
// task, and asynq's scheduler entry shows the new spec.
func TestTwoSchedulersWhileIntervalEdited(t *testing.T) {
	rdb := testenv.NewRedis(t)
	client, in := newClient(t, rdb)
	st := store.New(testenv.NewDB(t), 10*time.Second, nil)
	ctx := testenv.Ctx(t, time.Minute)
	testenv.Must(t, "seed", st.SeedSchedule(ctx, []store.ScheduleEntry{{TaskType: tasks.TypePingCycle, Interval: time.Second, Enabled: true}}))
	rec := &startRecorder{}
	var runs []*running
	for _, owner := range []string{"sched-a", "sched-b"} {
		rctx, cancel := context.WithCancel(context.Background())
		s := schedule.New(schedule.Params{Redis: rdb, Client: client, Source: schedule.StoreSource{Store: st}, Reload: 200 * time.Millisecond,
			Owner: owner, LeaderTTL: 1500 * time.Millisecond, OnEnqueued: rec.hook(owner)})
		r := &running{owner: owner, s: s, cancel: cancel, done: make(chan error, 1)}
		go func() { r.done <- s.Run(rctx) }()
		t.Cleanup(cancel)
		runs = append(runs, r)
	}
	edit := func(iv time.Duration) time.Time {
		_, err := st.PutScheduleEntry(ctx, store.ScheduleEntry{TaskType: tasks.TypePingCycle, Interval: iv, Enabled: true, UpdatedBy: "test"})
		testenv.Must(t, "edit interval", err)
		return time.Now()
	}
	rec.waitCount(t, 4, 10*time.Second)
	toTwo := edit(2 * time.Second)
	rec.waitCount(t, len(rec.snapshot())+3, 10*time.Second)
	entries, err := in.SchedulerEntries()
	testenv.Must(t, "scheduler entries", err)
	if len(entries) != 1 || entries[0].Spec != "@every 2s" || entries[0].Next.Sub(entries[0].Prev) != 2*time.Second {
		t.Errorf("asynq scheduler entries after the edit: %+v, want one @every 2s", entries)
	}
	toOne := edit(time.Second)
	rec.waitCount(t, len(rec.snapshot())+4, 10*time.Second)
	for _, r := range runs {
		r.stop(t)
	}

	all := rec.snapshot()
	seen := map[time.Time]string{}
	var starts []time.Time
	for _, e := range all {
		if o, dup := seen[e.start]; dup {
			t.Errorf("slot starting %s emitted twice (%s and %s)", e.start, o, e.owner)
		}
		seen[e.start] = e.owner
		starts = append(starts, e.start)
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i].Before(starts[j]) })
	// the interval in force at a slot: 1 s until the first edit applies, 2 s until the second
	// (an edit applies within the reload period, 200 ms, plus a slot boundary)
	for i := 1; i < len(starts); i++ {
		gap := starts[i].Sub(starts[i-1])
		want := time.Second
		if starts[i].After(toTwo.Add(time.Second)) && !starts[i].After(toOne) {
			want = 2 * time.Second
		}
		inChange := (starts[i].After(toTwo) && !starts[i].After(toTwo.Add(2*time.Second))) ||
			(starts[i].After(toOne) && !starts[i].After(toOne.Add(2*time.Second)))
		if gap != want && !(inChange && gap >= time.Second && gap <= 2*time.Second) {
			t.Errorf("slot %s follows %s after %s, want %s (a slot lost or doubled)", starts[i], starts[i-1], gap, want)
		}
	}
	if got := len(pendingCycleSlots(t, in, tasks.QueueDefault, tasks.TypePingCycle)); got != len(all) {
		t.Errorf("asynq holds %d cycle tasks for %d emitted slots", got, len(all))
	}
	t.Logf("slot starts %v; edits at %s and %s", starts, toTwo.Format("15:04:05.000"), toOne.Format("15:04:05.000"))
}
