package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// QueueHealth is one asynq queue in a worker-health sample.
type QueueHealth struct {
	Name      string `json:"name"`
	Pending   int    `json:"pending"`
	Active    int    `json:"active"`
	Scheduled int    `json:"scheduled"`
	Retry     int    `json:"retry"`
	Archived  int    `json:"archived"`
	// LatencyMS is the age of the oldest pending task.
	LatencyMS      int64 `json:"latency_ms"`
	Paused         bool  `json:"paused"`
	ProcessedToday int   `json:"processed_today"`
	FailedToday    int   `json:"failed_today"`
}

// ServerHealth is one worker process (asynq server) in a worker-health sample.
type ServerHealth struct {
	ID          string    `json:"id"`
	Host        string    `json:"host"`
	PID         int       `json:"pid"`
	Concurrency int       `json:"concurrency"`
	Busy        int       `json:"busy"`
	Status      string    `json:"status"`
	Started     time.Time `json:"started"`
}

// WorkerHealth is one worker-health sample (a row of worker_health).
type WorkerHealth struct {
	// At is the slot the sample belongs to (its key); SampledAt when it was taken.
	At        time.Time `json:"at"`
	SampledAt time.Time `json:"sampled_at"`
	// Servers is the number of live worker processes; Concurrency their total task slots;
	// Busy the slots processing a task.
	Servers     int `json:"servers"`
	Concurrency int `json:"concurrency"`
	Busy        int `json:"busy"`
	// Pending is summed over queues; MaxPending is the largest queue's (MaxPendingQueue).
	Pending         int    `json:"pending"`
	MaxPending      int    `json:"max_pending"`
	MaxPendingQueue string `json:"max_pending_queue"`
	Active          int    `json:"active"`
	Retry           int    `json:"retry"`
	Archived        int    `json:"archived"`
	// MaxLatencyMS is the age of the oldest pending task over all queues.
	MaxLatencyMS int64 `json:"max_latency_ms"`
	// SpoolSamples and SpoolDropped describe the VictoriaMetrics outage spool.
	SpoolSamples int64          `json:"spool_samples"`
	SpoolDropped int64          `json:"spool_dropped"`
	Queues       []QueueHealth  `json:"queues"`
	ServerList   []ServerHealth `json:"server_list"`
}

// SaveWorkerHealth stores a sample; a second sample of the same slot replaces the first.
func (s *Store) SaveWorkerHealth(ctx context.Context, w WorkerHealth) error {
	queues, err := json.Marshal(nonNil(w.Queues))
	if err != nil {
		return fmt.Errorf("encode queues: %w", err)
	}
	servers, err := json.Marshal(nonNil(w.ServerList))
	if err != nil {
		return fmt.Errorf("encode servers: %w", err)
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err = s.pool.Exec(ctx, `INSERT INTO worker_health (at, sampled_at, servers, concurrency, busy, pending,
			max_pending, max_pending_queue, active, retry, archived, max_latency_ms, spool_samples, spool_dropped,
			queues, server_list)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		ON CONFLICT (at) DO UPDATE SET sampled_at = EXCLUDED.sampled_at, servers = EXCLUDED.servers,
			concurrency = EXCLUDED.concurrency, busy = EXCLUDED.busy, pending = EXCLUDED.pending,
			max_pending = EXCLUDED.max_pending, max_pending_queue = EXCLUDED.max_pending_queue,
			active = EXCLUDED.active, retry = EXCLUDED.retry, archived = EXCLUDED.archived,
			max_latency_ms = EXCLUDED.max_latency_ms, spool_samples = EXCLUDED.spool_samples,
			spool_dropped = EXCLUDED.spool_dropped, queues = EXCLUDED.queues, server_list = EXCLUDED.server_list`,
		w.At.UTC(), w.SampledAt.UTC(), w.Servers, w.Concurrency, w.Busy, w.Pending, w.MaxPending, w.MaxPendingQueue,
		w.Active, w.Retry, w.Archived, w.MaxLatencyMS, w.SpoolSamples, w.SpoolDropped, queues, servers)
	if err != nil {
		return fmt.Errorf("save worker health of %s: %w", w.At.UTC().Format(time.RFC3339), err)
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

const workerHealthCols = `at, sampled_at, servers, concurrency, busy, pending, max_pending, max_pending_queue,
	active, retry, archived, max_latency_ms, spool_samples, spool_dropped, queues, server_list`

func scanWorkerHealth(r pgx.Row) (WorkerHealth, error) {
	var w WorkerHealth
	var queues, servers []byte
	err := r.Scan(&w.At, &w.SampledAt, &w.Servers, &w.Concurrency, &w.Busy, &w.Pending, &w.MaxPending,
		&w.MaxPendingQueue, &w.Active, &w.Retry, &w.Archived, &w.MaxLatencyMS, &w.SpoolSamples, &w.SpoolDropped,
		&queues, &servers)
	if err != nil {
		return w, err
	}
	w.At, w.SampledAt = w.At.UTC(), w.SampledAt.UTC()
	if err := json.Unmarshal(queues, &w.Queues); err != nil {
		return w, fmt.Errorf("decode queues: %w", err)
	}
	if err := json.Unmarshal(servers, &w.ServerList); err != nil {
		return w, fmt.Errorf("decode servers: %w", err)
	}
	for i := range w.ServerList {
		w.ServerList[i].Started = w.ServerList[i].Started.UTC()
	}
	return w, nil
}

// LatestWorkerHealth returns the newest sample, or ErrNotFound when there is none yet.
func (s *Store) LatestWorkerHealth(ctx context.Context) (WorkerHealth, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	w, err := scanWorkerHealth(s.pool.QueryRow(ctx, `SELECT `+workerHealthCols+` FROM worker_health ORDER BY at DESC LIMIT 1`))
	if errors.Is(err, pgx.ErrNoRows) {
		return w, fmt.Errorf("latest worker health: %w", ErrNotFound)
	}
	if err != nil {
		return w, fmt.Errorf("latest worker health: %w", err)
	}
	return w, nil
}

// WorkerHealthSince returns the samples taken at or after since, oldest first, at most limit.
func (s *Store) WorkerHealthSince(ctx context.Context, since time.Time, limit int) ([]WorkerHealth, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+workerHealthCols+` FROM worker_health WHERE at >= $1 ORDER BY at LIMIT $2`,
		since.UTC(), limit)
	if err != nil {
		return nil, fmt.Errorf("read worker health: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (WorkerHealth, error) { return scanWorkerHealth(r) })
	if err != nil {
		return nil, fmt.Errorf("read worker health: %w", err)
	}
	return out, nil
}

// AppConns counts the server connections of one application (application_name: wardops-api,
// wardops-worker, …) to this database, by state.
type AppConns struct {
	App string `json:"app"`
	// Total connections, of which Active run a statement, Idle wait for one, and
	// IdleInTransaction hold a transaction open between statements (a leak when it persists).
	Total             int `json:"total"`
	Active            int `json:"active"`
	Idle              int `json:"idle"`
	IdleInTransaction int `json:"idle_in_transaction"`
	// OldestXactS is the age of the oldest open transaction, in seconds.
	OldestXactS float64 `json:"oldest_xact_s"`
}

// DBConnections reads pg_stat_activity for this database, one row per application.
func (s *Store) DBConnections(ctx context.Context) ([]AppConns, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT coalesce(nullif(application_name, ''), '(none)'), count(*),
			count(*) FILTER (WHERE state = 'active'), count(*) FILTER (WHERE state = 'idle'),
			count(*) FILTER (WHERE state LIKE 'idle in transaction%'),
			coalesce(extract(epoch FROM max(now() - xact_start)), 0)::float8
		FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'
		GROUP BY 1 ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("read connections: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AppConns, error) {
		var a AppConns
		return a, r.Scan(&a.App, &a.Total, &a.Active, &a.Idle, &a.IdleInTransaction, &a.OldestXactS)
	})
	if err != nil {
		return nil, fmt.Errorf("read connections: %w", err)
	}
	return out, nil
}
