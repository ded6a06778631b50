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
	st, closeDB, err := openSchedule(ctx, cfg, DefaultJobs(cfg, retCfg), logger)
	if err != nil {
		logger.Error("schedule unavailable", "err", err)
		return 1
	}
	defer closeDB()
	client := asynq.NewClientFromRedisClient(rdb)
	defer client.Close()

	reg := selfmetrics.New("scheduler")
	reg.ServePprof(cfg.Pprof)
	defer reg.Start(ctx, cfg.MetricsAddr, cfg.MetricsPushURL, logger)()
	s := NewScheduler(cfg, logger, SchedulerInputs{Store: st, Redis: rdb, Client: client, Metrics: reg})
	logger.Info("scheduler started", "ping_interval", cfg.Ping.Interval, "snmp_interval", cfg.SNMP.Interval, "snmp", cfg.SNMPEnabled)
	// Run returns when SIGINT/SIGTERM cancels ctx, after releasing the lease so the standby
	// takes over at once instead of after the lease expiry.
	if err := s.Run(ctx); err != nil {
		logger.Warn("release leader lease", "err", err)
	}
	logger.Info("scheduler stopped")
	return 0
}

// openSchedule opens the database and seeds the stored schedule (SeedSchedule); the stored
// rows are what the scheduler runs.
func openSchedule(ctx context.Context, cfg config.Scheduler, defaults []schedule.Job, logger *slog.Logger) (*store.Store, func(), error) {
	pool, err := store.Open(ctx, store.PoolParams{URL: cfg.DatabaseURL, MaxConns: int32(cfg.DBMaxConns), QueryTimeout: cfg.QueryTimeout, AppName: "wardops-scheduler"})
	if err != nil {
		return nil, nil, err
	}
	st := store.New(pool, cfg.QueryTimeout, logger)
	if err := SeedSchedule(ctx, st, defaults); err != nil {
		pool.Close()
		return nil, nil, err
	}
	return st, pool.Close, nil
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
}

// NewScheduler builds the scheduler on the stored schedule (skipping the jobs this
// configuration does not run); Run emits until its ctx ends.
func NewScheduler(cfg config.Scheduler, logger *slog.Logger, in SchedulerInputs) *schedule.Scheduler {
	owner := in.Owner
	if owner == "" {
		owner = bootstrap.Owner("scheduler")
	}
	p := schedule.Params{
		Redis: in.Redis, Client: in.Client, Source: schedule.StoreSource{Store: in.Store, Skip: skipped(cfg)},
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
