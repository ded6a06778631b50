package worker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/tasks"
)

// Fields of a slot's cycle hash besides the per-batch done markers ("b<index>").
const (
	fieldRemaining = "remaining"
	fieldEvaluated = "evaluated"
)

// cycleKey is the Redis hash of one slot of a batch type: "remaining" counts the batches not yet
// done, "b<i>" marks batch i done, "evaluated" says the cycle's alert evaluation was enqueued.
// One key per slot, so that a done marker and the countdown change together in one script.
func cycleKey(batchType string, slot int64) string {
	return fmt.Sprintf("wardops:cycle:%s:%d", batchType, slot)
}

func doneField(batch int) string { return "b" + strconv.Itoa(batch) }

// cycleKeyTTL keeps a slot's countdown and done markers until the original task of a rescued
// batch can no longer come back: asynq recovers a dead worker's task only once its 30 s lease
// expired and its recoverer ran (every minute), up to 90 s after the death.
func cycleKeyTTL(interval time.Duration) time.Duration { return 2*interval + 2*time.Minute }

// startCountdown sets the number of batches of a slot (once: a retried cycle keeps it).
func startCountdown(ctx context.Context, rdb redis.UniversalClient, batchType string, p tasks.CyclePayload, n int) error {
	key := cycleKey(batchType, p.Slot)
	_, err := rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.HSetNX(ctx, key, fieldRemaining, n)
		pipe.PExpire(ctx, key, cycleKeyTTL(p.Interval))
		return nil
	})
	if err != nil {
		return fmt.Errorf("set batch countdown of slot %d: %w", p.Slot, err)
	}
	return nil
}

// markDoneScript marks batch ARGV[1] of the slot KEYS[1] done and, the first time only,
// counts it down. It returns {remaining (-1 when the countdown is unknown: expired, or never
// set), 1 if the alert evaluation was already enqueued}.
var markDoneScript = redis.NewScript(`
if redis.call('HSETNX', KEYS[1], ARGV[1], 1) == 1 then
	if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
	if redis.call('HEXISTS', KEYS[1], 'remaining') == 1 then
		redis.call('HINCRBY', KEYS[1], 'remaining', -1)
	end
end
local left = tonumber(redis.call('HGET', KEYS[1], 'remaining') or '-1')
return {left, redis.call('HEXISTS', KEYS[1], 'evaluated')}
`)

// batchDone counts a batch of a slot as done (processed or skipped) exactly once however often
// it runs, and enqueues the cycle's alert evaluation once every batch is done. A run that finds
// the countdown at zero without the evaluation enqueued (the run that reached zero failed to
// enqueue it, or died first) enqueues it too; the slot-derived task ID keeps it single.
func batchDone(ctx context.Context, rdb redis.UniversalClient, c Enqueuer, batchType, kind string, batch int, p tasks.CyclePayload) error {
	key := cycleKey(batchType, p.Slot)
	res, err := markDoneScript.Run(ctx, rdb, []string{key}, doneField(batch), cycleKeyTTL(p.Interval).Milliseconds()).Int64Slice()
	if err != nil {
		return fmt.Errorf("count batch %d of slot %d done: %w", batch, p.Slot, err)
	}
	if left, evaluated := res[0], res[1]; left != 0 || evaluated == 1 {
		return nil
	}
	payload := tasks.Encode(tasks.EvalPayload{CyclePayload: p, Kind: kind})
	_, err = c.EnqueueContext(ctx, asynq.NewTask(tasks.TypeAlertEval, payload),
		asynq.Queue(tasks.QueueCritical), asynq.TaskID(fmt.Sprintf("%s:%s:%d", tasks.TypeAlertEval, kind, p.Slot)),
		asynq.MaxRetry(1), asynq.Timeout(p.Interval), asynq.Retention(2*p.Interval))
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("enqueue alert evaluation: %w", err)
	}
	_, err = rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.HSet(ctx, key, fieldEvaluated, 1)
		pipe.PExpire(ctx, key, cycleKeyTTL(p.Interval)) // never leave a key without expiry
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark slot %d evaluated: %w", p.Slot, err)
	}
	return nil
}

// batchIsDone reports whether the batch of the slot was already counted done.
func batchIsDone(ctx context.Context, rdb redis.UniversalClient, batchType string, p tasks.BatchPayload) (bool, error) {
	ok, err := rdb.HExists(ctx, cycleKey(batchType, p.Slot), doneField(p.Batch)).Result()
	if err != nil {
		return false, fmt.Errorf("read done marker of batch %d of slot %d: %w", p.Batch, p.Slot, err)
	}
	return ok, nil
}
