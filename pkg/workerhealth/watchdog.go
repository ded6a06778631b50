package workerhealth

import (
	"context"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/schedule"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
)

// SystemPass runs one `system` alert evaluation with the given metrics; *alert.Evaluator
// implements it.
type SystemPass interface {
	Run(ctx context.Context, src alert.Source, system map[string]float64) (*alert.Result, error)
}

var _ SystemPass = (*alert.Evaluator)(nil)

// WatchdogParams configures NewWatchdog. Inspector, Store and Pass are required.
type WatchdogParams struct {
	Inspector Inspector
	// Spool may be nil (no VictoriaMetrics spool figures in the sample).
	Spool SpoolStatuser
	Store Saver
	// Pass evaluates the system rules in this process: its deliveries must not wait for a
	// worker either (see InlineDelivery).
	Pass SystemPass
	// Every is how often the asynq servers are counted (default 1 minute).
	Every time.Duration
	// Grace is how long no worker may be seen before the watchdog acts (default 2 minutes),
	// so that a rolling restart does not page.
	Grace time.Duration
	// SampleInterval is the worker-health slot length, for the stored sample's slot (default
	// DefaultInterval).
	SampleInterval time.Duration
	Logger         *slog.Logger
	Now            func() time.Time
}

// Watchdog covers what the worker-health task cannot: no worker at all. The task runs on a
// worker, so with every worker gone no sample is taken, no `system` rule is evaluated and the
// "no workers" rule never fires — nobody is paged while nothing is monitored. The API runs a
// Watchdog: when it has seen no asynq server for Grace, it takes the sample itself, stores it
// and runs the system pass in-process every Every until a worker is back, and then once more
// so that the alert resolves at once. Passes are idempotent (the alert state machine, under
// the pass lock), so several API replicas may each run one.
type Watchdog struct {
	p         WatchdogParams
	noneSince time.Time // zero while workers are seen
	acting    bool      // the watchdog has run passes for the current outage
}

// NewWatchdog returns a Watchdog; Run starts it.
func NewWatchdog(p WatchdogParams) *Watchdog {
	if p.Every <= 0 {
		p.Every = time.Minute
	}
	if p.Grace <= 0 {
		p.Grace = 2 * time.Minute
	}
	if p.SampleInterval <= 0 {
		p.SampleInterval = DefaultInterval
	}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	return &Watchdog{p: p}
}

// Run checks every Every until ctx ends.
func (w *Watchdog) Run(ctx context.Context) {
	tick := time.NewTicker(w.p.Every)
	defer tick.Stop()
	for {
		w.Check(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Check counts the asynq servers once and, when no worker has been seen for Grace (or one is
// back after the watchdog acted), samples and evaluates.
func (w *Watchdog) Check(ctx context.Context) {
	servers, err := w.p.Inspector.Servers()
	if err != nil {
		w.p.Logger.Warn("watchdog: list asynq servers", "err", err)
		return // Redis is down: the health endpoint reports it; a sample needs Redis too
	}
	now := w.p.Now()
	if len(servers) > 0 {
		w.noneSince = time.Time{}
		if w.acting {
			w.acting = false
			w.p.Logger.Info("watchdog: workers are back; last system pass from the API", "workers", len(servers))
			w.pass(ctx, now)
		}
		return
	}
	if w.noneSince.IsZero() {
		w.noneSince = now
	}
	if now.Sub(w.noneSince) < w.p.Grace {
		return
	}
	if !w.acting {
		w.p.Logger.Error("watchdog: no worker is running; the API evaluates the system alert rules until one is back",
			"since", w.noneSince)
		w.acting = true
	}
	w.pass(ctx, now)
}

func (w *Watchdog) pass(ctx context.Context, now time.Time) {
	slot := schedule.SlotStart(now, w.p.SampleInterval, 0)
	sample, err := Take(ctx, w.p.Inspector, w.p.Spool, slot, now)
	if err != nil {
		w.p.Logger.Warn("watchdog: sample", "err", err)
		return
	}
	if err := w.p.Store.SaveWorkerHealth(ctx, sample); err != nil {
		w.p.Logger.Warn("watchdog: store sample", "err", err)
	}
	res, err := w.p.Pass.Run(ctx, alert.SourceSystem, Metrics(sample))
	if err != nil {
		w.p.Logger.Warn("watchdog: system pass", "err", err)
		return
	}
	w.p.Logger.Info("watchdog: system pass", "workers", sample.Servers, "fired", res.Stats.Fired, "resolved", res.Stats.Resolved)
}

// InlineDelivery is an alert.Enqueuer for a process that runs passes while no worker may be
// there: notify tasks are sent at once by Handler, and only those it fails to send (and every
// other task) are enqueued for a worker to retry. The delivery rows make a send exactly-once,
// so a copy a worker takes later finds it done.
type InlineDelivery struct {
	Handler asynq.Handler
	Queue   alert.Enqueuer
	Logger  *slog.Logger
}

// EnqueueContext implements alert.Enqueuer.
func (d InlineDelivery) EnqueueContext(ctx context.Context, t *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error) {
	if t.Type() == tasks.TypeNotify {
		err := d.Handler.ProcessTask(ctx, t)
		if err == nil {
			return &asynq.TaskInfo{Type: t.Type(), Queue: tasks.QueueNotify, State: asynq.TaskStateCompleted}, nil
		}
		if d.Logger != nil {
			d.Logger.Warn("watchdog: delivery failed; queued for a worker to retry", "err", err)
		}
	}
	return d.Queue.EnqueueContext(ctx, t, opts...)
}

var _ alert.Enqueuer = InlineDelivery{}

var _ Saver = (*store.Store)(nil)
