package worker

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/testinfra/testenv"
)

// fakeInspector answers every GetTaskInfo with one state and records the calls.
type fakeInspector struct {
	state asynq.TaskState
	calls atomic.Int32
}

func (f *fakeInspector) GetTaskInfo(queue, id string) (*asynq.TaskInfo, error) {
	f.calls.Add(1)
	return &asynq.TaskInfo{Queue: queue, ID: id, State: f.state}, nil
}

var _ TaskInspector = (*fakeInspector)(nil)

// currentSlot is a ping batch payload of a 30 s slot that started a second ago.
func currentSlot(batch int) tasks.BatchPayload {
	start := time.Now().Add(-time.Second).UTC().Truncate(time.Millisecond)
	return tasks.BatchPayload{
		CyclePayload: tasks.CyclePayload{Slot: start.Unix() / 30, SlotStart: start, Interval: 30 * time.Second},
		Batch:        batch, DeviceIDs: []int64{1, 2, 3},
	}
}

// seedDeadLease writes the lease of a batch task as if its worker had died: entry present,
// lease already expired.
func seedDeadLease(t *testing.T, rdb redis.UniversalClient, queue, id string, p tasks.BatchPayload) {
	t.Helper()
	entry := tasks.Encode(inflightEntry{Queue: queue, Type: tasks.TypePingBatch, Payload: tasks.Encode(p), Running: true})
	testenv.Must(t, "seed lease", setLease(testenv.Ctx(t, 5*time.Second), rdb, id, -time.Second, entry))
}

// assertNoLeases checks that the lease and its entry are gone.
func assertNoLeases(t *testing.T, rdb redis.UniversalClient) {
	t.Helper()
	ctx := testenv.Ctx(t, 5*time.Second)
	if n := rdb.ZCard(ctx, leasesKey).Val() + rdb.HLen(ctx, inflightKey).Val(); n != 0 {
		t.Errorf("%d leases or entries left, want none", n)
	}
}

// TestRescueDeadBatchOnce: the original task is active in asynq (a server holds it), its lease
// has expired and it is not done; two rescuers pass over it repeatedly at the same time. One
// rescue is enqueued, on the critical queue, startable until the slot's end plus the TTL.
func TestRescueDeadBatchOnce(t *testing.T) {
	rdb := testenv.NewRedis(t)
	ctx := testenv.Ctx(t, 30*time.Second)
	client := asynq.NewClientFromRedisClient(rdb)
	p := currentSlot(3)
	id := tasks.BatchTaskID(tasks.TypePingBatch, p.Slot, p.Batch)
	holdActive(t, rdb, client, p, id)
	seedDeadLease(t, rdb, tasks.QueueDefault, id, p)

	var hooked atomic.Int32
	insp := asynq.NewInspectorFromRedisClient(rdb)
	newRescuer := func() *Rescuer {
		return NewRescuer(RescuerParams{Redis: rdb, Client: client, Inspector: insp,
			Rescued: func(typ string) {
				if typ == tasks.TypePingBatch {
					hooked.Add(1)
				}
			}})
	}
	rescuers := []*Rescuer{newRescuer(), newRescuer()}
	var total atomic.Int32
	var wg sync.WaitGroup
	for _, r := range rescuers {
		wg.Go(func() {
			for range 20 {
				n, err := r.Pass(ctx)
				if err != nil {
					t.Errorf("pass: %v", err)
				}
				total.Add(int32(n))
			}
		})
	}
	wg.Wait()
	if total.Load() != 1 || hooked.Load() != 1 {
		t.Errorf("rescued %d times (hook %d), want 1", total.Load(), hooked.Load())
	}
	info, err := insp.GetTaskInfo(tasks.QueueCritical, tasks.RescueTaskID(tasks.TypePingBatch, p.Slot, p.Batch, 1))
	testenv.Must(t, "read the rescue task", err)
	var got tasks.BatchPayload
	testenv.Must(t, "decode the rescue", tasks.Decode(info.Type, info.Payload, &got))
	want := p
	want.Rescue, want.StartBy = 1, p.Deadline().Add(HeartbeatTTL(p.Interval))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rescue payload (-want +got):\n%s", diff)
	}
	if info.Type != tasks.TypePingBatch || info.State != asynq.TaskStatePending {
		t.Errorf("rescue task %s in state %s, want a pending %s", info.Type, info.State, tasks.TypePingBatch)
	}
	// the dead lease is gone; the rescue is watched from its enqueue
	if diff := cmp.Diff([]string{info.ID}, rdb.HKeys(ctx, inflightKey).Val()); diff != "" {
		t.Errorf("watched tasks (-want +got):\n%s", diff)
	}
}

// TestRescueDiedBeforeLease: a worker takes a freshly fanned-out batch and dies before its
// handler leased it. The lease the fan-out gave the batch expires a TTL later; the first pass
// to find it active gives the handler one more TTL (a live one leases it within milliseconds),
// and the batch is rescued after that.
func TestRescueDiedBeforeLease(t *testing.T) {
	rdb := testenv.NewRedis(t)
	ctx := testenv.Ctx(t, 30*time.Second)
	client := asynq.NewClientFromRedisClient(rdb)
	p := currentSlot(0)
	p.Interval = 4 * time.Second // TTL 1s
	taken := serveHolding(t, rdb)
	cycle := &CycleHandler{Devices: func(context.Context) ([]int64, error) { return p.DeviceIDs, nil }, Client: client, Redis: rdb,
		BatchType: tasks.TypePingBatch, BatchSize: 10, Queue: tasks.QueueDefault, Logger: testLogger(t)}
	testenv.Must(t, "fan out", cycle.ProcessTask(ctx, asynq.NewTask(tasks.TypePingCycle, tasks.Encode(p.CyclePayload))))
	waitTaken(t, taken)
	r := NewRescuer(RescuerParams{Redis: rdb, Client: client, Inspector: asynq.NewInspectorFromRedisClient(rdb)})
	if n, err := r.Pass(ctx); n != 0 || err != nil {
		t.Fatalf("pass within the TTL: %d rescued, %v; want 0", n, err)
	}
	time.Sleep(HeartbeatTTL(p.Interval))
	if n, err := r.Pass(ctx); n != 0 || err != nil {
		t.Fatalf("first pass to find it active: %d rescued, %v; want 0 (one more TTL for the handover)", n, err)
	}
	time.Sleep(HeartbeatTTL(p.Interval))
	n, err := r.Pass(ctx)
	testenv.Must(t, "pass", err)
	if n != 1 {
		t.Errorf("rescued %d after the second TTL, want 1", n)
	}
}

// TestRescueNotDuringHandover: a batch that waited in the queue longer than its fan-out lease is
// taken by a live worker just as a rescuer passes; the rescuer finds it active under the fan-out
// lease and waits one TTL, during which the handler's own lease replaces it: no rescue. Under
// load (100,000 devices, two workers) this race rescued 153 live batches in two minutes.
func TestRescueNotDuringHandover(t *testing.T) {
	rdb := testenv.NewRedis(t)
	ctx := testenv.Ctx(t, 30*time.Second)
	client := asynq.NewClientFromRedisClient(rdb)
	p := currentSlot(5)
	p.Interval = 4 * time.Second // TTL 1s
	id := tasks.BatchTaskID(tasks.TypePingBatch, p.Slot, p.Batch)
	holdActive(t, rdb, client, p, id) // active in asynq, its handler not yet leasing
	fanout := tasks.Encode(inflightEntry{Queue: tasks.QueueDefault, Type: tasks.TypePingBatch, Payload: tasks.Encode(p)})
	testenv.Must(t, "expired fan-out lease", setLease(ctx, rdb, id, -time.Second, fanout))
	r := NewRescuer(RescuerParams{Redis: rdb, Client: client, Inspector: asynq.NewInspectorFromRedisClient(rdb)})
	if n, err := r.Pass(ctx); n != 0 || err != nil {
		t.Fatalf("pass at the handover: %d rescued, %v; want 0", n, err)
	}
	// the handler starts and leases the batch (what Batches.hold writes), then renews it
	running := tasks.Encode(inflightEntry{Queue: tasks.QueueDefault, Type: tasks.TypePingBatch, Payload: tasks.Encode(p), Running: true})
	testenv.Must(t, "handler lease", setLease(ctx, rdb, id, HeartbeatTTL(p.Interval), running))
	for range 4 {
		time.Sleep(HeartbeatTTL(p.Interval) / 2)
		testenv.Must(t, "heartbeat", setLease(ctx, rdb, id, HeartbeatTTL(p.Interval), nil))
		if n, err := r.Pass(ctx); n != 0 || err != nil {
			t.Fatalf("pass while the handler runs: %d rescued, %v; want 0", n, err)
		}
	}
}

// holdActive enqueues the batch task id on the default queue and has a server take it and hold
// it (active) until the test ends, as a worker that died would leave it until asynq's lease
// expires.
func holdActive(t *testing.T, rdb redis.UniversalClient, client *asynq.Client, p tasks.BatchPayload, id string) {
	t.Helper()
	taken := serveHolding(t, rdb)
	_, err := client.Enqueue(asynq.NewTask(tasks.TypePingBatch, tasks.Encode(p)), asynq.TaskID(id), asynq.Queue(tasks.QueueDefault))
	testenv.Must(t, "enqueue the batch", err)
	waitTaken(t, taken)
}

// serveHolding starts a server on the default queue whose ping batch handler holds the first
// task it takes until the test ends, without a lease.
func serveHolding(t *testing.T, rdb redis.UniversalClient) <-chan struct{} {
	t.Helper()
	taken := make(chan struct{})
	release := make(chan struct{})
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: 1, Queues: map[string]int{tasks.QueueDefault: 1},
		TaskCheckInterval: 50 * time.Millisecond, LogLevel: asynq.FatalLevel, ShutdownTimeout: time.Second})
	mux := asynq.NewServeMux()
	mux.HandleFunc(tasks.TypePingBatch, func(ctx context.Context, _ *asynq.Task) error {
		close(taken)
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	})
	testenv.Must(t, "start the holding server", srv.Start(mux))
	t.Cleanup(func() { close(release); srv.Shutdown() })
	return taken
}

func waitTaken(t *testing.T, taken <-chan struct{}) {
	t.Helper()
	select {
	case <-taken:
	case <-time.After(10 * time.Second):
		t.Fatal("the holding server did not take the batch within 10s")
	}
}

// TestRescueNotNeeded: an expired lease is dropped without a rescue when the batch does not
// need one, kept (watched) while asynq has it queued; a live lease is left alone.
func TestRescueNotNeeded(t *testing.T) {
	tests := []struct {
		name      string
		state     asynq.TaskState
		payload   func() tasks.BatchPayload
		before    func(t *testing.T, rdb redis.UniversalClient, p tasks.BatchPayload)
		ttl       time.Duration // of the seeded lease; negative: expired
		wantLease bool
	}{
		{name: "done", state: asynq.TaskStateActive, payload: func() tasks.BatchPayload { return currentSlot(0) }, ttl: -time.Second,
			before: func(t *testing.T, rdb redis.UniversalClient, p tasks.BatchPayload) {
				testenv.Must(t, "mark done", batchDone(testenv.Ctx(t, 5*time.Second), rdb, nil, tasks.TypePingBatch, "ping", p.Batch, p.CyclePayload))
			}},
		{name: "queued or requeued by asynq (shutdown)", state: asynq.TaskStatePending, payload: func() tasks.BatchPayload { return currentSlot(0) },
			ttl: -time.Second, wantLease: true},
		{name: "retrying (timed out or failed)", state: asynq.TaskStateRetry, payload: func() tasks.BatchPayload { return currentSlot(0) },
			ttl: -time.Second, wantLease: true},
		{name: "queued, slot over", state: asynq.TaskStatePending, ttl: -time.Second, payload: func() tasks.BatchPayload {
			p := currentSlot(0)
			p.SlotStart = p.SlotStart.Add(-p.Interval)
			return p
		}},
		{name: "completed", state: asynq.TaskStateCompleted, payload: func() tasks.BatchPayload { return currentSlot(0) }, ttl: -time.Second},
		{name: "slot over", state: asynq.TaskStateActive, ttl: -time.Second, payload: func() tasks.BatchPayload {
			p := currentSlot(0)
			p.SlotStart = p.SlotStart.Add(-p.Interval - HeartbeatTTL(p.Interval))
			return p
		}},
		{name: "rescue limit", state: asynq.TaskStateActive, ttl: -time.Second, payload: func() tasks.BatchPayload {
			p := currentSlot(0)
			p.Rescue = MaxRescues
			return p
		}},
		{name: "alive", state: asynq.TaskStateActive, payload: func() tasks.BatchPayload { return currentSlot(0) }, ttl: 10 * time.Second, wantLease: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rdb := testenv.NewRedis(t)
			ctx := testenv.Ctx(t, 10*time.Second)
			client := asynq.NewClientFromRedisClient(rdb)
			p := tc.payload()
			if tc.before != nil {
				tc.before(t, rdb, p)
			}
			id := tasks.BatchTaskID(tasks.TypePingBatch, p.Slot, p.Batch)
			entry := tasks.Encode(inflightEntry{Queue: tasks.QueueDefault, Type: tasks.TypePingBatch, Payload: tasks.Encode(p)})
			testenv.Must(t, "seed lease", setLease(ctx, rdb, id, tc.ttl, entry))
			r := NewRescuer(RescuerParams{Redis: rdb, Client: client, Inspector: &fakeInspector{state: tc.state}})
			n, err := r.Pass(ctx)
			testenv.Must(t, "pass", err)
			if n != 0 {
				t.Errorf("rescued %d, want 0", n)
			}
			if pending := rdb.LLen(ctx, "asynq:{critical}:pending").Val(); pending != 0 {
				t.Errorf("%d tasks on the critical queue, want none", pending)
			}
			if got := rdb.HExists(ctx, inflightKey, id).Val(); got != tc.wantLease {
				t.Errorf("lease entry present = %v, want %v", got, tc.wantLease)
			}
		})
	}
}

// testLogger writes to the test's output (shown on failure or with -v).
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}
