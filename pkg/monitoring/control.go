package monitoring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wardops/wardops/pkg/audit"
)

// Task states that can be listed, as asynq names them.
var (
	// ListStates are the states List accepts.
	ListStates = []string{"active", "pending", "scheduled", "retry", "archived", "completed"}
	// PurgeStates are the states Purge empties (an active task is cancelled, not purged).
	PurgeStates = []string{"pending", "scheduled", "retry", "archived", "completed"}
)

// Errors of Control, mapped to 404, 409 and 400 by the API and named by the CLI.
var (
	// ErrNotFound means the queue or task does not exist.
	ErrNotFound = errors.New("not found")
	// ErrState means the task is not in a state the action applies to (e.g. cancel of a
	// pending task, retry of an active one).
	ErrState = errors.New("task state does not allow this")
	// ErrConfirm means a purge was not confirmed with the queue's name.
	ErrConfirm = errors.New("purge not confirmed")
)

// InputError is a malformed argument, naming it.
type InputError struct {
	Field   string
	Message string
}

func (e *InputError) Error() string { return e.Field + ": " + e.Message }

// Auditor records an action; *audit.Recorder implements it.
type Auditor interface {
	Record(ctx context.Context, e audit.Entry) error
}

var _ Auditor = (*audit.Recorder)(nil)

// Control is what `celery inspect` and `celery control` give Celery users, for asynq: list
// and show tasks, cancel, retry, delete, pause, resume and purge, each action audited with the
// actor carried by ctx.
type Control struct {
	insp   *asynq.Inspector
	audit  Auditor
	queues []string
}

// NewControl returns a Control over insp. queues are listed even before they exist in Redis
// (tasks.Queue*).
func NewControl(insp *asynq.Inspector, a Auditor, queues []string) *Control {
	return &Control{insp: insp, audit: a, queues: queues}
}

var nameRe = regexp.MustCompile(`^[A-Za-z0-9_:\-.]{1,200}$`)

func checkName(field, v string) error {
	if !nameRe.MatchString(v) {
		return &InputError{Field: field, Message: fmt.Sprintf("invalid %s %q", field, v)}
	}
	return nil
}

// QueueView is one queue's counts.
type QueueView struct {
	Queue          string  `json:"queue"`
	Paused         bool    `json:"paused"`
	Size           int     `json:"size"`
	Pending        int     `json:"pending"`
	Active         int     `json:"active"`
	Scheduled      int     `json:"scheduled"`
	Retry          int     `json:"retry"`
	Archived       int     `json:"archived"`
	Completed      int     `json:"completed"`
	LatencySeconds float64 `json:"latency_seconds"`
	ProcessedToday int     `json:"processed_today"`
	FailedToday    int     `json:"failed_today"`
}

// Queues reports WardOps' queues and any other asynq queue in Redis.
func (c *Control) Queues(context.Context) ([]QueueView, error) {
	names := slices.Clone(c.queues)
	all, err := c.insp.Queues()
	if err != nil {
		return nil, fmt.Errorf("list queues: %w", err)
	}
	for _, q := range all {
		if !slices.Contains(names, q) {
			names = append(names, q)
		}
	}
	out := make([]QueueView, 0, len(names))
	for _, q := range names {
		if !slices.Contains(all, q) { // nothing used it yet (GetQueueInfo's error is not ErrQueueNotFound)
			out = append(out, QueueView{Queue: q})
			continue
		}
		i, err := c.insp.GetQueueInfo(q)
		if err != nil {
			return nil, fmt.Errorf("read queue %s: %w", q, err)
		}
		out = append(out, QueueView{Queue: q, Paused: i.Paused, Size: i.Size, Pending: i.Pending, Active: i.Active,
			Scheduled: i.Scheduled, Retry: i.Retry, Archived: i.Archived, Completed: i.Completed,
			LatencySeconds: i.Latency.Seconds(), ProcessedToday: i.Processed, FailedToday: i.Failed})
	}
	return out, nil
}

// TaskView is one task: payload, error and retries.
type TaskView struct {
	ID       string `json:"id"`
	Queue    string `json:"queue"`
	Type     string `json:"type"`
	State    string `json:"state"`
	MaxRetry int    `json:"max_retry"`
	Retried  int    `json:"retried"`
	// Payload is the task's payload when it is JSON (WardOps' payloads are), else null and
	// PayloadText holds it.
	Payload       json.RawMessage `json:"payload"`
	PayloadText   string          `json:"payload_text,omitempty"`
	LastError     string          `json:"last_error,omitempty"`
	LastFailedAt  *time.Time      `json:"last_failed_at"`
	NextProcessAt *time.Time      `json:"next_process_at"`
	CompletedAt   *time.Time      `json:"completed_at"`
	TimeoutS      float64         `json:"timeout_seconds"`
	Deadline      *time.Time      `json:"deadline"`
	IsOrphaned    bool            `json:"is_orphaned"`
}

func taskView(i *asynq.TaskInfo) TaskView {
	v := TaskView{ID: i.ID, Queue: i.Queue, Type: i.Type, State: i.State.String(), MaxRetry: i.MaxRetry, Retried: i.Retried,
		LastError: i.LastErr, LastFailedAt: timePtr(i.LastFailedAt), NextProcessAt: timePtr(i.NextProcessAt),
		CompletedAt: timePtr(i.CompletedAt), TimeoutS: i.Timeout.Seconds(), Deadline: timePtr(i.Deadline), IsOrphaned: i.IsOrphaned}
	if len(i.Payload) > 0 && json.Valid(i.Payload) {
		v.Payload = i.Payload
	} else if len(i.Payload) > 0 {
		v.PayloadText = string(i.Payload)
	}
	return v
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// List returns one page (from 1) of up to size tasks of queue in state.
func (c *Control) List(_ context.Context, queue, state string, page, size int) ([]TaskView, error) {
	if err := checkName("queue", queue); err != nil {
		return nil, err
	}
	if page < 1 || size < 1 || size > 1000 {
		return nil, &InputError{Field: "page", Message: "page must be ≥ 1 and size 1–1000"}
	}
	list := map[string]func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){
		"active": c.insp.ListActiveTasks, "pending": c.insp.ListPendingTasks, "scheduled": c.insp.ListScheduledTasks,
		"retry": c.insp.ListRetryTasks, "archived": c.insp.ListArchivedTasks, "completed": c.insp.ListCompletedTasks,
	}[state]
	if list == nil {
		return nil, &InputError{Field: "state", Message: fmt.Sprintf("unknown state %q (want one of %v)", state, ListStates)}
	}
	infos, err := list(queue, asynq.Page(page), asynq.PageSize(size))
	if errors.Is(err, asynq.ErrQueueNotFound) {
		if slices.Contains(c.queues, queue) {
			return []TaskView{}, nil // a known queue nothing has used yet
		}
		return nil, fmt.Errorf("queue %s: %w", queue, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("list %s tasks of %s: %w", state, queue, err)
	}
	out := make([]TaskView, 0, len(infos))
	for _, i := range infos {
		out = append(out, taskView(i))
	}
	return out, nil
}

// Task returns one task.
func (c *Control) Task(_ context.Context, queue, id string) (TaskView, error) {
	i, err := c.info(queue, id)
	if err != nil {
		return TaskView{}, err
	}
	return taskView(i), nil
}

func (c *Control) info(queue, id string) (*asynq.TaskInfo, error) {
	if err := checkName("queue", queue); err != nil {
		return nil, err
	}
	if err := checkName("id", id); err != nil {
		return nil, err
	}
	i, err := c.insp.GetTaskInfo(queue, id)
	if errors.Is(err, asynq.ErrQueueNotFound) || errors.Is(err, asynq.ErrTaskNotFound) {
		return nil, fmt.Errorf("task %s/%s: %w", queue, id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read task %s/%s: %w", queue, id, err)
	}
	return i, nil
}

// taskAudit is what the audit trail keeps of a task.
type taskAudit struct {
	Type    string `json:"type"`
	State   string `json:"state"`
	Retried int    `json:"retried"`
	Error   string `json:"last_error,omitempty"`
}

func (c *Control) taskAction(ctx context.Context, action, queue, id string, allowed []asynq.TaskState,
	do func(*asynq.TaskInfo) error) error {
	i, err := c.info(queue, id)
	if err != nil {
		return err
	}
	if !slices.Contains(allowed, i.State) {
		names := make([]string, len(allowed))
		for k, s := range allowed {
			names[k] = s.String()
		}
		return fmt.Errorf("%s task %s/%s: it is %s, not %v: %w", action, queue, id, i.State, names, ErrState)
	}
	if err := do(i); err != nil {
		if errors.Is(err, asynq.ErrTaskNotFound) {
			return fmt.Errorf("task %s/%s: %w", queue, id, ErrNotFound)
		}
		return fmt.Errorf("%s task %s/%s: %w", action, queue, id, err)
	}
	_ = c.audit.Record(ctx, audit.Entry{Action: "task." + action, TargetType: "task", TargetID: queue + "/" + id,
		Before: taskAudit{Type: i.Type, State: i.State.String(), Retried: i.Retried, Error: i.LastErr}})
	return nil
}

// Cancel asks the worker running an active task to stop it (asynq cancels the handler's ctx;
// the task then goes to retry or archived like a failure).
func (c *Control) Cancel(ctx context.Context, queue, id string) error {
	return c.taskAction(ctx, "cancel", queue, id, []asynq.TaskState{asynq.TaskStateActive},
		func(*asynq.TaskInfo) error { return c.insp.CancelProcessing(id) })
}

// Retry runs a retry, archived or scheduled task now (it becomes pending).
func (c *Control) Retry(ctx context.Context, queue, id string) error {
	return c.taskAction(ctx, "retry", queue, id,
		[]asynq.TaskState{asynq.TaskStateRetry, asynq.TaskStateArchived, asynq.TaskStateScheduled},
		func(*asynq.TaskInfo) error { return c.insp.RunTask(queue, id) })
}

// Delete removes a task that is not running (cancel an active one first).
func (c *Control) Delete(ctx context.Context, queue, id string) error {
	return c.taskAction(ctx, "delete", queue, id,
		[]asynq.TaskState{asynq.TaskStatePending, asynq.TaskStateScheduled, asynq.TaskStateRetry,
			asynq.TaskStateArchived, asynq.TaskStateCompleted},
		func(*asynq.TaskInfo) error { return c.insp.DeleteTask(queue, id) })
}

// Pause stops workers from taking tasks of queue (tasks still arrive); Resume undoes it.
func (c *Control) Pause(ctx context.Context, queue string) error { return c.pause(ctx, queue, true) }

// Resume lets workers take tasks of a paused queue again.
func (c *Control) Resume(ctx context.Context, queue string) error { return c.pause(ctx, queue, false) }

func (c *Control) pause(ctx context.Context, queue string, pause bool) error {
	if err := checkName("queue", queue); err != nil {
		return err
	}
	action, f := "resume", c.insp.UnpauseQueue
	if pause {
		action, f = "pause", c.insp.PauseQueue
	}
	if err := f(queue); err != nil {
		return fmt.Errorf("%s queue %s: %w", action, queue, err)
	}
	_ = c.audit.Record(ctx, audit.Entry{Action: "queue." + action, TargetType: "queue", TargetID: queue})
	return nil
}

// Purge deletes every task of queue in state (pending by default, as `celery purge`); confirm
// must repeat the queue's name. It returns how many were deleted.
func (c *Control) Purge(ctx context.Context, queue, state, confirm string) (int, error) {
	if err := checkName("queue", queue); err != nil {
		return 0, err
	}
	if state == "" {
		state = "pending"
	}
	del := map[string]func(string) (int, error){
		"pending": c.insp.DeleteAllPendingTasks, "scheduled": c.insp.DeleteAllScheduledTasks,
		"retry": c.insp.DeleteAllRetryTasks, "archived": c.insp.DeleteAllArchivedTasks,
		"completed": c.insp.DeleteAllCompletedTasks,
	}[state]
	if del == nil {
		return 0, &InputError{Field: "state", Message: fmt.Sprintf("cannot purge %q tasks (want one of %v)", state, PurgeStates)}
	}
	if confirm != queue {
		return 0, fmt.Errorf("purge %s of %s: confirm with the queue name: %w", state, queue, ErrConfirm)
	}
	n, err := del(queue)
	if errors.Is(err, asynq.ErrQueueNotFound) {
		return 0, fmt.Errorf("queue %s: %w", queue, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("purge %s tasks of %s: %w", state, queue, err)
	}
	_ = c.audit.Record(ctx, audit.Entry{Action: "queue.purge", TargetType: "queue", TargetID: queue,
		Detail: map[string]any{"state": state, "deleted": n}})
	return n, nil
}
