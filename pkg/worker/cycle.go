package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/tasks"
)

// SkippedKey is the Redis hash counting skipped work per task type: a batch or cycle that could
// not start before its slot ended is skipped and counted here, never piled up.
const SkippedKey = "wardops:stats:skipped"

// CycleHandler fans one slot of a periodic job out into batch tasks.
type CycleHandler struct {
	// Devices lists the devices of the job (enabled devices for ping; those with SNMP
	// settings for SNMP).
	Devices   func(context.Context) ([]int64, error)
	Client    Enqueuer
	Redis     redis.UniversalClient
	BatchType string
	BatchSize int
	Queue     string
	Logger    *slog.Logger
	// Skipped is called when a slot is skipped (metrics); may be nil.
	Skipped func(taskType string)
}

// ProcessTask implements asynq.Handler.
func (h *CycleHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p tasks.CyclePayload
	if err := tasks.Decode(t.Type(), t.Payload(), &p); err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	if time.Now().After(p.Deadline()) {
		countSkip(ctx, h.Redis, h.Skipped, t.Type(), h.Logger, p)
		return nil
	}
	ids, err := h.Devices(ctx)
	if err != nil {
		return err
	}
	batches := chunk(ids, h.BatchSize)
	if len(batches) == 0 {
		return nil
	}
	if err := startCountdown(ctx, h.Redis, h.BatchType, p, len(batches)); err != nil {
		return err
	}
	watched := make([]watchedBatch, len(batches))
	for i, b := range batches {
		payload := tasks.Encode(tasks.BatchPayload{CyclePayload: p, Batch: i, DeviceIDs: b})
		watched[i] = watchedBatch{id: tasks.BatchTaskID(h.BatchType, p.Slot, i),
			entry: inflightEntry{Queue: h.Queue, Type: h.BatchType, Payload: payload}}
	}
	// watched before they are enqueued: a worker dying between taking a batch and leasing it
	// leaves it watched too
	if err := watchBatches(ctx, h.Redis, watched, HeartbeatTTL(p.Interval)); err != nil {
		return err
	}
	timeout := time.Until(p.Deadline()) + p.Interval
	for i, w := range watched {
		_, err := h.Client.EnqueueContext(ctx, asynq.NewTask(h.BatchType, w.entry.Payload),
			asynq.Queue(h.Queue), asynq.TaskID(w.id),
			asynq.MaxRetry(2), asynq.Timeout(timeout), asynq.Retention(2*p.Interval))
		if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
			return fmt.Errorf("enqueue batch %d of slot %d: %w", i, p.Slot, err)
		}
	}
	h.Logger.Debug("cycle fanned out", "task", t.Type(), "slot", p.Slot, "devices", len(ids), "batches", len(batches))
	return nil
}

func countSkip(ctx context.Context, rdb redis.UniversalClient, hook func(string), typ string, logger *slog.Logger, p tasks.CyclePayload) {
	if err := rdb.HIncrBy(ctx, SkippedKey, typ, 1).Err(); err != nil {
		logger.Warn("count skipped slot", "err", err)
	}
	if hook != nil {
		hook(typ)
	}
	logger.Warn("slot skipped: started after its deadline", "task", typ, "slot", p.Slot, "late_by", time.Since(p.Deadline()).Round(time.Millisecond))
}

func chunk(ids []int64, size int) [][]int64 {
	if size <= 0 {
		size = 100
	}
	var out [][]int64
	for len(ids) > 0 {
		n := min(size, len(ids))
		out = append(out, ids[:n:n])
		ids = ids[n:]
	}
	return out
}
