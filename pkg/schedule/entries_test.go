package schedule_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/wardops/wardops/pkg/schedule"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/testinfra/testenv"
)

func TestSpec(t *testing.T) {
	for _, c := range []struct {
		job  schedule.Job
		want string
	}{
		{schedule.Job{Interval: 30 * time.Second}, "@every 30s"},
		{schedule.Job{Interval: 5 * time.Minute}, "@every 5m"},
		{schedule.Job{Interval: time.Hour}, "@every 1h"},
		{schedule.Job{Interval: time.Hour, Offset: 5 * time.Minute}, "5 * * * *"},
		{schedule.Job{Interval: 24 * time.Hour, Offset: 3 * time.Hour}, "@every 24h +3h"},
		{schedule.Job{Interval: 90 * time.Second}, "@every 1m30s"},
	} {
		t.Run(c.want, func(t *testing.T) {
			if got := schedule.Spec(c.job); got != c.want {
				t.Errorf("Spec(%+v) = %q, want %q", c.job, got, c.want)
			}
		})
	}
}

// TestEntriesReadByInspector runs a leading scheduler and reads what it publishes through
// asynq's public Inspector, as asynqmon's Schedulers tab does: one entry per job with its spec,
// queue, next and previous enqueue, and enqueue events naming the slot-derived task IDs, each
// of which is a real task. When the scheduler stops its entries are gone.
func TestEntriesReadByInspector(t *testing.T) {
	rdb := testenv.NewRedis(t)
	client, in := newClient(t, rdb)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	jobs := []schedule.Job{
		{TaskType: tasks.TypePingCycle, Queue: tasks.QueueDefault, Interval: time.Second},
		{TaskType: tasks.TypeRetention, Queue: tasks.QueueLow, Interval: time.Hour, Offset: 7 * time.Minute},
	}
	s := schedule.New(schedule.Params{Redis: rdb, Client: client, Jobs: jobs, Owner: "sched-entries", LeaderTTL: 900 * time.Millisecond})
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()

	var entries []*asynq.SchedulerEntry
	var events []*asynq.SchedulerEnqueueEvent
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var err error
		entries, err = in.SchedulerEntries()
		testenv.Must(t, "scheduler entries", err)
		events, err = in.ListSchedulerEnqueueEvents(tasks.TypePingCycle)
		testenv.Must(t, "enqueue events", err)
		if len(entries) == 2 && len(events) >= 2 && !pingEntry(entries).Prev.IsZero() {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	type view struct{ ID, Spec, Type string }
	var got []view
	for _, e := range entries {
		got = append(got, view{e.ID, e.Spec, e.Task.Type()})
	}
	want := []view{{"cycle:ping", "@every 1s", "cycle:ping"}, {"ops:retention", "7 * * * *", "ops:retention"}}
	if d := cmp.Diff(want, sortViews(got, func(v view) string { return v.ID })); d != "" {
		t.Fatalf("entries (-want +got):\n%s", d)
	}
	ping := pingEntry(entries)
	now := time.Now()
	if ping.Next.Before(now.Add(-time.Second)) || ping.Next.After(now.Add(2*time.Second)) {
		t.Errorf("ping next enqueue %s, want within a second of %s", ping.Next, now)
	}
	if ping.Prev.IsZero() || ping.Prev.After(now) {
		t.Errorf("ping previous enqueue %s, want a past enqueue", ping.Prev)
	}
	if len(ping.Opts) == 0 || ping.Opts[0].String() != `Queue("default")` {
		t.Errorf("ping options %v, want Queue(\"default\") first", ping.Opts)
	}
	if len(events) < 2 {
		t.Fatalf("enqueue events %d, want at least 2", len(events))
	}
	for _, ev := range events {
		info, err := in.GetTaskInfo(tasks.QueueDefault, ev.TaskID)
		if err != nil {
			t.Errorf("event task %s (at %s): %v", ev.TaskID, ev.EnqueuedAt, err)
			continue
		}
		var p tasks.CyclePayload
		testenv.Must(t, "decode payload", tasks.Decode(info.Type, info.Payload, &p))
		if want := tasks.CycleTaskID(tasks.TypePingCycle, p.Slot); ev.TaskID != want {
			t.Errorf("event task id %s, want the slot-derived %s", ev.TaskID, want)
		}
	}
	cancel()
	testenv.Must(t, "run", <-done)
	entries, err := in.SchedulerEntries()
	testenv.Must(t, "scheduler entries after stop", err)
	if len(entries) != 0 {
		t.Errorf("entries after stop: %d, want 0", len(entries))
	}
}

func pingEntry(es []*asynq.SchedulerEntry) *asynq.SchedulerEntry {
	for _, e := range es {
		if e.ID == tasks.TypePingCycle {
			return e
		}
	}
	return &asynq.SchedulerEntry{}
}

func sortViews[T any](vs []T, key func(T) string) []T {
	for i := 1; i < len(vs); i++ {
		for j := i; j > 0 && key(vs[j]) < key(vs[j-1]); j-- {
			vs[j], vs[j-1] = vs[j-1], vs[j]
		}
	}
	return vs
}
