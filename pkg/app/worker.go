package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/bootstrap"
	"github.com/wardops/wardops/pkg/config"
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

// RunWorker is the worker binary: it executes tasks from Redis until SIGINT/SIGTERM and
// returns the exit code (2: bad configuration; 1: a failure, e.g. no CAP_NET_RAW).
func RunWorker() int {
	cfg, err := config.LoadWorker(config.Env())
	if err != nil {
		fmt.Fprintf(os.Stderr, "worker: bad configuration: %v\n", err)
		return 2
	}
	retCfg, err := retention.LoadConfig(config.Env())
	if err != nil {
		fmt.Fprintf(os.Stderr, "worker: bad configuration: %v\n", err)
		return 2
	}
	logger := bootstrap.NewLogger(os.Stderr, cfg.Common, "worker")
	pinger, closePinger, err := NewPinger(cfg.Ping.Engine, logger)
	if err != nil {
		logger.Error("cannot ping: the worker needs root or CAP_NET_RAW (setcap cap_net_raw+ep, or cap_add NET_RAW)", "err", err)
		return 1
	}
	defer closePinger()
	ctx, stop := bootstrap.SignalContext()
	defer stop()

	conns, err := Connect(ctx, ConnParams{DatabaseURL: cfg.DatabaseURL, DBMaxConns: cfg.DBMaxConns, QueryTimeout: cfg.QueryTimeout,
		RedisURL: cfg.RedisURL, AppName: "wardops-worker"}, logger)
	if err != nil {
		logger.Error("connect", "err", err)
		return 1
	}
	defer conns.Close()
	if err := conns.Store.EnsurePingPartitions(ctx, time.Now(), 3); err != nil {
		logger.Error("create ping partitions", "err", err)
		return 1
	}
	w, err := NewWorker(ctx, cfg, retCfg, logger, WorkerInputs{Store: conns.Store, Redis: conns.Redis, Pinger: pinger})
	if err != nil {
		logger.Error("worker", "err", err)
		return exitCode(err)
	}
	if err := w.Start(); err != nil {
		logger.Error("start worker", "err", err)
		return 1
	}
	logger.Info("worker started", "concurrency", cfg.Concurrency, "queues", cfg.Queues)
	<-ctx.Done()
	stop() // a second SIGINT/SIGTERM now kills the process at once
	logger.Info("shutting down")
	w.Shutdown()
	return 0
}

// WorkerInputs are what the worker graph is built on.
type WorkerInputs struct {
	Store  *store.Store
	Redis  redis.UniversalClient
	Pinger worker.Pinger
	// Samples receives ping and SNMP samples instead of the VictoriaMetrics sink (tests; nil:
	// the sink on cfg.VMURL with its outage spool).
	Samples worker.SampleWriter
	// Handlers replace or add task handlers (tests).
	Handlers map[string]asynq.Handler
}

// Worker is the worker binary's graph: the task server with every handler, the rescuer of
// dead workers' batches and the samples' drain to VictoriaMetrics.
type Worker struct {
	// Mux routes tasks to their handlers.
	Mux     *asynq.ServeMux
	srv     *asynq.Server
	client  *asynq.Client
	insp    *asynq.Inspector
	rescuer *worker.Rescuer
	ctx     context.Context
	rescued chan struct{}
	drained chan struct{}
	stopM   func()
	started bool
	logger  *slog.Logger
}

// NewWorker builds the worker graph; its drain to VictoriaMetrics runs on ctx. Start takes
// tasks; Shutdown stops in order.
func NewWorker(ctx context.Context, cfg config.Worker, retCfg retention.Config, logger *slog.Logger, in WorkerInputs) (*Worker, error) {
	st, rdb := in.Store, in.Redis
	client := asynq.NewClientFromRedisClient(rdb)
	w := &Worker{client: client, ctx: ctx, rescued: make(chan struct{}), drained: make(chan struct{}), stopM: func() {}, logger: logger}
	reg := selfmetrics.New("worker")
	samples := in.Samples
	spool := tsdb.NewSpool(st.Pool(), int64(cfg.SpoolMaxSamples))
	if samples == nil {
		sink, err := tsdb.NewSink(tsdb.SinkParams{URL: cfg.VMURL, Spool: spool, Metrics: reg.Set(), Logger: logger.With("component", "tsdb")})
		if err != nil {
			_ = client.Close()
			return nil, fmt.Errorf("victoriametrics sink: %w", err)
		}
		// the drain runs until shutdown; samples written meanwhile are spooled if VictoriaMetrics is away
		go func() { defer close(w.drained); _ = sink.Run(ctx) }()
		samples = sink
	} else {
		close(w.drained)
	}
	reg.ServePprof(cfg.Pprof)
	w.stopM = reg.Start(ctx, cfg.MetricsAddr, cfg.MetricsPushURL, logger)
	w.insp = asynq.NewInspectorFromRedisClient(rdb)
	reg.QueueGauges(w.insp, config.QueueNames(cfg.Queues))
	fail := func(what string, err error) (*Worker, error) {
		w.close()
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	box, err := bootstrap.SecretBox(cfg.SecretKey)
	if err != nil {
		return fail("secret key", &ConfigError{err})
	}
	if err := snmp.CheckSecretKey(ctx, st, box); err != nil {
		return fail("refusing to start without WARDOPS_SECRET_KEY", &ConfigError{err})
	}
	snmpSvc, err := snmp.New(snmp.Params{Devices: st, Store: st, Samples: samples, Secrets: box,
		Logger: logger.With("component", "snmp"), Metrics: reg.Set()})
	if err != nil {
		return fail("snmp service", err)
	}
	evaluator := alert.NewEvaluator(alert.EvaluatorParams{Repo: st, Enqueuer: client,
		Rules: alert.NewRuleCache(rdb, st.EnabledAlertRules), Publisher: events.NewPublisher(rdb),
		Logger: logger.With("component", "alert")})
	deliver := notify.NewHandler(notify.HandlerParams{Store: st, Sealer: box, Policy: notify.NewDestinationPolicy(cfg.NotifyAllow), Logger: logger.With("component", "notify")})
	handlers := map[string]asynq.Handler{
		tasks.TypeSNMPBatch: snmpSvc.BatchHandler(),
		tasks.TypeSNMPTest:  snmpSvc.TestHandler(),
		tasks.TypeAlertEval: evaluator,
		tasks.TypeNotify:    deliver,
		tasks.TypeRetention: retention.New(retention.Params{Store: st, Config: retCfg, Logger: logger.With("component", "retention")}),
		tasks.TypeWorkerHealth: workerhealth.NewHandler(workerhealth.Params{Inspector: w.insp, Spool: spool, Store: st,
			Alerts: client, Logger: logger.With("component", "workerhealth")}),
	}
	for typ, h := range in.Handlers {
		handlers[typ] = h
	}
	w.Mux = worker.NewMux(worker.Deps{Store: st, Redis: rdb, Client: client, Logger: logger, Pinger: in.Pinger, Samples: samples,
		Ping:          probe.Options{Count: cfg.Ping.Count, Spacing: cfg.Ping.Spacing, Timeout: cfg.Ping.Timeout},
		PingBatchSize: cfg.Ping.BatchSize,
		SNMPBatchSize: cfg.SNMP.BatchSize,
		Handlers:      handlers,
		Skipped:       func(typ string) { reg.SlotSkipped(typ) },
		CycleLag:      func(d time.Duration) { reg.ObserveCycleLag("ping", d) },
	})
	w.Mux.Use(reg.TaskMiddleware())
	w.srv = worker.NewServer(worker.ServerParams{Redis: rdb, Concurrency: cfg.Concurrency, Queues: cfg.Queues,
		ShutdownTimeout: cfg.ShutdownTimeout, Logger: logger,
		RetryDelay: notify.RetryDelayFunc(5*time.Second, 10*time.Minute, worker.RetryDelay)})
	// the rescuer re-enqueues the batches of workers that died mid-batch (SIGKILL, OOM, power)
	w.rescuer = worker.NewRescuer(worker.RescuerParams{Redis: rdb, Client: client, Inspector: w.insp,
		Logger: logger.With("component", "rescue"), Rescued: reg.BatchRescued})
	return w, nil
}

// Start takes tasks and starts the rescuer.
func (w *Worker) Start() error {
	if err := w.srv.Start(w.Mux); err != nil {
		return err
	}
	w.started = true
	go func() { defer close(w.rescued); w.rescuer.Run(w.ctx) }()
	return nil
}

// Shutdown stops in order; the ctx given to NewWorker must be done (or ending) for the rescuer
// and the drain to stop. The rescuer stops with ctx (other workers' rescuers carry on; this
// one's in-flight batches keep their leases until they finish or asynq requeues them, and a
// requeued task is never rescued); then the server stops taking tasks and lets in-flight ones
// finish (asynq requeues those that exceed the shutdown timeout); then the clients they used
// close.
func (w *Worker) Shutdown() {
	if w.started {
		<-w.rescued
		w.srv.Shutdown()
	}
	<-w.drained // the spool drain stops before the pool under it closes
	w.close()
}

func (w *Worker) close() {
	w.stopM()
	if w.insp != nil {
		_ = w.insp.Close()
	}
	if err := w.client.Close(); err != nil && !errors.Is(err, context.Canceled) {
		w.logger.Warn("close asynq client", "err", err)
	}
}

// NewPinger opens the configured ICMP engine; both fail clearly without CAP_NET_RAW.
func NewPinger(engine string, logger *slog.Logger) (worker.Pinger, func(), error) {
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
