package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/tasks"
)

// Batch leases. Every batch of a slot is watched from its fan-out to its end: the cycle
// handler gives it a lease of one heartbeat TTL before enqueuing it; while a batch handler runs,
// a heartbeat renews the lease; the handler's end removes it. A worker that dies stops renewing
// it, and the Rescuer of any live worker re-enqueues the batch as soon as the lease has expired
// (it only renews the lease of a batch still queued). asynq's own lease (30 s) and recoverer
// (every minute) are hard-coded and notice a dead worker only after the slot is over.
//
// Both keys share a hash tag, so the scripts below also run on a Redis Cluster. Lease expiries
// are computed from the Redis server's clock (TIME), so the workers' clocks need not agree.
const (
	// leasesKey is a sorted set: asynq task ID → lease expiry (unix ms, Redis clock).
	leasesKey = "{wardops:batch}:leases"
	// inflightKey is a hash: asynq task ID → inflightEntry (JSON), what a rescue needs.
	inflightKey = "{wardops:batch}:inflight"
	// trackKeysTTL bounds both keys should every worker stop for good; each lease renews it.
	trackKeysTTL = 15 * time.Minute
	// releaseTimeout bounds the removal of a lease once its handler returned (its ctx may be
	// cancelled by then: shutdown or task timeout).
	releaseTimeout = 2 * time.Second
)

// HeartbeatTTL is the lease of a running batch of a job with this interval: a quarter of the
// interval, at least 1 s (a loaded machine may pause a heartbeat that long) and at most 10 s. It
// is renewed every third of itself, and a rescued batch may start this long after its slot.
func HeartbeatTTL(interval time.Duration) time.Duration {
	return min(max(interval/4, time.Second), 10*time.Second)
}

// inflightEntry is what the Rescuer needs to re-enqueue a batch.
type inflightEntry struct {
	Queue   string `json:"queue"`
	Type    string `json:"type"`
	Payload []byte `json:"payload"`
	// Running: the lease was taken by the batch's handler (hold), not by its fan-out.
	Running bool `json:"running,omitempty"`
	// SeenActive: a Rescuer found the batch active in asynq under a lease its handler had not
	// taken yet, and gave it one more TTL to do so (see Rescuer.rescue).
	SeenActive bool `json:"seen_active,omitempty"`
}

// leaseScript sets the lease of task ARGV[1] to expire ARGV[2] ms from now (Redis clock),
// stores its entry ARGV[3] unless empty, and renews the keys' expiry (ARGV[4] ms).
var leaseScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[2], ARGV[1], ARGV[3]) end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return now
`)

func setLease(ctx context.Context, rdb redis.UniversalClient, id string, ttl time.Duration, entry []byte) error {
	err := leaseScript.Run(ctx, rdb, []string{leasesKey, inflightKey}, id, ttl.Milliseconds(), entry, trackKeysTTL.Milliseconds()).Err()
	if err != nil {
		return fmt.Errorf("lease of task %s: %w", id, err)
	}
	return nil
}

// watchedBatch is a batch task about to be enqueued.
type watchedBatch struct {
	id    string
	entry inflightEntry
}

// watchBatches leases batches for ttl, in one round trip.
func watchBatches(ctx context.Context, rdb redis.UniversalClient, batches []watchedBatch, ttl time.Duration) error {
	_, err := rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for _, b := range batches {
			leaseScript.Eval(ctx, pipe, []string{leasesKey, inflightKey}, b.id, ttl.Milliseconds(),
				tasks.Encode(b.entry), trackKeysTTL.Milliseconds())
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("watch %d batches: %w", len(batches), err)
	}
	return nil
}

// BatchParams configures Batches.
type BatchParams struct {
	Redis  redis.UniversalClient
	Client Enqueuer
	Logger *slog.Logger
	// Skipped is called for a batch that starts after its slot (metrics); may be nil.
	Skipped func(taskType string)
}

// Batches wraps the batch handlers of every job (ping, SNMP) with what makes a batch of a slot
// count once and survive the death of its worker: a batch already counted done does nothing
// (the original of a rescued batch, recovered by asynq later, or a duplicate); a running batch
// holds a lease renewed by a heartbeat (see Rescuer); a batch its handler accepted (processed or
// skipped as late) is counted down once, and the last one enqueues the alert evaluation.
type Batches struct {
	p BatchParams
}

// NewBatches returns the batch bookkeeping.
func NewBatches(p BatchParams) *Batches {
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	return &Batches{p: p}
}

// Wrap returns h with the bookkeeping; kind ("ping", "snmp") names the alert evaluation.
func (b *Batches) Wrap(kind string, h asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		var p tasks.BatchPayload
		if err := tasks.Decode(t.Type(), t.Payload(), &p); err != nil {
			return h.ProcessTask(ctx, t) // the handler rejects it
		}
		done, err := batchIsDone(ctx, b.p.Redis, t.Type(), p)
		if err != nil {
			return err
		}
		if done {
			b.p.Logger.Debug("batch already done", "task", t.Type(), "slot", p.Slot, "batch", p.Batch, "rescue", p.Rescue)
			return nil
		}
		if time.Now().After(p.LatestStart()) {
			// late work is skipped and counted in one place for every job (ping and SNMP alike),
			// and counted down so the cycle's alert evaluation still runs
			countSkip(ctx, b.p.Redis, b.p.Skipped, t.Type(), b.p.Logger.With("batch", p.Batch), p.CyclePayload)
			return batchDone(ctx, b.p.Redis, b.p.Client, t.Type(), kind, p.Batch, p.CyclePayload)
		}
		release, err := b.hold(ctx, t, p)
		if err != nil {
			return err
		}
		// done before release: a worker dying in between leaves a lease the Rescuer drops
		// as done, never a batch neither leased nor done
		err = h.ProcessTask(ctx, t)
		if err == nil {
			err = batchDone(ctx, b.p.Redis, b.p.Client, t.Type(), kind, p.Batch, p.CyclePayload)
		}
		// a failed batch stays watched: its lease expires within a TTL and the Rescuer
		// follows asynq's retry (or requeue, at shutdown) until the batch runs again
		release(err == nil)
		return err
	})
}

// hold takes the lease of the running task and renews it until release is called or ctx ends
// (shutdown or task timeout: asynq then requeues or retries the task itself, so it must not
// be rescued). release(true) removes the lease; release(false) leaves it to expire. A task not
// run by an asynq server (no ID) holds nothing.
func (b *Batches) hold(ctx context.Context, t *asynq.Task, p tasks.BatchPayload) (release func(remove bool), err error) {
	id, okID := asynq.GetTaskID(ctx)
	queue, okQueue := asynq.GetQueueName(ctx)
	if !okID || !okQueue {
		return func(bool) {}, nil
	}
	ttl := HeartbeatTTL(p.Interval)
	entry := tasks.Encode(inflightEntry{Queue: queue, Type: t.Type(), Payload: t.Payload(), Running: true})
	if err := setLease(ctx, b.p.Redis, id, ttl, entry); err != nil {
		return nil, err
	}
	stop := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		b.heartbeat(ctx, id, ttl, stop)
	}()
	return func(remove bool) {
		close(stop)
		<-stopped
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		if !remove {
			// a full TTL from now: asynq moves the task to retry (or pending) well before
			if err := setLease(ctx, b.p.Redis, id, ttl, nil); err != nil {
				b.p.Logger.Warn("renew batch lease", "task_id", id, "err", err)
			}
			return
		}
		_, err := b.p.Redis.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			pipe.ZRem(ctx, leasesKey, id)
			pipe.HDel(ctx, inflightKey, id)
			return nil
		})
		if err != nil {
			// the Rescuer drops it once it expires: the batch is done or asynq has it
			b.p.Logger.Warn("release batch lease", "task_id", id, "err", err)
		}
	}, nil
}

// heartbeat renews the lease every third of its TTL.
func (b *Batches) heartbeat(ctx context.Context, id string, ttl time.Duration, stop <-chan struct{}) {
	tick := time.NewTicker(ttl / 3)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := setLease(ctx, b.p.Redis, id, ttl, nil); err != nil && ctx.Err() == nil {
				b.p.Logger.Warn("renew batch lease", "task_id", id, "err", err)
			}
		}
	}
}
