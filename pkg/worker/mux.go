package worker

import (
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/cache"
	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/pkg/probe"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
)

// Deps are what the worker's handlers are built on.
type Deps struct {
	Store  *store.Store
	Redis  redis.UniversalClient
	Client *asynq.Client
	Logger *slog.Logger
	// Pinger is the ICMP engine (probe.Engine in production).
	Pinger Pinger
	// Samples may be nil (no VictoriaMetrics).
	Samples SampleWriter
	// Ping is how devices without a profile are pinged.
	Ping probe.Options
	// PingBatchSize devices per ping task (default 100).
	PingBatchSize int
	// SNMPBatchSize devices per SNMP task (default 25).
	SNMPBatchSize int
	// Handlers adds handlers of other packages (SNMP, alerts, notifications, housekeeping) by
	// task type.
	Handlers map[string]asynq.Handler
	// Skipped and CycleLag feed self-metrics; may be nil.
	Skipped  func(taskType string)
	CycleLag func(time.Duration)
}

// NewMux registers every task handler of a worker.
func NewMux(d Deps) *asynq.ServeMux {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	profiles := cache.New(d.Redis, cache.ProfilesKey, cache.ProfilesTTL, d.Store.ListProfiles)
	ping := NewPingHandler(PingParams{
		Store: d.Store, Pinger: d.Pinger, Profiles: profiles, Samples: d.Samples,
		Events: events.NewPublisher(d.Redis), Redis: d.Redis, Client: d.Client, Logger: d.Logger,
		Defaults: d.Ping, Skipped: d.Skipped, CycleLag: d.CycleLag,
	})
	batches := NewBatches(BatchParams{Redis: d.Redis, Client: d.Client, Logger: d.Logger, Skipped: d.Skipped})
	mux := asynq.NewServeMux()
	mux.Handle(tasks.TypePingCycle, &CycleHandler{Devices: d.Store.EnabledDeviceIDs, Client: d.Client, Redis: d.Redis,
		BatchType: tasks.TypePingBatch, BatchSize: d.PingBatchSize, Queue: tasks.QueueDefault, Logger: d.Logger, Skipped: d.Skipped})
	mux.Handle(tasks.TypePingBatch, batches.Wrap("ping", asynq.HandlerFunc(ping.ProcessBatch)))
	mux.HandleFunc(tasks.TypePingDevice, ping.ProcessDevice)
	if _, ok := d.Handlers[tasks.TypeSNMPBatch]; ok {
		// SNMP batches go to the low queue: one holds a worker slot for seconds (a slow agent,
		// timeouts), and on the ping batches' queue the SNMP fan-out of a shared slot kept them
		// waiting (bench:pipeline, 10,000 devices + 10,000 agents: ping cycle p99 26 s → 6 s).
		mux.Handle(tasks.TypeSNMPCycle, &CycleHandler{Devices: d.Store.SNMPDeviceIDs, Client: d.Client, Redis: d.Redis,
			BatchType: tasks.TypeSNMPBatch, BatchSize: d.SNMPBatchSize, Queue: tasks.QueueLow, Logger: d.Logger, Skipped: d.Skipped})
	}
	for typ, h := range d.Handlers {
		if typ == tasks.TypeSNMPBatch {
			h = batches.Wrap("snmp", h)
		}
		mux.Handle(typ, h)
	}
	return mux
}
