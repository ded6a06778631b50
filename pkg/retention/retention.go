package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
)

// Partitions creates, lists and drops partitions; *store.Store implements it.
type Partitions interface {
	EnsurePingPartitions(ctx context.Context, from time.Time, days int) error
	EnsureHourlyPartitions(ctx context.Context, from, to time.Time) error
	ListPartitions(ctx context.Context, parent string) ([]store.Partition, error)
	DropPartition(ctx context.Context, parent string, p store.Partition, lockWait time.Duration) error
}

// Rollups writes hourly roll-ups and remembers how far they got; *store.Store implements it.
type Rollups interface {
	RollupPing(ctx context.Context, from, to time.Time, stmtTimeout time.Duration) (int64, error)
	OpsState(ctx context.Context, name string, detail any) (time.Time, bool, error)
	SetOpsState(ctx context.Context, name string, at time.Time, detail any) error
}

// Purger deletes old rows in batches and keeps two runs apart; *store.Store implements it.
type Purger interface {
	PurgeBatch(ctx context.Context, target store.PurgeTarget, before time.Time, limit int) (int64, error)
	TryOpsLock(ctx context.Context, name string) (release func(), ok bool, err error)
}

// Store is everything retention needs from PostgreSQL.
type Store interface {
	Partitions
	Rollups
	Purger
}

var _ Store = (*store.Store)(nil)

// Tuning defaults (Params).
const (
	// DefaultSettle: an hour is rolled up once it ended this long ago (late retries land).
	DefaultSettle = 10 * time.Minute
	// DefaultRewind: each run rolls up again the hours this long before the watermark, so a
	// batch written late (a retry) is counted.
	DefaultRewind = 2 * time.Hour
	// DefaultPurgeBatch rows per DELETE statement.
	DefaultPurgeBatch = 5000
	// DefaultLockWait bounds each lock wait of a partition drop.
	DefaultLockWait = 5 * time.Second
	// DefaultRollupTimeout bounds the roll-up statement of one hour.
	DefaultRollupTimeout = 5 * time.Minute
)

// Params configures New. Store is required.
type Params struct {
	Store  Store
	Config Config
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Settle, Rewind, PurgeBatch, LockWait and RollupTimeout default to the constants above.
	Settle        time.Duration
	Rewind        time.Duration
	PurgeBatch    int
	LockWait      time.Duration
	RollupTimeout time.Duration
}

func (p *Params) setDefaults() {
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Config.Zone == nil {
		p.Config.Zone = time.UTC
	}
	if p.Config.At == "" {
		p.Config.At = DefaultAt
	}
	p.Settle = cmpOr(p.Settle, DefaultSettle)
	p.Rewind = cmpOr(p.Rewind, DefaultRewind)
	p.PurgeBatch = cmpOr(p.PurgeBatch, DefaultPurgeBatch)
	p.LockWait = cmpOr(p.LockWait, DefaultLockWait)
	p.RollupTimeout = cmpOr(p.RollupTimeout, DefaultRollupTimeout)
	p.Config.PartitionsAhead = cmpOr(p.Config.PartitionsAhead, DefaultPartitionsAhead)
}

func cmpOr[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Retention is the asynq handler of tasks.TypeRetention.
type Retention struct{ p Params }

// New returns the retention task.
func New(p Params) *Retention {
	p.setDefaults()
	return &Retention{p: p}
}

// lockName is the advisory lock that keeps two runs apart.
const lockName = "retention"

// ProcessTask implements asynq.Handler: the hourly run, and the daily one when the slot falls
// on Config.At (or when the last daily run is more than a day old, e.g. the scheduler was down
// at 03:00).
func (r *Retention) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p tasks.CyclePayload
	if err := tasks.Decode(t.Type(), t.Payload(), &p); err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	daily := r.p.Config.IsDaily(p.SlotStart)
	if !daily {
		last, found, err := r.p.Store.OpsState(ctx, store.OpsRetentionLastRun, nil)
		if err != nil {
			return err
		}
		daily = !found || r.p.Now().Sub(last) > Day+time.Hour
	}
	_, err := r.Run(ctx, daily)
	return err
}

// Report is the outcome of one run, logged and (for a daily run) kept in ops_state for the
// admins' health view.
type Report struct {
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	Daily      bool      `json:"daily"`
	// PartitionsThrough is the last day with a ping_results partition after the run.
	PartitionsThrough time.Time `json:"partitions_through"`
	// Rollup: hours [RolledFrom, RolledTo) rolled up into RolledRows rows.
	RolledFrom time.Time `json:"rolled_from"`
	RolledTo   time.Time `json:"rolled_to"`
	RolledRows int64     `json:"rolled_rows"`
	// DroppedPing and DroppedHourly name the partitions dropped.
	DroppedPing   []string `json:"dropped_ping"`
	DroppedHourly []string `json:"dropped_hourly"`
	// Purged counts the rows deleted per table.
	Purged map[store.PurgeTarget]int64 `json:"purged"`
	// Errors are the steps that failed (the others still ran).
	Errors []string `json:"errors"`
}

// ErrBusy is returned by Run when another run holds the retention lock.
var ErrBusy = errors.New("another retention run is in progress")

// Run runs once: partitions ahead, roll-ups up to the last settled hour, and when daily the
// drops and purges. A failed step does not stop the others; their errors are joined.
func (r *Retention) Run(ctx context.Context, daily bool) (Report, error) {
	release, ok, err := r.p.Store.TryOpsLock(ctx, lockName)
	if err != nil {
		return Report{}, err
	}
	if !ok {
		r.p.Logger.Info("retention skipped: another run holds the lock")
		return Report{}, ErrBusy
	}
	defer release()
	now := r.p.Now().UTC()
	rep := Report{StartedAt: now, Daily: daily, Purged: map[store.PurgeTarget]int64{}}
	var errs []error
	note := func(err error) {
		if err != nil {
			errs = append(errs, err)
			rep.Errors = append(rep.Errors, err.Error())
		}
	}
	// partitions first: without tomorrow's partition the pings of tomorrow cannot be written
	note(r.ensurePartitions(ctx, now, &rep))
	note(r.rollup(ctx, now, &rep))
	if daily {
		note(r.dropPing(ctx, now, &rep))
		note(r.dropHourly(ctx, now, &rep))
		note(r.purge(ctx, now, &rep))
	}
	rep.FinishedAt = r.p.Now().UTC()
	r.log(rep)
	if daily {
		note(r.p.Store.SetOpsState(context.WithoutCancel(ctx), store.OpsRetentionLastRun, rep.FinishedAt, rep))
	}
	return rep, errors.Join(errs...)
}

func (r *Retention) log(rep Report) {
	args := []any{"task", tasks.TypeRetention, "daily", rep.Daily, "rolled_hours", int(rep.RolledTo.Sub(rep.RolledFrom) / time.Hour),
		"rolled_rows", rep.RolledRows, "dropped_ping", rep.DroppedPing, "dropped_hourly", rep.DroppedHourly,
		"purged", rep.Purged, "took", rep.FinishedAt.Sub(rep.StartedAt)}
	if len(rep.Errors) > 0 {
		r.p.Logger.Error("retention run had errors", append(args, "errors", rep.Errors)...)
		return
	}
	r.p.Logger.Info("retention run done", args...)
}

func (r *Retention) ensurePartitions(ctx context.Context, now time.Time, rep *Report) error {
	days := r.p.Config.PartitionsAhead + 1 // today and the days ahead
	if err := r.p.Store.EnsurePingPartitions(ctx, now, days); err != nil {
		return err
	}
	rep.PartitionsThrough = now.Truncate(Day).AddDate(0, 0, days-1)
	// this month's and next month's roll-up partitions
	return r.p.Store.EnsureHourlyPartitions(ctx, now, now.AddDate(0, 1, 0))
}
