package workerhealth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v5"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/health"
	"github.com/wardops/wardops/pkg/store"
)

// HealthRunner produces the health report; *health.Checker implements it.
type HealthRunner interface {
	Run(ctx context.Context) health.Report
}

var _ HealthRunner = (*health.Checker)(nil)

// DetailStore is what the detailed view reads from PostgreSQL; *store.Store implements it.
type DetailStore interface {
	Reader
	OpsState(ctx context.Context, name string, detail any) (time.Time, bool, error)
	DBConnections(ctx context.Context) ([]store.AppConns, error)
}

var _ DetailStore = (*store.Store)(nil)

// DetailParams are the dependencies of the detailed health view. Every field but Health may
// be nil; the sections of nil ones are left out.
type DetailParams struct {
	Health    HealthRunner
	Pool      *pgxpool.Pool
	Redis     redis.UniversalClient
	Inspector Inspector
	Spool     SpoolStatuser
	Store     DetailStore
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// ComponentDetail is one health line with its figures.
type ComponentDetail struct {
	Level  string         `json:"level"`
	Reason string         `json:"reason"`
	Detail map[string]any `json:"detail,omitempty"`
}

// PoolDetail is the API process's PostgreSQL pool.
type PoolDetail struct {
	MaxConns          int32   `json:"max_conns"`
	TotalConns        int32   `json:"total_conns"`
	AcquiredConns     int32   `json:"acquired_conns"`
	IdleConns         int32   `json:"idle_conns"`
	UsagePct          float64 `json:"usage_pct"`
	AcquireCount      int64   `json:"acquire_count"`
	EmptyAcquireCount int64   `json:"empty_acquire_count"`
	EmptyAcquireWaitS float64 `json:"empty_acquire_wait_s"`
	CanceledAcquires  int64   `json:"canceled_acquires"`
}

// RedisPoolDetail is the API process's Redis pool.
type RedisPoolDetail struct {
	TotalConns uint32 `json:"total_conns"`
	IdleConns  uint32 `json:"idle_conns"`
	Hits       uint32 `json:"hits"`
	Misses     uint32 `json:"misses"`
	Timeouts   uint32 `json:"timeouts"`
}

// SpoolDetail is the VictoriaMetrics outage spool.
type SpoolDetail struct {
	Samples      int64   `json:"samples"`
	MaxSamples   int64   `json:"max_samples"`
	OldestAgeS   float64 `json:"oldest_age_s"`
	Dropped      int64   `json:"dropped"`
	Draining     bool    `json:"draining"`
	BoundReached bool    `json:"bound_reached"`
}

// SampleDetail is the last worker-health sample and its age.
type SampleDetail struct {
	store.WorkerHealth
	AgeS float64 `json:"age_s"`
}

// RetentionDetail is the last daily retention run (its report as the task stored it).
type RetentionDetail struct {
	LastRunAt time.Time       `json:"last_run_at"`
	Report    json.RawMessage `json:"report"`
}

// DetailReport is the body of GET /api/v1/health/detail (admins only).
type DetailReport struct {
	Status     string                     `json:"status"`
	CheckedAt  time.Time                  `json:"checked_at"`
	Components map[string]ComponentDetail `json:"components"`
	// Queues are live: pending, active, retry, archived and the oldest pending task's age
	// (latency_ms) per queue.
	Queues  []store.QueueHealth  `json:"queues,omitempty"`
	Servers []store.ServerHealth `json:"servers,omitempty"`
	// DatabasePool and RedisPool are this API process's pools; DatabaseConnections counts
	// every WardOps process's server connections (pg_stat_activity), idle-in-transaction too.
	DatabasePool        *PoolDetail      `json:"database_pool,omitempty"`
	RedisPool           *RedisPoolDetail `json:"redis_pool,omitempty"`
	DatabaseConnections []store.AppConns `json:"database_connections,omitempty"`
	Spool               *SpoolDetail     `json:"spool,omitempty"`
	LastWorkerHealth    *SampleDetail    `json:"last_worker_health,omitempty"`
	Retention           *RetentionDetail `json:"retention,omitempty"`
	// Errors name the sections that could not be read.
	Errors []string `json:"errors,omitempty"`
}

// Detail builds the detailed health view; a section that cannot be read is named in Errors
// and left out, the rest is still reported.
func Detail(ctx context.Context, p DetailParams) DetailReport {
	if p.Now == nil {
		p.Now = time.Now
	}
	rep := DetailReport{Status: health.Healthy, CheckedAt: p.Now().UTC(), Components: map[string]ComponentDetail{}}
	if p.Health != nil {
		hr := p.Health.Run(ctx)
		rep.Status, rep.CheckedAt = hr.Status, hr.CheckedAt
		for name, c := range hr.Detail {
			rep.Components[name] = ComponentDetail{Level: c.Level, Reason: c.Reason, Detail: c.Detail}
		}
	}
	fail := func(section string, err error) { rep.Errors = append(rep.Errors, section+": "+err.Error()) }
	if p.Inspector != nil {
		w, err := Take(ctx, p.Inspector, nil, rep.CheckedAt, rep.CheckedAt)
		if err != nil {
			fail("queues", err)
		} else {
			rep.Queues, rep.Servers = w.Queues, w.ServerList
		}
	}
	rep.DatabasePool = poolDetail(p.Pool)
	rep.RedisPool = redisPoolDetail(p.Redis)
	if p.Spool != nil {
		if st, err := p.Spool.Status(ctx); err != nil {
			fail("spool", err)
		} else {
			rep.Spool = &SpoolDetail{Samples: st.Samples, MaxSamples: st.MaxSamples, OldestAgeS: st.OldestAge.Seconds(),
				Dropped: st.Dropped, Draining: st.Draining, BoundReached: st.BoundReached}
		}
	}
	if p.Store != nil {
		storeSections(ctx, p, &rep, fail)
	}
	return rep
}

func storeSections(ctx context.Context, p DetailParams, rep *DetailReport, fail func(string, error)) {
	if conns, err := p.Store.DBConnections(ctx); err != nil {
		fail("database_connections", err)
	} else {
		rep.DatabaseConnections = conns
	}
	switch w, err := p.Store.LatestWorkerHealth(ctx); {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		fail("last_worker_health", err)
	default:
		rep.LastWorkerHealth = &SampleDetail{WorkerHealth: w, AgeS: p.Now().Sub(w.SampledAt).Round(time.Second).Seconds()}
	}
	var raw json.RawMessage
	switch at, found, err := p.Store.OpsState(ctx, store.OpsRetentionLastRun, &raw); {
	case err != nil:
		fail("retention", err)
	case found:
		rep.Retention = &RetentionDetail{LastRunAt: at, Report: raw}
	}
}

func poolDetail(pool *pgxpool.Pool) *PoolDetail {
	if pool == nil {
		return nil
	}
	st := pool.Stat()
	d := &PoolDetail{MaxConns: st.MaxConns(), TotalConns: st.TotalConns(), AcquiredConns: st.AcquiredConns(),
		IdleConns: st.IdleConns(), AcquireCount: st.AcquireCount(), EmptyAcquireCount: st.EmptyAcquireCount(),
		EmptyAcquireWaitS: st.EmptyAcquireWaitTime().Seconds(), CanceledAcquires: st.CanceledAcquireCount()}
	if d.MaxConns > 0 {
		d.UsagePct = 100 * float64(d.AcquiredConns) / float64(d.MaxConns)
	}
	return d
}

func redisPoolDetail(rdb redis.UniversalClient) *RedisPoolDetail {
	if rdb == nil {
		return nil
	}
	st := rdb.PoolStats()
	return &RedisPoolDetail{TotalConns: st.TotalConns, IdleConns: st.IdleConns, Hits: st.Hits, Misses: st.Misses, Timeouts: st.Timeouts}
}

// DetailEndpoint serves Detail as JSON for GET /api/v1/health/detail: 503 when the overall
// status is critical, like /api/v1/health. Mount it behind the admin guard.
func DetailEndpoint(p DetailParams) echo.HandlerFunc {
	return func(c *echo.Context) error {
		rep := Detail(c.Request().Context(), p)
		code := http.StatusOK
		if rep.Status == health.Critical {
			code = http.StatusServiceUnavailable
		}
		c.Response().Header().Set("Cache-Control", "no-store")
		return c.JSON(code, rep)
	}
}
