package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/bootstrap"
	"github.com/wardops/wardops/pkg/config"
	"github.com/wardops/wardops/pkg/retention"
	"github.com/wardops/wardops/pkg/schedule"
	"github.com/wardops/wardops/pkg/selfmetrics"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/pkg/workerhealth"
)

// RunScheduler is the scheduler binary: it emits the stored schedule's slots into Redis until
// SIGINT/SIGTERM and returns the exit code (2: bad configuration).
func RunScheduler() int {
	cfg, err := config.LoadScheduler(config.Env())
	if err != nil {
		fmt.Fprintf(os.Stderr, "scheduler: bad configuration: %v\n", err)
		return 2
	}
	retCfg, err := retention.LoadConfig(config.Env())
	if err != nil {
		fmt.Fprintf(os.Stderr, "scheduler: bad configuration: %v\n", err)
		return 2
	}
	logger := bootstrap.NewLogger(os.Stderr, cfg.Common, "scheduler")
	ctx, stop := bootstrap.SignalContext()
	defer stop()
	_, rdb, err := bootstrap.Redis(ctx, cfg.RedisURL)
	if err != nil {
		logger.Error("redis unavailable", "err", err)
		return 1
	}
	defer rdb.Close()
	// The pool connects on first use: with PostgreSQL down the scheduler runs the
	// environment's schedule and switches to the stored one when the database answers.
	pool, err := store.Open(ctx, schedulerPool(cfg))
	if err != nil {
		logger.Error("schedule unavailable", "err", err)
		return 1
	}
	defer pool.Close()
	st := store.New(pool, cfg.QueryTimeout, logger)
	client := asynq.NewClientFromRedisClient(rdb)
	defer client.Close()

	reg := selfmetrics.New("scheduler")
	reg.ServePprof(cfg.Pprof)
	defer reg.Start(ctx, cfg.MetricsAddr, cfg.MetricsPushURL, logger)()
	s := NewScheduler(cfg, logger, SchedulerInputs{Store: st, Redis: rdb, Client: client, Metrics: reg, Defaults: DefaultJobs(cfg, retCfg)})
	logger.Info("scheduler started", "ping_interval", cfg.Ping.Interval, "snmp_interval", cfg.SNMP.Interval, "snmp", cfg.SNMPEnabled)
	// Run returns when SIGINT/SIGTERM cancels ctx, after releasing the lease so the standby
	// takes over at once instead of after the lease expiry.
	if err := s.Run(ctx); err != nil {
		logger.Warn("release leader lease", "err", err)
	}
	logger.Info("scheduler stopped")
	return 0
}

// schedulerPool is the scheduler's database pool: lazy, so that a database that is down at
// start does not stop the scheduler (FallbackSource).
func schedulerPool(cfg config.Scheduler) store.PoolParams {
	return store.PoolParams{URL: cfg.DatabaseURL, MaxConns: int32(cfg.DBMaxConns), QueryTimeout: cfg.QueryTimeout,
		AppName: "wardops-scheduler", Lazy: true}
}

// SeedSchedule stores the jobs that have no row yet (a fresh database); rows that exist,
// edited through the API or not, are kept.
func SeedSchedule(ctx context.Context, st *store.Store, jobs []schedule.Job) error {
	rows := make([]store.ScheduleEntry, 0, len(jobs))
	for _, j := range jobs {
		rows = append(rows, schedule.EntryOf(j))
	}
	return st.SeedSchedule(ctx, rows)
}

// skipped are the stored jobs this configuration does not run.
func skipped(cfg config.Scheduler) []string {
	if cfg.SNMPEnabled {
		return nil
	}
	return []string{tasks.TypeSNMPCycle}
}

// SchedulerInputs are what the scheduler graph is built on.
type SchedulerInputs struct {
	Store  *store.Store
	Redis  redis.UniversalClient
	Client *asynq.Client
	// Metrics counts emitted slots and shows leadership (nil: none).
	Metrics *selfmetrics.Registry
	// Owner names this scheduler for the leader lease (default: binary, host and pid).
	Owner string
	// Defaults, when set, are the environment's jobs: seeded into the stored schedule when the
	// database first answers, and run until it does (nil: the stored schedule only, and
	// nothing runs while the database is down at start).
	Defaults []schedule.Job
}

// NewScheduler builds the scheduler on the stored schedule (skipping the jobs this
// configuration does not run), falling back to in.Defaults while the database is down at
// start; Run emits until its ctx ends.
func NewScheduler(cfg config.Scheduler, logger *slog.Logger, in SchedulerInputs) *schedule.Scheduler {
	owner := in.Owner
	if owner == "" {
		owner = bootstrap.Owner("scheduler")
	}
	var src schedule.Source = schedule.StoreSource{Store: in.Store, Skip: skipped(cfg)}
	if in.Defaults != nil {
		src = &schedule.FallbackSource{Stored: src, Defaults: in.Defaults, Logger: logger,
			Seed: func(ctx context.Context) error { return SeedSchedule(ctx, in.Store, in.Defaults) }}
	}
	p := schedule.Params{
		Redis: in.Redis, Client: in.Client, Source: src,
		Owner: owner, LeaderTTL: cfg.LeaderTTL, Logger: logger,
	}
	if in.Metrics != nil {
		p.OnEnqueued = func(j schedule.Job, _ int64) { in.Metrics.SlotEmitted(j.TaskType) }
	}
	s := schedule.New(p)
	if in.Metrics != nil {
		in.Metrics.Leader(s.IsLeader)
	}
	return s
}

// DefaultJobs are the jobs a fresh database's schedule is seeded with: Jobs plus retention and
// worker health.
func DefaultJobs(cfg config.Scheduler, retCfg retention.Config) []schedule.Job {
	return append(Jobs(cfg), retCfg.Job(), workerhealth.Job(0))
}

// Jobs lists the ping and SNMP cycles this configuration schedules (housekeeping jobs are
// added by DefaultJobs).
func Jobs(cfg config.Scheduler) []schedule.Job {
	jobs := []schedule.Job{{TaskType: tasks.TypePingCycle, Queue: tasks.QueueDefault, Interval: cfg.Ping.Interval}}
	if cfg.SNMPEnabled {
		jobs = append(jobs, schedule.Job{TaskType: tasks.TypeSNMPCycle, Queue: tasks.QueueDefault, Interval: cfg.SNMP.Interval})
	}
	return jobs
}
