package schedule

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/store"
)

// View is a schedule entry as the API, the UI and the CLI show it.
type View struct {
	TaskType    string     `json:"task_type"`
	Description string     `json:"description"`
	Queue       string     `json:"queue"`
	Interval    string     `json:"interval"`
	Offset      string     `json:"offset"`
	Spec        string     `json:"spec"`
	Enabled     bool       `json:"enabled"`
	NextRun     *time.Time `json:"next_run"`
	LastRun     *time.Time `json:"last_run"`
	UpdatedAt   time.Time  `json:"updated_at"`
	UpdatedBy   string     `json:"updated_by"`
}

// ViewOf describes e at now; the last run is read from the job's asynq enqueue history when
// rdb is not nil.
func ViewOf(ctx context.Context, rdb redis.UniversalClient, e store.ScheduleEntry, now time.Time) (View, error) {
	k, _ := KindOf(e.TaskType)
	j := Job{TaskType: e.TaskType, Queue: k.Queue, Interval: e.Interval, Offset: e.Offset}
	v := View{TaskType: e.TaskType, Description: k.Description, Queue: k.Queue, Interval: shortDuration(e.Interval),
		Offset: shortDuration(e.Offset), Spec: Spec(j), Enabled: e.Enabled, UpdatedAt: e.UpdatedAt, UpdatedBy: e.UpdatedBy}
	if e.Enabled && e.Interval > 0 {
		next := SlotStart(now, e.Interval, e.Offset).Add(e.Interval)
		v.NextRun = &next
	}
	if rdb == nil {
		return v, nil
	}
	last, err := LastRun(ctx, rdb, e.TaskType)
	if err != nil {
		return v, err
	}
	if !last.IsZero() {
		v.LastRun = &last
	}
	return v, nil
}

// LastRun is when the job of taskType was last enqueued (zero: never), from its asynq
// scheduler history.
func LastRun(ctx context.Context, rdb redis.UniversalClient, taskType string) (time.Time, error) {
	zs, err := rdb.ZRevRangeWithScores(ctx, SchedulerHistoryKey(taskType), 0, 0).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return time.Time{}, fmt.Errorf("read last run of %s: %w", taskType, err)
	}
	if len(zs) == 0 {
		return time.Time{}, nil
	}
	return time.Unix(int64(zs[0].Score), 0).UTC(), nil
}

// Change is an edit of one entry: nil fields keep the stored value.
type Change struct {
	Interval *string `json:"interval"`
	Offset   *string `json:"offset"`
	Enabled  *bool   `json:"enabled"`
}

// Apply merges c onto cur and validates the result; a *FieldError names a bad field.
func (c Change) Apply(cur store.ScheduleEntry) (store.ScheduleEntry, error) {
	out := cur
	for _, f := range []struct {
		name string
		src  *string
		dst  *time.Duration
	}{{"interval", c.Interval, &out.Interval}, {"offset", c.Offset, &out.Offset}} {
		if f.src == nil {
			continue
		}
		d, err := time.ParseDuration(*f.src)
		if err != nil {
			return cur, &FieldError{f.name, fmt.Sprintf("%s %q is not a duration such as 30s, 5m or 1h", f.name, *f.src)}
		}
		*f.dst = d
	}
	if c.Enabled != nil {
		out.Enabled = *c.Enabled
	}
	return out, Validate(out)
}
