package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/tasks"
)

// Job is one periodic cycle.
type Job struct {
	// TaskType is the cycle task's type, e.g. tasks.TypePingCycle.
	TaskType string
	// Queue the cycle task goes to.
	Queue string
	// Interval between slots; slots are aligned to multiples of it since the Unix epoch.
	Interval time.Duration
	// Offset shifts the slot start within the interval (e.g. 3h for a daily 03:00 job).
	Offset time.Duration
}

// Enqueuer is the part of *asynq.Client the scheduler uses.
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

var _ Enqueuer = (*asynq.Client)(nil)

// Params configures a Scheduler.
type Params struct {
	Redis  redis.UniversalClient
	Client Enqueuer
	// Jobs are emitted when Source is nil (a fixed schedule: tests, the harness).
	Jobs []Job
	// Source, when set, yields the jobs instead of Jobs and is read again every Reload, so an
	// edit of the stored schedule takes effect at the job's next slot without a restart.
	Source Source
	// Reload is how often Source is read (default 1s).
	Reload time.Duration
	// Owner identifies this process in the lease (default: hostname-pid-random, set by the caller).
	Owner string
	// LeaderTTL is the lease expiry (default 10s); the leader renews every TTL/3.
	LeaderTTL time.Duration
	Logger    *slog.Logger
	// OnEnqueued is called after a slot is enqueued (metrics); may be nil.
	OnEnqueued func(job Job, slot int64)
}

// LeaseKey is the Redis key of the scheduler leader lease.
const LeaseKey = "wardops:scheduler:leader"

// Scheduler emits cycle tasks while it holds the leader lease.
type Scheduler struct {
	p      Params
	lease  *Lease
	leader atomic.Bool
	mu     sync.Mutex
	jobs   []Job // the jobs running now, in task type order
}

// New returns a Scheduler.
func New(p Params) *Scheduler {
	if p.LeaderTTL <= 0 {
		p.LeaderTTL = 10 * time.Second
	}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.Reload <= 0 {
		p.Reload = time.Second
	}
	return &Scheduler{p: p, lease: NewLease(p.Redis, LeaseKey, p.Owner, p.LeaderTTL)}
}

// IsLeader reports whether this process held the lease at its last renewal.
func (s *Scheduler) IsLeader() bool { return s.leader.Load() }

// Run keeps the lease and emits slots until ctx ends, then releases the lease.
func (s *Scheduler) Run(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.keepLease(ctx)
	}()
	s.superviseJobs(ctx) // returns when ctx ends and no emission is in flight
	<-done
	rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s.logEntries(clearEntries(rctx, s.p.Redis, s.p.Owner)) // asynqmon stops listing this process
	return s.lease.Release(rctx)
}

// logEntries reports a failed write of the asynq scheduler entries: asynqmon's Schedulers tab
// is only a view, so emission goes on.
func (s *Scheduler) logEntries(err error) {
	if err != nil && !errors.Is(err, context.Canceled) {
		s.p.Logger.Warn("asynq scheduler entries", "err", err)
	}
}

func (s *Scheduler) keepLease(ctx context.Context) {
	tick := time.NewTicker(s.p.LeaderTTL / 3)
	defer tick.Stop()
	for {
		ok, err := s.lease.TryAcquire(ctx)
		if err != nil && ctx.Err() == nil {
			s.p.Logger.Warn("leader lease", "err", err)
		}
		if was := s.leader.Swap(ok && err == nil); was != s.leader.Load() {
			s.p.Logger.Info("leadership changed", "leader", s.leader.Load(), "owner", s.p.Owner)
			if s.leader.Load() {
				s.catchUp(ctx)
			} else if ctx.Err() == nil {
				s.logEntries(clearEntries(ctx, s.p.Redis, s.p.Owner))
			}
		}
		if s.leader.Load() {
			s.logEntries(writeEntries(ctx, s.p.Redis, s.p.Owner, s.Jobs(), time.Now(), entryTTL(s.p.LeaderTTL)))
		}
		select {
		case <-ctx.Done():
			s.leader.Store(false)
			return
		case <-tick.C:
		}
	}
}

// catchUp emits the current slot of every job when this process becomes leader, so a failover
// loses no slot; the slot claim makes it a no-op when the old leader already emitted it.
func (s *Scheduler) catchUp(ctx context.Context) {
	now := time.Now()
	for _, j := range s.Jobs() {
		start := SlotStart(now, j.Interval, j.Offset)
		if now.Sub(start) < j.Interval/2 {
			s.emit(ctx, j, start)
		}
	}
}

// restartGrace: a job's loop started again after an edit still emits the slot that began this
// long ago at most, so a slot falling due while the old loop was being stopped is not lost (the
// claim makes it a no-op when the old loop emitted it).
const restartGrace = time.Second

func (s *Scheduler) runJob(ctx context.Context, j Job) {
	if now := time.Now(); s.IsLeader() {
		if start := SlotStart(now, j.Interval, j.Offset); now.Sub(start) < min(restartGrace, j.Interval/2) {
			s.emitDetached(ctx, j, start)
		}
	}
	for {
		next := SlotStart(time.Now(), j.Interval, j.Offset).Add(j.Interval)
		t := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if s.IsLeader() {
			s.emitDetached(ctx, j, next)
		}
	}
}

// SlotStart is the start of the slot containing t: a multiple of interval since the Unix epoch,
// plus offset. (time.Truncate would align to the year 1 instead, which differs for intervals
// that do not divide a day, e.g. 7s, and would break SlotNumber(start)*interval == start.)
func SlotStart(t time.Time, interval, offset time.Duration) time.Time {
	n := t.Add(-offset).UnixNano()
	r := n % int64(interval)
	if r < 0 {
		r += int64(interval)
	}
	return time.Unix(0, n-r).Add(offset).UTC()
}

// SlotNumber is the number of the slot starting at start.
func SlotNumber(start time.Time, interval time.Duration) int64 {
	return start.UnixNano() / int64(interval)
}

// emitDetached emits a slot that has fallen due even when ctx ends meanwhile (a loop stopped
// for an edit must not drop the slot it is emitting), within a bound of its own.
func (s *Scheduler) emitDetached(ctx context.Context, j Job, start time.Time) {
	ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	s.emit(ectx, j, start)
}

func (s *Scheduler) emit(ctx context.Context, j Job, start time.Time) {
	if err := Emit(ctx, s.p.Redis, s.p.Client, j, start); err != nil {
		if !errors.Is(err, ErrSlotTaken) {
			s.p.Logger.Error("emit cycle", "task", j.TaskType, "slot_start", start, "err", err)
		}
		return
	}
	s.p.Logger.Debug("cycle emitted", "task", j.TaskType, "slot_start", start)
	s.logEntries(recordEnqueue(ctx, s.p.Redis, j, SlotNumber(start, j.Interval), time.Now()))
	if s.IsLeader() { // asynqmon shows the new previous and next enqueue at once
		s.logEntries(writeEntries(ctx, s.p.Redis, s.p.Owner, s.Jobs(), time.Now(), entryTTL(s.p.LeaderTTL)))
	}
	if s.p.OnEnqueued != nil {
		s.p.OnEnqueued(j, SlotNumber(start, j.Interval))
	}
}

// ClaimKey is the Redis key claiming the slot of taskType that starts at start. It names the
// start time, not the slot number, so that while an interval is being edited a scheduler with
// the old interval and one with the new cannot both emit a slot starting at the same moment.
func ClaimKey(taskType string, start time.Time) string {
	return fmt.Sprintf("wardops:slot:%s:t%d", taskType, start.UnixMilli())
}

// ErrSlotTaken means the slot was already emitted (by this or another scheduler).
var ErrSlotTaken = errors.New("slot already emitted")

// Emit enqueues the cycle task of one slot exactly once: a claim key in Redis (ClaimKey, kept
// for ten intervals) and a slot-derived task ID both refuse a second emission.
func Emit(ctx context.Context, rdb redis.UniversalClient, c Enqueuer, j Job, start time.Time) error {
	slot := SlotNumber(start, j.Interval)
	claim := ClaimKey(j.TaskType, start)
	ok, err := rdb.SetNX(ctx, claim, time.Now().UTC().Format(time.RFC3339Nano), 10*j.Interval).Result()
	if err != nil {
		return fmt.Errorf("claim slot %s: %w", claim, err)
	}
	if !ok {
		return ErrSlotTaken
	}
	p := tasks.CyclePayload{Slot: slot, SlotStart: start, Interval: j.Interval}
	_, err = c.EnqueueContext(ctx, asynq.NewTask(j.TaskType, tasks.Encode(p)),
		asynq.Queue(j.Queue), asynq.TaskID(tasks.CycleTaskID(j.TaskType, slot)),
		asynq.MaxRetry(3), asynq.Timeout(j.Interval), asynq.Retention(2*j.Interval))
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return ErrSlotTaken
	}
	if err != nil {
		// give the slot back so a retry (or the other scheduler) can emit it
		_ = rdb.Del(context.WithoutCancel(ctx), claim).Err()
		return fmt.Errorf("enqueue %s slot %d: %w", j.TaskType, slot, err)
	}
	return nil
}
