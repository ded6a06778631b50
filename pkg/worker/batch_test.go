package worker

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/probe"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/testinfra/testenv"
)

// answerAll is a Pinger every target answers, 1 ms for each of its echoes.
type answerAll struct{}

func (answerAll) PingAll(_ context.Context, targets []probe.Target, opts probe.Options) []probe.Result {
	out := make([]probe.Result, len(targets))
	for i, tg := range targets {
		out[i] = probe.Result{ID: tg.ID, Addr: tg.Addr, Sent: opts.Count, Received: opts.Count, At: time.Now().UTC()}
		for range opts.Count {
			out[i].RTTs = append(out[i].RTTs, time.Millisecond)
		}
	}
	return out
}

type noProfiles struct{}

func (noProfiles) Get(context.Context) ([]store.Profile, error) { return nil, nil }

type noEvents struct{}

func (noEvents) Publish(context.Context, string, any) error { return nil }

// TestBatchRunTwiceCountsOnce: a slot of two ping batches where batch 0 runs twice at once (a
// rescue and its original, both within the slot) and once more as the late original that asynq
// recovers after the slot. Results are stored once, the countdown reaches 0 (not below), the alert evaluation
// is enqueued once, and the late original counts no skip.
func TestBatchRunTwiceCountsOnce(t *testing.T) {
	ctx := testenv.Ctx(t, time.Minute)
	st := store.New(testenv.NewDB(t), 10*time.Second, nil)
	testenv.Must(t, "partitions", st.EnsurePingPartitions(ctx, time.Now(), 2))
	for i := 1; i <= 3; i++ {
		_, err := st.CreateDevice(ctx, store.DeviceInput{Name: fmt.Sprintf("d%d", i), IP: netip.MustParseAddr(fmt.Sprintf("127.20.250.%d", i)),
			Branch: "b", Region: "r", Type: "router", Enabled: true})
		testenv.Must(t, "create device", err)
	}
	rdb := testenv.NewRedis(t)
	client := asynq.NewClientFromRedisClient(rdb)
	ping := NewPingHandler(PingParams{Store: st, Pinger: answerAll{}, Profiles: noProfiles{}, Events: noEvents{}, Redis: rdb,
		Client: client, Defaults: probe.Options{Count: 2, Spacing: 10 * time.Millisecond, Timeout: time.Second}})
	h := NewBatches(BatchParams{Redis: rdb, Client: client}).Wrap("ping", asynq.HandlerFunc(ping.ProcessBatch))
	cycle := &CycleHandler{Devices: st.EnabledDeviceIDs, Client: client, Redis: rdb, BatchType: tasks.TypePingBatch,
		BatchSize: 2, Queue: tasks.QueueDefault, Logger: testLogger(t)}
	slot := currentSlot(0).CyclePayload
	testenv.Must(t, "fan out", cycle.ProcessTask(ctx, asynq.NewTask(tasks.TypePingCycle, tasks.Encode(slot))))

	ids, err := st.EnabledDeviceIDs(ctx)
	testenv.Must(t, "device ids", err)
	b0 := tasks.BatchPayload{CyclePayload: slot, Batch: 0, DeviceIDs: ids[:2]}
	b1 := tasks.BatchPayload{CyclePayload: slot, Batch: 1, DeviceIDs: ids[2:]}
	rescue := b0
	rescue.Rescue, rescue.StartBy = 1, slot.Deadline().Add(HeartbeatTTL(slot.Interval))
	lateOriginal := b0
	lateOriginal.SlotStart = slot.SlotStart.Add(-time.Hour) // its deadline is long past
	run := func(p tasks.BatchPayload) error {
		return h.ProcessTask(ctx, asynq.NewTask(tasks.TypePingBatch, tasks.Encode(p)))
	}
	// At the same time, both past the done check. The later COPY of the same (device, slot) rows
	// may fail on the primary key; asynq retries that run, which then finds the batch done.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, p := range []tasks.BatchPayload{rescue, b0} {
		wg.Go(func() { errs[i] = run(p) })
	}
	wg.Wait()
	if errs[0] != nil && errs[1] != nil {
		t.Fatalf("both runs of batch 0 failed: %v; %v", errs[0], errs[1])
	}
	for i, p := range []tasks.BatchPayload{rescue, b0} {
		if errs[i] != nil {
			t.Logf("run %d of batch 0 failed (%v); retrying it", i, errs[i])
			testenv.Must(t, "retry batch 0", run(p))
		}
	}
	testenv.Must(t, "run batch 1", run(b1))
	testenv.Must(t, "run the late original of batch 0", run(lateOriginal))

	var rows, pairs int
	testenv.Must(t, "count rows", st.Pool().QueryRow(ctx,
		`SELECT count(*), count(DISTINCT device_id) FROM ping_results WHERE slot_at = $1`, slot.SlotStart).Scan(&rows, &pairs))
	if rows != 3 || pairs != 3 {
		t.Errorf("%d rows for %d devices, want 3 and 3", rows, pairs)
	}
	if left := rdb.HGet(ctx, cycleKey(tasks.TypePingBatch, slot.Slot), fieldRemaining).Val(); left != "0" {
		t.Errorf("countdown at %q, want 0", left)
	}
	if n := countTasks(t, rdb, tasks.QueueCritical, tasks.TypeAlertEval); n != 1 {
		t.Errorf("%d alert evaluations enqueued, want 1", n)
	}
	if skipped := rdb.HGet(ctx, SkippedKey, tasks.TypePingBatch).Val(); skipped != "" {
		t.Errorf("%s skips counted, want none: the late original found its batch done", skipped)
	}
}

func countTasks(t *testing.T, rdb redis.UniversalClient, queue, typ string) int {
	t.Helper()
	insp := asynq.NewInspectorFromRedisClient(rdb)
	list, err := insp.ListPendingTasks(queue)
	if errors.Is(err, asynq.ErrQueueNotFound) {
		return 0
	}
	testenv.Must(t, "list tasks", err)
	n := 0
	for _, ti := range list {
		if ti.Type == typ {
			n++
		}
	}
	return n
}

// TestBatchEvalAfterFailedEnqueue: the run that counted the last batch down could not enqueue
// the alert evaluation (it failed or died); a later run of that batch enqueues it, once.
func TestBatchEvalAfterFailedEnqueue(t *testing.T) {
	ctx := testenv.Ctx(t, 10*time.Second)
	rdb := testenv.NewRedis(t)
	client := asynq.NewClientFromRedisClient(rdb)
	p := currentSlot(0)
	testenv.Must(t, "countdown", startCountdown(ctx, rdb, tasks.TypePingBatch, p.CyclePayload, 1))
	err := batchDone(ctx, rdb, failingEnqueuer{}, tasks.TypePingBatch, "ping", p.Batch, p.CyclePayload)
	if err == nil {
		t.Fatal("batchDone with a failing enqueuer succeeded")
	}
	for range 2 {
		testenv.Must(t, "batch done again", batchDone(ctx, rdb, client, tasks.TypePingBatch, "ping", p.Batch, p.CyclePayload))
	}
	if n := countTasks(t, rdb, tasks.QueueCritical, tasks.TypeAlertEval); n != 1 {
		t.Errorf("%d alert evaluations enqueued, want 1", n)
	}
	if left := rdb.HGet(ctx, cycleKey(tasks.TypePingBatch, p.Slot), fieldRemaining).Val(); left != "0" {
		t.Errorf("countdown at %q, want 0", left)
	}
}

type failingEnqueuer struct{}

func (failingEnqueuer) EnqueueContext(context.Context, *asynq.Task, ...asynq.Option) (*asynq.TaskInfo, error) {
	return nil, fmt.Errorf("redis: connection refused")
}

// TestBatchLeaseWhileRunning: a batch run by an asynq server holds a lease that the heartbeat
// keeps ahead of the Redis clock, with the entry a rescue needs; once done, both are gone, the
// batch is marked done, and a rescuer finds nothing.
func TestBatchLeaseWhileRunning(t *testing.T) {
	ctx := testenv.Ctx(t, 30*time.Second)
	rdb := testenv.NewRedis(t)
	client := asynq.NewClientFromRedisClient(rdb)
	p := currentSlot(0)
	p.Interval = 4 * time.Second // TTL 1s, renewed every 333ms
	started, finish, finished := make(chan struct{}), make(chan struct{}), make(chan struct{})
	inner := asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
		close(started)
		<-finish
		return nil
	})
	h := NewBatches(BatchParams{Redis: rdb, Client: client, Logger: testLogger(t)}).Wrap("ping", inner)
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: 1, Queues: map[string]int{tasks.QueueDefault: 1},
		TaskCheckInterval: 50 * time.Millisecond, LogLevel: asynq.FatalLevel})
	mux := asynq.NewServeMux()
	mux.Handle(tasks.TypePingBatch, asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		defer close(finished)
		return h.ProcessTask(ctx, t)
	}))
	testenv.Must(t, "start server", srv.Start(mux))
	t.Cleanup(srv.Shutdown)
	id := tasks.BatchTaskID(tasks.TypePingBatch, p.Slot, p.Batch)
	_, err := client.Enqueue(asynq.NewTask(tasks.TypePingBatch, tasks.Encode(p)), asynq.TaskID(id), asynq.Queue(tasks.QueueDefault))
	testenv.Must(t, "enqueue", err)
	<-started
	r := NewRescuer(RescuerParams{Redis: rdb, Client: client, Inspector: asynq.NewInspectorFromRedisClient(rdb)})
	for range 3 { // three TTLs: the heartbeat must have renewed it
		time.Sleep(HeartbeatTTL(p.Interval))
		now, err := rdb.Time(ctx).Result()
		testenv.Must(t, "redis time", err)
		exp := rdb.ZScore(ctx, leasesKey, id).Val()
		// scores are whole milliseconds of the Redis clock and now is truncated to one: allow
		// that millisecond of granularity (a renewal at .9 ms read here as 1.001 s)
		if left := time.Duration(exp-float64(now.UnixMilli())) * time.Millisecond; left <= 0 || left > HeartbeatTTL(p.Interval)+time.Millisecond {
			t.Errorf("lease expires in %s, want within (0, %s]", left, HeartbeatTTL(p.Interval))
		}
		if !rdb.HExists(ctx, inflightKey, id).Val() {
			t.Error("no in-flight entry while the batch runs")
		}
		if n, err := r.Pass(ctx); n != 0 || err != nil {
			t.Errorf("rescuer pass over a live batch: %d rescued, %v", n, err)
		}
	}
	close(finish)
	<-finished
	assertNoLeases(t, rdb)
	if done, err := batchIsDone(ctx, rdb, tasks.TypePingBatch, p); !done || err != nil {
		t.Errorf("batch done = %v, %v; want true", done, err)
	}
}

// TestBatchFailedStaysWatched: a batch whose handler fails keeps its lease (asynq retries it,
// and a worker dying before the retry leases it again must leave it rescuable) and is not done.
func TestBatchFailedStaysWatched(t *testing.T) {
	ctx := testenv.Ctx(t, 30*time.Second)
	rdb := testenv.NewRedis(t)
	client := asynq.NewClientFromRedisClient(rdb)
	p := currentSlot(0)
	finished := make(chan struct{})
	inner := asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return errors.New("database unavailable") })
	h := NewBatches(BatchParams{Redis: rdb, Client: client, Logger: testLogger(t)}).Wrap("ping", inner)
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: 1, Queues: map[string]int{tasks.QueueDefault: 1},
		TaskCheckInterval: 50 * time.Millisecond, LogLevel: asynq.FatalLevel,
		RetryDelayFunc: func(int, error, *asynq.Task) time.Duration { return time.Hour }})
	mux := asynq.NewServeMux()
	mux.Handle(tasks.TypePingBatch, asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		defer close(finished)
		return h.ProcessTask(ctx, t)
	}))
	testenv.Must(t, "start server", srv.Start(mux))
	t.Cleanup(srv.Shutdown)
	id := tasks.BatchTaskID(tasks.TypePingBatch, p.Slot, p.Batch)
	_, err := client.Enqueue(asynq.NewTask(tasks.TypePingBatch, tasks.Encode(p)), asynq.TaskID(id), asynq.Queue(tasks.QueueDefault), asynq.MaxRetry(2))
	testenv.Must(t, "enqueue", err)
	<-finished
	if !rdb.HExists(ctx, inflightKey, id).Val() || rdb.ZScore(ctx, leasesKey, id).Err() != nil {
		t.Error("the failed batch is no longer watched")
	}
	if done, err := batchIsDone(ctx, rdb, tasks.TypePingBatch, p); done || err != nil {
		t.Errorf("batch done = %v, %v; want false", done, err)
	}
}

// TestBatchLateSkippedForEveryJob: a batch of any job (here SNMP) that starts after its slot is
// not run, is counted in SkippedKey and by the hook, and still counts down so the cycle's alert
// evaluation is enqueued.
func TestBatchLateSkippedForEveryJob(t *testing.T) {
	ctx := testenv.Ctx(t, 10*time.Second)
	rdb := testenv.NewRedis(t)
	client := asynq.NewClientFromRedisClient(rdb)
	p := currentSlot(0)
	p.SlotStart = p.SlotStart.Add(-2 * p.Interval) // the slot ended an interval ago
	testenv.Must(t, "countdown", startCountdown(ctx, rdb, tasks.TypeSNMPBatch, p.CyclePayload, 1))
	var hooked []string
	ran := false
	inner := asynq.HandlerFunc(func(context.Context, *asynq.Task) error { ran = true; return nil })
	h := NewBatches(BatchParams{Redis: rdb, Client: client, Logger: testLogger(t),
		Skipped: func(typ string) { hooked = append(hooked, typ) }}).Wrap("snmp", inner)
	testenv.Must(t, "late batch", h.ProcessTask(ctx, asynq.NewTask(tasks.TypeSNMPBatch, tasks.Encode(p))))
	if ran {
		t.Error("a late batch ran")
	}
	if n := rdb.HGet(ctx, SkippedKey, tasks.TypeSNMPBatch).Val(); n != "1" || len(hooked) != 1 {
		t.Errorf("skips counted %q in Redis, %v by the hook; want 1 and [%s]", n, hooked, tasks.TypeSNMPBatch)
	}
	if n := countTasks(t, rdb, tasks.QueueCritical, tasks.TypeAlertEval); n != 1 {
		t.Errorf("%d alert evaluations enqueued, want 1", n)
	}
}
