package workerhealth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/schedule"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
)

// DefaultInterval is how often the scheduler emits the worker-health task.
const DefaultInterval = 5 * time.Minute

// Job is the scheduler's entry for the worker-health task (on the critical queue, so that a
// backlog of other work does not delay the sample that reports it).
func Job(interval time.Duration) schedule.Job {
	if interval <= 0 {
		interval = DefaultInterval
	}
	return schedule.Job{TaskType: tasks.TypeWorkerHealth, Queue: tasks.QueueCritical, Interval: interval}
}

// Saver stores samples; *store.Store implements it.
type Saver interface {
	SaveWorkerHealth(ctx context.Context, w store.WorkerHealth) error
}

var _ Saver = (*store.Store)(nil)

// Enqueuer is the part of *asynq.Client the handler uses.
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

var _ Enqueuer = (*asynq.Client)(nil)

// Params configures NewHandler. Inspector and Store are required.
type Params struct {
	Inspector Inspector
	// Spool may be nil (no VictoriaMetrics spool figures).
	Spool SpoolStatuser
	Store Saver
	// Alerts receives the system alert evaluation of each sample; nil: none is enqueued.
	Alerts Enqueuer
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Handler is the asynq handler of tasks.TypeWorkerHealth: it samples the asynq servers and
// queues and the spool, stores the sample (one per slot: a retry replaces it), and enqueues
// the `system` alert evaluation with the sample's metrics.
type Handler struct{ p Params }

// NewHandler returns the worker-health handler.
func NewHandler(p Params) *Handler {
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	return &Handler{p: p}
}

// ProcessTask implements asynq.Handler.
func (h *Handler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p tasks.CyclePayload
	if err := tasks.Decode(t.Type(), t.Payload(), &p); err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	w, err := Take(ctx, h.p.Inspector, h.p.Spool, p.SlotStart, h.p.Now())
	if err != nil {
		return err
	}
	if err := h.p.Store.SaveWorkerHealth(ctx, w); err != nil {
		return err
	}
	h.p.Logger.Info("worker health", "task", t.Type(), "slot", p.Slot, "servers", w.Servers, "busy", w.Busy,
		"concurrency", w.Concurrency, "pending", w.Pending, "max_pending_queue", w.MaxPendingQueue,
		"oldest_pending", time.Duration(w.MaxLatencyMS)*time.Millisecond, "retry", w.Retry, "archived", w.Archived,
		"spool_samples", w.SpoolSamples)
	return h.enqueueEval(ctx, p, w)
}

// EvalTaskID is the task ID of the system evaluation of a worker-health slot: one per slot.
func EvalTaskID(slot int64) string {
	return fmt.Sprintf("%s:%s:%d", tasks.TypeAlertEval, alert.SourceSystem, slot)
}

func (h *Handler) enqueueEval(ctx context.Context, p tasks.CyclePayload, w store.WorkerHealth) error {
	if h.p.Alerts == nil {
		return nil
	}
	payload := alert.EvalPayload{EvalPayload: tasks.EvalPayload{CyclePayload: p, Kind: string(alert.SourceSystem)}, Metrics: Metrics(w)}
	interval := max(p.Interval, time.Minute)
	_, err := h.p.Alerts.EnqueueContext(ctx, asynq.NewTask(tasks.TypeAlertEval, tasks.Encode(payload)),
		asynq.Queue(tasks.QueueCritical), asynq.TaskID(EvalTaskID(p.Slot)),
		asynq.MaxRetry(1), asynq.Timeout(interval), asynq.Retention(2*interval))
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("enqueue system alert evaluation: %w", err)
	}
	return nil
}
