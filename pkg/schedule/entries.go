package schedule

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/wardops/wardops/pkg/tasks"
)

// WardOps' scheduler is not an asynq.Scheduler (it emits slots under a lease with slot-derived
// task IDs), so asynqmon's Schedulers tab and asynq.Inspector.SchedulerEntries would show
// nothing. The leader therefore writes the records an asynq.Scheduler writes, in asynq's own
// key layout and encoding (asynq v0.26 internal/rdb WriteSchedulerEntries and
// RecordSchedulerEnqueueEvent; internal/proto SchedulerEntry, SchedulerEnqueueEvent). asynq
// has no public API to write them; TestEntriesReadByInspector reads them back through the
// public Inspector, so an asynq upgrade that changes the format fails that test.
const (
	// allSchedulersKey is asynq's ZSET of scheduler entry keys, scored by their expiry (Unix s).
	allSchedulersKey = "asynq:schedulers"
	// maxEnqueueEvents is how many enqueue events asynq keeps per entry.
	maxEnqueueEvents = 1000
)

// SchedulerEntriesKey is asynq's key of one scheduler's entry list.
func SchedulerEntriesKey(owner string) string { return "asynq:schedulers:{" + owner + "}" }

// SchedulerHistoryKey is asynq's key of one entry's enqueue events.
func SchedulerHistoryKey(entryID string) string { return "asynq:scheduler_history:" + entryID }

// EntryID is the asynq scheduler entry ID of a job: its task type (stable across leaders, so
// the enqueue history of a job survives a failover).
func EntryID(j Job) string { return j.TaskType }

// Spec describes a job's schedule the way asynq entries do: "@every 30s", or a cron line
// when the job runs at a minute of every hour ("5 * * * *").
func Spec(j Job) string {
	if j.Interval == time.Hour && j.Offset > 0 && j.Offset < time.Hour && j.Offset%time.Minute == 0 {
		return fmt.Sprintf("%d * * * *", int(j.Offset/time.Minute))
	}
	s := "@every " + shortDuration(j.Interval)
	if j.Offset != 0 {
		s += " +" + shortDuration(j.Offset)
	}
	return s
}

func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// writeEntries publishes every job as an asynq scheduler entry of owner, valid for ttl: its
// spec, queue options, the next slot's task and payload, and the previous enqueue (from the
// entry's history, so it is right after a failover too).
func writeEntries(ctx context.Context, rdb redis.UniversalClient, owner string, jobs []Job, now time.Time, ttl time.Duration) error {
	prev := make([]*redis.ZSliceCmd, len(jobs))
	if _, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, j := range jobs {
			prev[i] = p.ZRevRangeWithScores(ctx, SchedulerHistoryKey(EntryID(j)), 0, 0)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("read scheduler history: %w", err)
	}
	args := []any{}
	for i, j := range jobs {
		var last time.Time
		if zs := prev[i].Val(); len(zs) > 0 {
			last = time.Unix(int64(zs[0].Score), 0).UTC()
		}
		args = append(args, encodeEntry(j, now, last))
	}
	key := SchedulerEntriesKey(owner)
	exp := now.Add(ttl)
	_, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, allSchedulersKey, redis.Z{Score: float64(exp.Unix()), Member: key})
		p.Del(ctx, key)
		if len(args) > 0 {
			p.LPush(ctx, key, args...)
		}
		p.Expire(ctx, key, ttl)
		return nil
	})
	if err != nil {
		return fmt.Errorf("write scheduler entries %s: %w", key, err)
	}
	return nil
}

// clearEntries removes owner's entries (leadership lost, or shutdown).
func clearEntries(ctx context.Context, rdb redis.UniversalClient, owner string) error {
	key := SchedulerEntriesKey(owner)
	_, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, allSchedulersKey, key)
		p.Del(ctx, key)
		return nil
	})
	if err != nil {
		return fmt.Errorf("clear scheduler entries %s: %w", key, err)
	}
	return nil
}

// recordEnqueue appends one enqueue event to the job's history (newest maxEnqueueEvents kept),
// naming the slot-derived task ID, so each slot's task can be found from the entry.
func recordEnqueue(ctx context.Context, rdb redis.UniversalClient, j Job, slot int64, at time.Time) error {
	key := SchedulerHistoryKey(EntryID(j))
	ev := encodeEvent(tasks.CycleTaskID(j.TaskType, slot), at)
	_, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRemRangeByRank(ctx, key, 0, -maxEnqueueEvents)
		p.ZAdd(ctx, key, redis.Z{Score: float64(at.Unix()), Member: ev})
		return nil
	})
	if err != nil {
		return fmt.Errorf("record enqueue of %s: %w", key, err)
	}
	return nil
}

// encodeEntry is asynq's pb.SchedulerEntry: id=1, spec=2, task_type=3, task_payload=4,
// enqueue_options=5 (repeated), next_enqueue_time=6, prev_enqueue_time=7 (Timestamps).
func encodeEntry(j Job, now, prev time.Time) []byte {
	next := SlotStart(now, j.Interval, j.Offset).Add(j.Interval)
	slot := SlotNumber(next, j.Interval)
	payload := tasks.Encode(tasks.CyclePayload{Slot: slot, SlotStart: next, Interval: j.Interval})
	opts := []asynq.Option{asynq.Queue(j.Queue), asynq.TaskID(tasks.CycleTaskID(j.TaskType, slot)),
		asynq.MaxRetry(3), asynq.Timeout(j.Interval), asynq.Retention(2 * j.Interval)}
	var b []byte
	b = appendString(b, 1, EntryID(j))
	b = appendString(b, 2, Spec(j))
	b = appendString(b, 3, j.TaskType)
	b = protowire.AppendTag(b, 4, protowire.BytesType)
	b = protowire.AppendBytes(b, payload)
	for _, o := range opts {
		b = appendString(b, 5, o.String())
	}
	b = appendTimestamp(b, 6, next)
	b = appendTimestamp(b, 7, prev)
	return b
}

// encodeEvent is asynq's pb.SchedulerEnqueueEvent: task_id=1, enqueue_time=2.
func encodeEvent(taskID string, at time.Time) []byte {
	b := appendString(nil, 1, taskID)
	return appendTimestamp(b, 2, at)
}

func appendString(b []byte, field protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendString(b, s)
}

// appendTimestamp writes a google.protobuf.Timestamp (seconds=1, nanos=2). asynq stores
// timestamppb.New of a zero time.Time for "never", which is what a zero t gives here too.
func appendTimestamp(b []byte, field protowire.Number, t time.Time) []byte {
	var ts []byte
	if s := t.Unix(); s != 0 {
		ts = protowire.AppendTag(ts, 1, protowire.VarintType)
		ts = protowire.AppendVarint(ts, uint64(s))
	}
	if n := t.Nanosecond(); n != 0 {
		ts = protowire.AppendTag(ts, 2, protowire.VarintType)
		ts = protowire.AppendVarint(ts, uint64(n))
	}
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendBytes(b, ts)
}

// entryTTL is how long published entries stay visible without a refresh: a little over the
// lease, so they vanish soon after a leader dies and the new leader's replace them.
func entryTTL(leaderTTL time.Duration) time.Duration {
	return leaderTTL + time.Second
}
