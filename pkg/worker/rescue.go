package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/tasks"
)

// Rescue bounds.
const (
	// MaxRescues is how often one batch of a slot is rescued: a batch that kills every worker
	// that runs it (say, one that exhausts memory) must not take the whole fleet down with it.
	MaxRescues = 2
	// DefaultRescueEvery is how often a Rescuer looks for expired leases. A pass reads only
	// the expired end of a sorted set, so it costs one cheap command when nothing died.
	DefaultRescueEvery = 500 * time.Millisecond
	// rescueBatchLimit bounds the leases handled by one pass; the next pass takes the rest.
	rescueBatchLimit = 100
)

// TaskInspector reads a task's state from asynq (*asynq.Inspector).
type TaskInspector interface {
	GetTaskInfo(queue, id string) (*asynq.TaskInfo, error)
}

var _ TaskInspector = (*asynq.Inspector)(nil)

// RescuerParams configures a Rescuer.
type RescuerParams struct {
	Redis     redis.UniversalClient
	Client    Enqueuer
	Inspector TaskInspector
	Logger    *slog.Logger
	// Every is the period of the passes (default DefaultRescueEvery).
	Every time.Duration
	// Rescued is called with the task type of each batch rescued (metrics); may be nil.
	Rescued func(taskType string)
}

// Rescuer re-enqueues the batches of dead workers. Every worker runs one; an expired lease is
// claimed by one of them only (atomically), and the rescue's task ID is derived from the batch,
// so a batch is rescued once however many rescuers run. A batch is rescued only while asynq
// still holds it as active (a worker stopped by SIGTERM had its tasks requeued by asynq, and a
// timed-out task is retried by asynq: those stay watched until they run), only if not counted
// done, only up to MaxRescues times, and only until its slot ended plus HeartbeatTTL (the time
// its death took to notice). The rescue runs on the critical queue, and the late original,
// when asynq recovers it, finds the batch done and does nothing.
type Rescuer struct {
	p RescuerParams
}

// NewRescuer returns a rescuer; Run it until shutdown.
func NewRescuer(p RescuerParams) *Rescuer {
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.Every <= 0 {
		p.Every = DefaultRescueEvery
	}
	return &Rescuer{p: p}
}

// Run makes a pass every p.Every until ctx ends. Failures are logged once until a pass works
// again (Redis away is reported by the health check, not every half second).
func (r *Rescuer) Run(ctx context.Context) {
	tick := time.NewTicker(r.p.Every)
	defer tick.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		_, err := r.Pass(ctx)
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			r.p.Logger.Warn("batch rescue pass failed", "err", err)
			failing = true
		case err == nil && failing:
			r.p.Logger.Info("batch rescue passes work again")
			failing = false
		}
	}
}

// expiredScript returns the Redis clock (unix ms) and up to ARGV[1] leases expired by then,
// with their expiry.
var expiredScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return {now, redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, ARGV[1])}
`)

// claimScript takes the expired lease ARGV[1] away and returns its entry (empty when it has
// none), or false when the lease is gone or was renewed meanwhile: one claimer only.
var claimScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local exp = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not exp or tonumber(exp) > now then return false end
redis.call('ZREM', KEYS[1], ARGV[1])
local e = redis.call('HGET', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return e or ''
`)

// Pass rescues the batches whose lease has expired and returns how many it re-enqueued.
func (r *Rescuer) Pass(ctx context.Context) (int, error) {
	res, err := expiredScript.Run(ctx, r.p.Redis, []string{leasesKey}, rescueBatchLimit).Slice()
	if err != nil {
		return 0, fmt.Errorf("read expired batch leases: %w", err)
	}
	now, _ := res[0].(int64)
	pairs, _ := res[1].([]any)
	var rescued int
	var errs []error
	for i := 0; i+1 < len(pairs); i += 2 {
		id, _ := pairs[i].(string)
		exp, _ := pairs[i+1].(string)
		ok, err := r.rescue(ctx, id, deadFor(now, exp))
		if ok {
			rescued++
		}
		errs = append(errs, err)
	}
	return rescued, errors.Join(errs...)
}

// deadFor is how long ago a lease expired (Redis clock), for the log.
func deadFor(now int64, expiry string) time.Duration {
	var exp float64
	_, _ = fmt.Sscan(expiry, &exp)
	return time.Duration(now-int64(exp)) * time.Millisecond
}

// verdict is what a Rescuer does with an expired lease.
type verdict int

const (
	drop   verdict = iota // nothing to do: done, finished, gone, or too late
	watch                 // queued in asynq (not started, requeued at shutdown, retrying)
	revive                // active in asynq while its lease expired: its worker died
)

// rescue claims one expired lease and re-enqueues its batch when it needs it.
func (r *Rescuer) rescue(ctx context.Context, id string, expiredFor time.Duration) (bool, error) {
	raw, err := claimScript.Run(ctx, r.p.Redis, []string{leasesKey, inflightKey}, id).Text()
	if errors.Is(err, redis.Nil) || (err == nil && raw == "") {
		return false, nil // renewed, claimed by another rescuer, or nothing to rescue
	}
	if err != nil {
		return false, fmt.Errorf("claim lease of task %s: %w", id, err)
	}
	var e inflightEntry
	var p tasks.BatchPayload
	if err := json.Unmarshal([]byte(raw), &e); err != nil {
		return false, fmt.Errorf("decode lease of task %s: %w", id, err)
	}
	if err := tasks.Decode(e.Type, e.Payload, &p); err != nil {
		return false, err
	}
	log := r.p.Logger.With("task", e.Type, "slot", p.Slot, "batch", p.Batch, "task_id", id)
	v, err := r.judge(ctx, log, id, e, p)
	switch {
	case err != nil:
		r.putBack(ctx, log, id, raw, 0) // the next pass tries again
		return false, err
	case v == watch:
		r.putBack(ctx, log, id, raw, HeartbeatTTL(p.Interval))
		return false, nil
	case v == drop:
		return false, nil
	case !e.Running && !e.SeenActive:
		// Active under the lease of its fan-out: asynq has just handed it to a worker whose
		// handler has not leased it yet (under load a batch often waits longer than a TTL in
		// the queue, and the handover takes milliseconds). One more TTL: a live handler
		// replaces the lease at once; a worker that died in the handover is rescued then.
		e.SeenActive = true
		r.putBack(ctx, log, id, string(tasks.Encode(e)), HeartbeatTTL(p.Interval))
		return false, nil
	}
	ok, err := r.enqueue(ctx, log, e, p)
	if err != nil {
		r.putBack(ctx, log, id, raw, 0)
		return false, err
	}
	if ok {
		log.Warn("batch rescued", "rescue", p.Rescue+1, "dead_for", (expiredFor + HeartbeatTTL(p.Interval)).Round(time.Millisecond))
		if r.p.Rescued != nil {
			r.p.Rescued(e.Type)
		}
	}
	return ok, nil
}

// judge decides from the done marker and the task's state in asynq. A batch is revived only
// while asynq holds it as active (no asynq path will run it in time), its slot allows it and it
// is under the rescue limit.
func (r *Rescuer) judge(ctx context.Context, log *slog.Logger, id string, e inflightEntry, p tasks.BatchPayload) (verdict, error) {
	done, err := batchIsDone(ctx, r.p.Redis, e.Type, p)
	if err != nil || done {
		return drop, err
	}
	info, err := r.p.Inspector.GetTaskInfo(e.Queue, id)
	if errors.Is(err, asynq.ErrTaskNotFound) {
		return drop, nil
	}
	if err != nil {
		return drop, fmt.Errorf("read state of task %s: %w", id, err)
	}
	switch info.State {
	case asynq.TaskStatePending, asynq.TaskStateScheduled, asynq.TaskStateRetry:
		if time.Now().After(p.LatestStart()) {
			return drop, nil // it will be skipped and counted when it runs
		}
		return watch, nil
	case asynq.TaskStateActive:
	default:
		return drop, nil // completed or archived
	}
	switch {
	case time.Now().After(rescueStartBy(p)):
		log.Info("batch not rescued: its slot is over", "deadline", p.Deadline())
		return drop, nil
	case p.Rescue >= MaxRescues:
		log.Error("batch not rescued: every worker that ran it died", "rescues", p.Rescue)
		return drop, nil
	}
	return revive, nil
}

// rescueStartBy is the latest start of a rescue: the slot's end plus the heartbeat TTL.
func rescueStartBy(p tasks.BatchPayload) time.Time {
	return p.Deadline().Add(HeartbeatTTL(p.Interval))
}

// enqueue adds the next rescue of the batch, watched like a fanned-out batch; false when
// another rescuer already did.
func (r *Rescuer) enqueue(ctx context.Context, log *slog.Logger, e inflightEntry, p tasks.BatchPayload) (bool, error) {
	p.Rescue++
	p.StartBy = rescueStartBy(p)
	next := watchedBatch{id: tasks.RescueTaskID(e.Type, p.Slot, p.Batch, p.Rescue),
		entry: inflightEntry{Queue: tasks.QueueCritical, Type: e.Type, Payload: tasks.Encode(p)}}
	_, err := r.p.Client.EnqueueContext(ctx, asynq.NewTask(e.Type, next.entry.Payload),
		asynq.Queue(tasks.QueueCritical), asynq.TaskID(next.id),
		asynq.MaxRetry(2), asynq.Timeout(time.Until(p.StartBy)+p.Interval), asynq.Retention(2*p.Interval))
	switch {
	case errors.Is(err, asynq.ErrTaskIDConflict):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("enqueue rescue %d of batch %d of slot %d: %w", p.Rescue, p.Batch, p.Slot, err)
	}
	// after the enqueue (a rescue that failed to enqueue must not be watched); a worker
	// dying in the moment between is the one case left to asynq's own recovery
	if err := watchBatches(ctx, r.p.Redis, []watchedBatch{next}, HeartbeatTTL(p.Interval)); err != nil {
		log.Warn("watch rescued batch", "err", err)
	}
	return true, nil
}

// putBack restores a claimed lease to expire after ttl (0: at once, for the next pass).
func (r *Rescuer) putBack(ctx context.Context, log *slog.Logger, id, raw string, ttl time.Duration) {
	if err := setLease(ctx, r.p.Redis, id, ttl, []byte(raw)); err != nil {
		log.Warn("restore batch lease", "err", err)
	}
}
