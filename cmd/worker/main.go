// Command worker executes WardOps tasks from Redis: ping and SNMP batches, alert evaluation,
// notifications and housekeeping, 50 at a time by default. Run as many replicas as needed.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/config"
	"github.com/wardops/wardops/pkg/daemon"
	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/pkg/notify"
	"github.com/wardops/wardops/pkg/probe"
	"github.com/wardops/wardops/pkg/retention"
	"github.com/wardops/wardops/pkg/selfmetrics"
	"github.com/wardops/wardops/pkg/snmp"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/pkg/tsdb"
	"github.com/wardops/wardops/pkg/worker"
	"github.com/wardops/wardops/pkg/workerhealth"
)

func main() { os.Exit(run()) }

func run() int {
	cfg, err := config.LoadWorker(config.Env())
	if err != nil {
		fmt.Fprintf(os.Stderr, "worker: bad configuration: %v\n", err)
		return 2
	}
	logger := daemon.NewLogger(os.Stderr, cfg.Common, "worker")
	pinger, closePinger, err := newPinger(cfg.Ping.Engine, logger)
	if err != nil {
		logger.Error("cannot ping: the worker needs root or CAP_NET_RAW (setcap cap_net_raw+ep, or cap_add NET_RAW)", "err", err)
		return 1
	}
	defer closePinger()
	ctx, stop := daemon.SignalContext()
	defer stop()

	pool, err := store.Open(ctx, store.PoolParams{URL: cfg.DatabaseURL, MaxConns: int32(cfg.DBMaxConns), QueryTimeout: cfg.QueryTimeout, AppName: "wardops-worker"})
	if err != nil {
		logger.Error("database unavailable", "err", err)
		return 1
	}
	defer pool.Close()
	_, rdb, err := daemon.Redis(ctx, cfg.RedisURL)
	if err != nil {
		logger.Error("redis unavailable", "err", err)
		return 1
	}
	defer rdb.Close()
	client := asynq.NewClientFromRedisClient(rdb)
	st := store.New(pool, cfg.QueryTimeout, logger)

	if err := st.EnsurePingPartitions(ctx, time.Now(), 3); err != nil {
		logger.Error("create ping partitions", "err", err)
		return 1
	}
	reg := selfmetrics.New("worker")
	spool := tsdb.NewSpool(pool, int64(cfg.SpoolMaxSamples))
	sink, err := tsdb.NewSink(tsdb.SinkParams{URL: cfg.VMURL, Spool: spool,
		Metrics: reg.Set(), Logger: logger.With("component", "tsdb")})
	if err != nil {
		logger.Error("victoriametrics sink", "err", err)
		return 1
	}
	// the drain runs until shutdown; samples written meanwhile are spooled if VictoriaMetrics is away
	drained := make(chan struct{})
	go func() { defer close(drained); _ = sink.Run(ctx) }()
	reg.ServePprof(cfg.Pprof)
	defer reg.Start(ctx, cfg.MetricsAddr, cfg.MetricsPushURL, logger)()
	inspector := asynq.NewInspectorFromRedisClient(rdb)
	defer inspector.Close()
	reg.QueueGauges(inspector, config.QueueNames(cfg.Queues))

	box, err := daemon.SecretBox(cfg.SecretKey)
	if err != nil {
		logger.Error("secret key", "err", err)
		return 2
	}
	if err := snmp.CheckSecretKey(ctx, st, box); err != nil {
		logger.Error("refusing to start without WARDOPS_SECRET_KEY", "err", err)
		return 2
	}
	snmpSvc, err := snmp.New(snmp.Params{Devices: st, Store: st, Samples: sink, Secrets: box,
		Logger: logger.With("component", "snmp"), Metrics: reg.Set()})
	if err != nil {
		logger.Error("snmp service", "err", err)
		return 1
	}
	retCfg, err := retention.LoadConfig(config.Env())
	if err != nil {
		fmt.Fprintf(os.Stderr, "worker: bad configuration: %v\n", err)
		return 2
	}
	evaluator := alert.NewEvaluator(alert.EvaluatorParams{Repo: st, Enqueuer: client,
		Rules: alert.NewRuleCache(rdb, st.EnabledAlertRules), Publisher: events.NewPublisher(rdb),
		Logger: logger.With("component", "alert")})
	deliver := notify.NewHandler(notify.HandlerParams{Store: st, Sealer: box, Policy: notify.NewDestinationPolicy(cfg.NotifyAllow), Logger: logger.With("component", "notify")})
	mux := worker.NewMux(worker.Deps{Store: st, Redis: rdb, Client: client, Logger: logger, Pinger: pinger, Samples: sink,
		Ping:          probe.Options{Count: cfg.Ping.Count, Spacing: cfg.Ping.Spacing, Timeout: cfg.Ping.Timeout},
		PingBatchSize: cfg.Ping.BatchSize,
		SNMPBatchSize: cfg.SNMP.BatchSize,
		Handlers: map[string]asynq.Handler{
			tasks.TypeSNMPBatch: snmpSvc.BatchHandler(),
			tasks.TypeSNMPTest:  snmpSvc.TestHandler(),
			tasks.TypeAlertEval: evaluator,
			tasks.TypeNotify:    deliver,
			tasks.TypeRetention: retention.New(retention.Params{Store: st, Config: retCfg, Logger: logger.With("component", "retention")}),
			tasks.TypeWorkerHealth: workerhealth.NewHandler(workerhealth.Params{Inspector: inspector, Spool: spool, Store: st,
				Alerts: client, Logger: logger.With("component", "workerhealth")}),
		},
		Skipped:  func(typ string) { reg.SlotSkipped(typ) },
		CycleLag: func(d time.Duration) { reg.ObserveCycleLag("ping", d) },
	})
	mux.Use(reg.TaskMiddleware())
	srv := worker.NewServer(worker.ServerParams{Redis: rdb, Concurrency: cfg.Concurrency, Queues: cfg.Queues,
		ShutdownTimeout: cfg.ShutdownTimeout, Logger: logger,
		RetryDelay: notify.RetryDelayFunc(5*time.Second, 10*time.Minute, worker.RetryDelay)})
	if err := srv.Start(mux); err != nil {
		logger.Error("start worker", "err", err)
		return 1
	}
	// the rescuer re-enqueues the batches of workers that died mid-batch (SIGKILL, OOM, power)
	rescuer := worker.NewRescuer(worker.RescuerParams{Redis: rdb, Client: client, Inspector: inspector,
		Logger: logger.With("component", "rescue"), Rescued: reg.BatchRescued})
	rescued := make(chan struct{})
	go func() { defer close(rescued); rescuer.Run(ctx) }()
	logger.Info("worker started", "concurrency", cfg.Concurrency, "queues", cfg.Queues)
	<-ctx.Done()
	stop() // a second SIGINT/SIGTERM now kills the process at once
	logger.Info("shutting down")
	// Order: the rescuer stops with ctx (other workers' rescuers carry on; this one's
	// in-flight batches keep their leases until they finish or asynq requeues them, and a
	// requeued task is never rescued); stop taking tasks and let in-flight ones finish (asynq
	// requeues those that exceed the shutdown timeout), then close the clients they used.
	<-rescued
	srv.Shutdown()
	<-drained // the spool drain stops before the pool under it closes
	if err := client.Close(); err != nil && !errors.Is(err, context.Canceled) {
		logger.Warn("close asynq client", "err", err)
	}
	return 0
}

// newPinger opens the configured ICMP engine; both fail clearly without CAP_NET_RAW.
func newPinger(engine string, logger *slog.Logger) (worker.Pinger, func(), error) {
	if engine == "probing" {
		if err := probe.CheckPermission(); err != nil {
			return nil, nil, err
		}
		return probe.NewProBing(logger), func() {}, nil
	}
	e, err := probe.NewEngine(probe.EngineParams{Logger: logger})
	if err != nil {
		return nil, nil, err
	}
	return e, func() { _ = e.Close() }, nil
}
