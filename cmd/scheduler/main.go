// Command scheduler emits WardOps' periodic cycle tasks (ping, SNMP, worker health, retention),
// as stored in the database's schedule (seeded from the environment on a fresh database),
// into Redis. Run two for failover: one holds the leader lease and emits; each slot is emitted
// exactly once either way.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/hibiken/asynq"

	"github.com/wardops/wardops/pkg/config"
	"github.com/wardops/wardops/pkg/daemon"
	"github.com/wardops/wardops/pkg/retention"
	"github.com/wardops/wardops/pkg/schedule"
	"github.com/wardops/wardops/pkg/selfmetrics"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/pkg/workerhealth"
)

func main() { os.Exit(run()) }

func run() int {
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
	logger := daemon.NewLogger(os.Stderr, cfg.Common, "scheduler")
	ctx, stop := daemon.SignalContext()
	defer stop()
	_, rdb, err := daemon.Redis(ctx, cfg.RedisURL)
	if err != nil {
		logger.Error("redis unavailable", "err", err)
		return 1
	}
	defer rdb.Close()
	st, closeDB, err := openSchedule(ctx, cfg, append(Jobs(cfg), retCfg.Job(), workerhealth.Job(0)), logger)
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
	s := schedule.New(schedule.Params{
		Redis: rdb, Client: client, Source: schedule.StoreSource{Store: st, Skip: skipped(cfg)},
		Owner: daemon.Owner("scheduler"), LeaderTTL: cfg.LeaderTTL, Logger: logger,
		OnEnqueued: func(j schedule.Job, _ int64) { reg.SlotEmitted(j.TaskType) },
	})
	reg.Leader(s.IsLeader)
	logger.Info("scheduler started", "ping_interval", cfg.Ping.Interval, "snmp_interval", cfg.SNMP.Interval, "snmp", cfg.SNMPEnabled)
	// Run returns when SIGINT/SIGTERM cancels ctx, after releasing the lease so the standby
	// takes over at once instead of after the lease expiry.
	if err := s.Run(ctx); err != nil {
		logger.Warn("release leader lease", "err", err)
	}
	logger.Info("scheduler stopped")
	return 0
}

// openSchedule opens the database and seeds the stored schedule with the environment's jobs
// where it has no row yet (a fresh database); the stored rows are what the scheduler runs.
func openSchedule(ctx context.Context, cfg config.Scheduler, defaults []schedule.Job, logger *slog.Logger) (*store.Store, func(), error) {
	pool, err := store.Open(ctx, store.PoolParams{URL: cfg.DatabaseURL, MaxConns: int32(cfg.DBMaxConns), QueryTimeout: cfg.QueryTimeout, AppName: "wardops-scheduler"})
	if err != nil {
		return nil, nil, err
	}
	st := store.New(pool, cfg.QueryTimeout, logger)
	rows := make([]store.ScheduleEntry, 0, len(defaults))
	for _, j := range defaults {
		rows = append(rows, schedule.EntryOf(j))
	}
	if err := st.SeedSchedule(ctx, rows); err != nil {
		pool.Close()
		return nil, nil, err
	}
	return st, pool.Close, nil
}

// skipped are the stored jobs this configuration does not run.
func skipped(cfg config.Scheduler) []string {
	if cfg.SNMPEnabled {
		return nil
	}
	return []string{tasks.TypeSNMPCycle}
}

// Jobs lists the ping and SNMP cycles this configuration schedules (housekeeping jobs are
// added by run).
func Jobs(cfg config.Scheduler) []schedule.Job {
	jobs := []schedule.Job{{TaskType: tasks.TypePingCycle, Queue: tasks.QueueDefault, Interval: cfg.Ping.Interval}}
	if cfg.SNMPEnabled {
		jobs = append(jobs, schedule.Job{TaskType: tasks.TypeSNMPCycle, Queue: tasks.QueueDefault, Interval: cfg.SNMP.Interval})
	}
	return jobs
}
