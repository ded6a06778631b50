package schedule

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
)

// Kind is one kind of periodic job the scheduler knows: its task type, queue and the interval
// bounds an edit must keep.
type Kind struct {
	TaskType    string
	Queue       string
	MinInterval time.Duration
	MaxInterval time.Duration
	// Description is shown in the API, the UI and the CLI.
	Description string
}

// Kinds lists every job kind the schedule may hold.
var Kinds = []Kind{
	{tasks.TypePingCycle, tasks.QueueDefault, time.Second, time.Hour, "ping every enabled device"},
	{tasks.TypeSNMPCycle, tasks.QueueDefault, 5 * time.Second, time.Hour, "poll SNMP of every device with settings"},
	{tasks.TypeWorkerHealth, tasks.QueueCritical, 5 * time.Second, time.Hour, "sample worker and queue health"},
	{tasks.TypeRetention, tasks.QueueLow, time.Minute, 24 * time.Hour, "roll up, create and drop partitions, purge"},
}

// KindOf returns the kind of a task type.
func KindOf(taskType string) (Kind, bool) {
	for _, k := range Kinds {
		if k.TaskType == taskType {
			return k, true
		}
	}
	return Kind{}, false
}

// FieldError is a refused schedule value, naming the field ("task_type", "interval", "offset").
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Validate checks an entry an operator asks for: a known task type, a whole-second interval
// within the kind's bounds and an offset in [0, interval).
func Validate(e store.ScheduleEntry) error {
	k, ok := KindOf(e.TaskType)
	if !ok {
		return &FieldError{"task_type", fmt.Sprintf("unknown periodic job %q", e.TaskType)}
	}
	switch {
	case e.Interval < k.MinInterval || e.Interval > k.MaxInterval:
		return &FieldError{"interval", fmt.Sprintf("interval of %s must be from %s to %s", e.TaskType, shortDuration(k.MinInterval), shortDuration(k.MaxInterval))}
	case e.Interval%time.Second != 0:
		return &FieldError{"interval", "interval must be a whole number of seconds"}
	case e.Offset < 0 || e.Offset >= e.Interval:
		return &FieldError{"offset", "offset must be at least 0 and less than the interval"}
	case e.Offset%time.Second != 0:
		return &FieldError{"offset", "offset must be a whole number of seconds"}
	}
	return nil
}

// EntryOf is the schedule row of a job (for seeding from the environment).
func EntryOf(j Job) store.ScheduleEntry {
	return store.ScheduleEntry{TaskType: j.TaskType, Interval: j.Interval, Offset: j.Offset, Enabled: true}
}

// JobOf is the job of an enabled, valid schedule row; false for a disabled, unknown or invalid one.
func JobOf(e store.ScheduleEntry) (Job, bool) {
	k, ok := KindOf(e.TaskType)
	if !ok || !e.Enabled || e.Interval <= 0 || e.Offset < 0 || e.Offset >= e.Interval {
		return Job{}, false
	}
	return Job{TaskType: e.TaskType, Queue: k.Queue, Interval: e.Interval, Offset: e.Offset}, true
}

// Source yields the jobs to emit; the scheduler asks it again every reload.
type Source interface {
	Jobs(ctx context.Context) ([]Job, error)
}

// Lister is the part of *store.Store a StoreSource reads.
type Lister interface {
	ListSchedule(ctx context.Context) ([]store.ScheduleEntry, error)
}

// StoreSource reads the jobs from the schedule_jobs table.
type StoreSource struct {
	Store Lister
	// Skip are task types this process never emits whatever the table says (the SNMP cycle
	// when WARDOPS_SNMP_ENABLED=false).
	Skip []string
}

// Jobs returns the enabled jobs of the stored schedule, sorted by task type.
func (s StoreSource) Jobs(ctx context.Context) ([]Job, error) {
	rows, err := s.Store.ListSchedule(ctx)
	if err != nil {
		return nil, err
	}
	var out []Job
	for _, e := range rows {
		if j, ok := JobOf(e); ok && !slices.Contains(s.Skip, j.TaskType) {
			out = append(out, j)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].TaskType < out[b].TaskType })
	return out, nil
}
