package alert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/cache"
	"github.com/wardops/wardops/pkg/tasks"
)

// PassData is what a pass loads from storage besides the rules.
type PassData struct {
	Snapshot  *Snapshot
	States    []*State
	Incidents []*Incident
	Windows   []Window
	Routes    []Route
}

// Saved is what SaveAlertPass wrote that the evaluator acts on after the commit.
type Saved struct {
	// DeliveryKeys are the new deliveries to enqueue.
	DeliveryKeys []string
	// Live are the events to publish for the dashboard.
	Live []LiveEvent
	// Status are the device status changes of the pass (entering and leaving maintenance), to
	// publish as live "status" events like the ping writer's.
	Status []StatusChange
	// Dropped counts alert changes not applied because the alert was acknowledged or closed by
	// hand meanwhile (they are re-evaluated next pass).
	Dropped int
}

// LiveEvent is the data of a live "alert" event on the wardops:events channel.
type LiveEvent struct {
	Event string `json:"event"`
	Alert Alert  `json:"alert"`
}

// StatusChange is a device status change a pass wrote (maintenance), in the shape of the live
// "status" event: the same fields as the ping writer's store.StatusChange.
type StatusChange struct {
	DeviceID  int64     `json:"device_id"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	At        time.Time `json:"at"`
	Version   int64     `json:"version"`
	BlockedBy *int64    `json:"blocked_by"`
}

// Repository is the storage an Evaluator runs on; *store.Store implements it.
type Repository interface {
	// LockAlertPass serialises passes (and ack/close by hand) across workers.
	LockAlertPass(ctx context.Context) (unlock func(), err error)
	// LoadAlertPass loads a pass; inv caches the devices' static fields between passes.
	LoadAlertPass(ctx context.Context, src Source, rules []Rule, inv *Inventory) (*PassData, error)
	SaveAlertPass(ctx context.Context, res *Result) (*Saved, error)
	// UnsentDeliveries lists keys of deliveries still pending after olderThan (an enqueue lost
	// to a crash between commit and enqueue).
	UnsentDeliveries(ctx context.Context, olderThan time.Duration, limit int) ([]string, error)
}

// Inventory caches the static fields of the enabled devices (name, place, labels, parent)
// between passes: each pass reads the status columns of every device and the static ones only
// of devices added or updated since (by updated_at), plus a full reload every few minutes. The
// snapshot's Devices alias Devices.
type Inventory struct {
	LoadedAt time.Time
	Devices  []Device
	// Versions are the devices' updated_at (unix µs), parallel to Devices.
	Versions []int64
}

// RuleSource returns the enabled rules (a Redis cache in front of the store).
type RuleSource interface {
	Get(ctx context.Context) ([]Rule, error)
}

// Enqueuer enqueues tasks; *asynq.Client implements it.
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// Publisher publishes live events; *events.Publisher implements it.
type Publisher interface {
	Publish(ctx context.Context, typ string, data any) error
}

// NewRuleCache caches the enabled rules in Redis for cache.RulesTTL (60 s); Service
// invalidates it on every rule change.
func NewRuleCache(rdb redis.UniversalClient, load func(ctx context.Context) ([]Rule, error)) *cache.JSON[[]Rule] {
	return cache.New(rdb, cache.RulesKey, cache.RulesTTL, load)
}

// EvaluatorParams configures NewEvaluator.
type EvaluatorParams struct {
	Repo      Repository
	Rules     RuleSource
	Enqueuer  Enqueuer
	Publisher Publisher // may be nil
	Logger    *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Evaluator runs evaluation passes: load, Evaluate, save in one transaction, then enqueue the
// notifications and publish live events. It is the asynq handler of tasks.TypeAlertEval.
type Evaluator struct {
	p EvaluatorParams
	// mu guards inv: passes of one process share it (they are also serialised across
	// processes by the pass lock).
	mu  sync.Mutex
	inv Inventory
}

// NewEvaluator returns an Evaluator.
func NewEvaluator(p EvaluatorParams) *Evaluator {
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	return &Evaluator{p: p}
}

// EvalPayload is the payload of tasks.TypeAlertEval: the cycle that completed and its kind
// ("ping", "snmp" or "system"); a system pass carries the sampled metrics.
type EvalPayload struct {
	tasks.EvalPayload
	Metrics map[string]float64 `json:"metrics,omitempty"`
}

// ProcessTask implements asynq.Handler for tasks.TypeAlertEval.
func (e *Evaluator) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p EvalPayload
	if err := tasks.Decode(t.Type(), t.Payload(), &p); err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	src := Source(p.Kind)
	if !src.Valid() {
		return fmt.Errorf("alert evaluation of unknown kind %q: %w", p.Kind, asynq.SkipRetry)
	}
	_, err := e.Run(ctx, src, p.Metrics)
	return err
}

// Run evaluates every enabled rule of src once. system holds the metrics of a system pass.
func (e *Evaluator) Run(ctx context.Context, src Source, system map[string]float64) (*Result, error) {
	log := e.p.Logger.With("task", tasks.TypeAlertEval, "source", src)
	started := e.p.Now()
	unlock, err := e.p.Repo.LockAlertPass(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock alert pass: %w", err)
	}
	defer unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	rules, err := e.p.Rules.Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("load alert rules: %w", err)
	}
	data, err := e.p.Repo.LoadAlertPass(ctx, src, rules, &e.inv)
	if err != nil {
		return nil, fmt.Errorf("load alert pass: %w", err)
	}
	loaded := e.p.Now()
	if src == SourceSystem {
		data.Snapshot.System = system
	}
	res := Evaluate(&PassInput{Source: src, Now: e.p.Now(), Snapshot: data.Snapshot, Rules: rules,
		States: data.States, Incidents: data.Incidents, Windows: data.Windows, Routes: data.Routes})
	evaluated := e.p.Now()
	saved, err := e.p.Repo.SaveAlertPass(ctx, res)
	if err != nil {
		return nil, fmt.Errorf("save alert pass: %w", err)
	}
	unlock()
	e.enqueue(ctx, log, saved.DeliveryKeys)
	e.resendLost(ctx, log)
	e.publish(ctx, log, saved.Live)
	e.publishStatus(ctx, log, saved.Status)
	log.Info("alert pass done", "rules", res.Stats.Rules, "devices", res.Stats.Devices,
		"evaluations", res.Stats.Evaluations, "fired", res.Stats.Fired, "suppressed", res.Stats.Suppressed,
		"resolved", res.Stats.Resolved, "deliveries", len(saved.DeliveryKeys), "dropped", saved.Dropped,
		"load", loaded.Sub(started), "evaluate", evaluated.Sub(loaded), "save", e.p.Now().Sub(evaluated))
	return res, nil
}

// enqueue sends each delivery to the notify queue. A failure is only logged: the delivery row
// is committed and resendLost picks it up on a later pass.
func (e *Evaluator) enqueue(ctx context.Context, log *slog.Logger, keys []string) {
	for _, k := range keys {
		if err := EnqueueDelivery(ctx, e.p.Enqueuer, k); err != nil {
			log.Warn("enqueue delivery failed; retried by a later pass", "delivery", k, "err", err)
		}
	}
}

// resendAfter is how long a delivery may stay pending before a pass enqueues it again.
const resendAfter = 2 * time.Minute

func (e *Evaluator) resendLost(ctx context.Context, log *slog.Logger) {
	keys, err := e.p.Repo.UnsentDeliveries(ctx, resendAfter, 500)
	if err != nil {
		log.Warn("list unsent deliveries failed", "err", err)
		return
	}
	e.enqueue(ctx, log, keys)
}

func (e *Evaluator) publish(ctx context.Context, log *slog.Logger, live []LiveEvent) {
	if e.p.Publisher == nil {
		return
	}
	for _, ev := range live {
		if err := e.p.Publisher.Publish(ctx, "alert", ev); err != nil {
			log.Warn("publish alert event failed", "alert", ev.Alert.ID, "err", err)
			return
		}
	}
}

func (e *Evaluator) publishStatus(ctx context.Context, log *slog.Logger, changes []StatusChange) {
	if e.p.Publisher == nil {
		return
	}
	for _, c := range changes {
		if err := e.p.Publisher.Publish(ctx, "status", c); err != nil {
			log.Warn("publish status change failed", "device", c.DeviceID, "err", err)
			return
		}
	}
}

// DeliveryPayload is the payload of tasks.TypeNotify.
type DeliveryPayload struct {
	DeliveryKey string `json:"delivery_key"`
}

// Notify task options: retried with backoff for about a day (see notify.RetryDelay), and the
// task ID kept for a day after completion so a re-enqueue of a delivered key is refused.
const (
	NotifyMaxRetry  = 25
	NotifyTimeout   = 60 * time.Second
	NotifyRetention = 24 * time.Hour
)

// EnqueueDelivery enqueues the delivery of key on the notify queue; the task ID is the key, so
// enqueueing it twice is harmless.
func EnqueueDelivery(ctx context.Context, enq Enqueuer, key string) error {
	t := asynq.NewTask(tasks.TypeNotify, tasks.Encode(DeliveryPayload{DeliveryKey: key}))
	_, err := enq.EnqueueContext(ctx, t, asynq.Queue(tasks.QueueNotify), asynq.TaskID(tasks.TypeNotify+":"+key),
		asynq.MaxRetry(NotifyMaxRetry), asynq.Timeout(NotifyTimeout), asynq.Retention(NotifyRetention))
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("enqueue delivery %s: %w", key, err)
	}
	return nil
}
