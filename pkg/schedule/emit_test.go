package schedule_test

import (
	"context"
	"errors"
	"net"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/schedule"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/testinfra/testenv"
)

// closedRedis is a client on a loopback port nothing listens on.
func closedRedis(t *testing.T) *redis.Client {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	testenv.Must(t, "listen", err)
	addr := ln.Addr().String()
	testenv.Must(t, "close listener", ln.Close())
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func newClient(t *testing.T, rdb *redis.Client) (*asynq.Client, *asynq.Inspector) {
	t.Helper()
	c := asynq.NewClientFromRedisClient(rdb)
	in := asynq.NewInspectorFromRedisClient(rdb)
	t.Cleanup(func() { _ = c.Close(); _ = in.Close() })
	return c, in
}

// pendingCycleSlots lists the slots of the pending cycle tasks of a queue, sorted, checking
// that each task's ID is the slot-derived one and its payload names the same slot.
func pendingCycleSlots(t *testing.T, in *asynq.Inspector, queue, typ string) []int64 {
	t.Helper()
	infos, err := in.ListPendingTasks(queue, asynq.PageSize(1000))
	if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
		t.Fatalf("list pending tasks: %v", err)
	}
	var slots []int64
	for _, ti := range infos {
		var p tasks.CyclePayload
		testenv.Must(t, "decode payload", tasks.Decode(ti.Type, ti.Payload, &p))
		if ti.Type != typ || ti.ID != tasks.CycleTaskID(typ, p.Slot) {
			t.Errorf("task %s of type %s for slot %d: want id %s", ti.ID, ti.Type, p.Slot, tasks.CycleTaskID(typ, p.Slot))
		}
		slots = append(slots, p.Slot)
	}
	sort.Slice(slots, func(i, j int) bool { return slots[i] < slots[j] })
	return slots
}

// TestEmitOncePerSlotConcurrently: two "schedulers" with different lease owners on the same
// Redis both believe they lead and emit the same 8 slots at the same moment: every slot is
// enqueued exactly once, the loser gets ErrSlotTaken, and asynq holds one task per slot.
func TestEmitOncePerSlotConcurrently(t *testing.T) {
	rdb := testenv.NewRedis(t)
	ctx := testenv.Ctx(t, 30*time.Second)
	client, in := newClient(t, rdb)
	job := schedule.Job{TaskType: tasks.TypePingCycle, Queue: tasks.QueueDefault, Interval: 30 * time.Second}
	first := schedule.SlotStart(time.Now(), job.Interval, 0)
	const slots = 8

	owners := []string{"sched-a", "sched-b"}
	var mu sync.Mutex
	won := map[int64][]string{}
	taken := 0
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for _, owner := range owners {
		lease := schedule.NewLease(rdb, schedule.LeaseKey, owner, 5*time.Second)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = lease.TryAcquire(ctx) // split brain: both emit whatever the lease says
			<-gate
			for i := range slots {
				start := first.Add(time.Duration(i) * job.Interval)
				err := schedule.Emit(ctx, rdb, client, job, start)
				mu.Lock()
				switch {
				case err == nil:
					won[schedule.SlotNumber(start, job.Interval)] = append(won[schedule.SlotNumber(start, job.Interval)], owner)
				case errors.Is(err, schedule.ErrSlotTaken):
					taken++
				default:
					t.Errorf("%s: emit slot %d: %v", owner, i, err)
				}
				mu.Unlock()
			}
		}()
	}
	close(gate)
	wg.Wait()

	var want []int64
	for i := range slots {
		n := schedule.SlotNumber(first.Add(time.Duration(i)*job.Interval), job.Interval)
		want = append(want, n)
		if len(won[n]) != 1 {
			t.Errorf("slot %d emitted by %v, want exactly one scheduler", n, won[n])
		}
	}
	if taken != slots {
		t.Errorf("%d ErrSlotTaken answers, want %d", taken, slots)
	}
	if diff := cmp.Diff(want, pendingCycleSlots(t, in, job.Queue, job.TaskType)); diff != "" {
		t.Errorf("pending cycle tasks (-want +got):\n%s", diff)
	}
}

// TestEmitTaskOptions: the task carries the slot, its start and interval, the slot-derived ID,
// the job's queue, 3 retries, the interval as timeout and a retention of two intervals.
func TestEmitTaskOptions(t *testing.T) {
	rdb := testenv.NewRedis(t)
	ctx := testenv.Ctx(t, 10*time.Second)
	client, in := newClient(t, rdb)
	job := schedule.Job{TaskType: tasks.TypeSNMPCycle, Queue: tasks.QueueLow, Interval: time.Minute}
	start := utc("2026-03-01T12:34:00Z")
	testenv.Must(t, "emit", schedule.Emit(ctx, rdb, client, job, start))
	slot := schedule.SlotNumber(start, job.Interval)
	ti, err := in.GetTaskInfo(job.Queue, tasks.CycleTaskID(job.TaskType, slot))
	testenv.Must(t, "task info", err)
	var p tasks.CyclePayload
	testenv.Must(t, "decode", tasks.Decode(ti.Type, ti.Payload, &p))
	type view struct {
		Type, Queue         string
		MaxRetry            int
		Timeout, Retention  time.Duration
		Payload             tasks.CyclePayload
		ClaimTTLAtMost10Ivl bool
	}
	claimTTL, err := rdb.PTTL(ctx, schedule.ClaimKey(job.TaskType, start)).Result()
	testenv.Must(t, "claim ttl", err)
	got := view{Type: ti.Type, Queue: ti.Queue, MaxRetry: ti.MaxRetry, Timeout: ti.Timeout, Retention: ti.Retention, Payload: p,
		ClaimTTLAtMost10Ivl: claimTTL > 9*job.Interval && claimTTL <= 10*job.Interval}
	want := view{Type: tasks.TypeSNMPCycle, Queue: tasks.QueueLow, MaxRetry: 3, Timeout: time.Minute, Retention: 2 * time.Minute,
		Payload: tasks.CyclePayload{Slot: slot, SlotStart: start, Interval: time.Minute}, ClaimTTLAtMost10Ivl: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("task (-want +got):\n%s", diff)
	}
}

// TestEmitTaskIDGuardsALostClaim: should the slot claim vanish (evicted, expired, flushed), the
// slot-derived task ID still refuses a second task.
func TestEmitTaskIDGuardsALostClaim(t *testing.T) {
	rdb := testenv.NewRedis(t)
	ctx := testenv.Ctx(t, 10*time.Second)
	client, in := newClient(t, rdb)
	job := schedule.Job{TaskType: tasks.TypePingCycle, Queue: tasks.QueueDefault, Interval: 30 * time.Second}
	start := utc("2026-03-01T12:00:00Z")
	testenv.Must(t, "emit", schedule.Emit(ctx, rdb, client, job, start))
	slot := schedule.SlotNumber(start, job.Interval)
	testenv.Must(t, "drop claim", rdb.Del(ctx, schedule.ClaimKey(job.TaskType, start)).Err())
	if err := schedule.Emit(ctx, rdb, client, job, start); !errors.Is(err, schedule.ErrSlotTaken) {
		t.Fatalf("second emit without claim: %v, want ErrSlotTaken", err)
	}
	if diff := cmp.Diff([]int64{slot}, pendingCycleSlots(t, in, job.Queue, job.TaskType)); diff != "" {
		t.Errorf("pending (-want +got):\n%s", diff)
	}
}

// failingEnqueuer refuses every task, recording how often it was asked.
type failingEnqueuer struct{ calls int }

func (f *failingEnqueuer) EnqueueContext(context.Context, *asynq.Task, ...asynq.Option) (*asynq.TaskInfo, error) {
	f.calls++
	return nil, errors.New("broker unavailable")
}

var _ schedule.Enqueuer = (*failingEnqueuer)(nil)

// TestEmitGivesTheSlotBackOnFailure: when the enqueue fails the claim is released, so a retry
// (or the other scheduler) can still emit the slot.
func TestEmitGivesTheSlotBackOnFailure(t *testing.T) {
	rdb := testenv.NewRedis(t)
	ctx := testenv.Ctx(t, 10*time.Second)
	client, in := newClient(t, rdb)
	job := schedule.Job{TaskType: tasks.TypePingCycle, Queue: tasks.QueueDefault, Interval: 30 * time.Second}
	start := utc("2026-03-01T12:00:30Z")
	bad := &failingEnqueuer{}
	err := schedule.Emit(ctx, rdb, bad, job, start)
	if err == nil || errors.Is(err, schedule.ErrSlotTaken) || bad.calls != 1 {
		t.Fatalf("emit with a failing broker: %v after %d calls, want an enqueue error after 1", err, bad.calls)
	}
	testenv.Must(t, "emit again", schedule.Emit(ctx, rdb, client, job, start))
	if diff := cmp.Diff([]int64{schedule.SlotNumber(start, job.Interval)}, pendingCycleSlots(t, in, job.Queue, job.TaskType)); diff != "" {
		t.Errorf("pending (-want +got):\n%s", diff)
	}
}

func TestEmitRedisDown(t *testing.T) {
	bad := &failingEnqueuer{}
	job := schedule.Job{TaskType: tasks.TypePingCycle, Queue: tasks.QueueDefault, Interval: 30 * time.Second}
	err := schedule.Emit(context.Background(), closedRedis(t), bad, job, utc("2026-03-01T12:00:00Z"))
	if err == nil || errors.Is(err, schedule.ErrSlotTaken) || bad.calls != 0 {
		t.Fatalf("emit with Redis down: %v after %d enqueues, want a claim error and no enqueue", err, bad.calls)
	}
}
