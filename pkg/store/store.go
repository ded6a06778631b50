package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Default pool and timeout settings; the config package documents the env vars that change them.
const (
	// DefaultMaxConns is sized for 50 concurrent worker tasks plus background work.
	DefaultMaxConns = 60
	// DefaultQueryTimeout bounds every statement (server-side statement_timeout too).
	DefaultQueryTimeout = 10 * time.Second
)

// ErrNotFound is returned when a row asked for by id or name does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a write violates a unique constraint (e.g. a duplicate name).
var ErrConflict = errors.New("conflict")

// PoolParams configures Open.
type PoolParams struct {
	// URL is the PostgreSQL connection URL.
	URL string
	// MaxConns is the pool size (default DefaultMaxConns).
	MaxConns int32
	// MinConns kept open (default 2).
	MinConns int32
	// QueryTimeout is the server-side statement_timeout (default DefaultQueryTimeout).
	QueryTimeout time.Duration
	// AppName shows in pg_stat_activity.
	AppName string
	// Lazy skips Open's ping: the pool connects on first use, so a binary can start while the
	// database is down (the scheduler). Default false: Open fails when the database does.
	Lazy bool
}

func (p *PoolParams) setDefaults() {
	if p.MaxConns <= 0 {
		p.MaxConns = DefaultMaxConns
	}
	if p.MinConns <= 0 {
		p.MinConns = 2
	}
	if p.QueryTimeout <= 0 {
		p.QueryTimeout = DefaultQueryTimeout
	}
	if p.AppName == "" {
		p.AppName = "wardops"
	}
}

// Open creates a pgx pool whose sessions carry statement and idle-in-transaction timeouts, and
// checks that the database answers.
func Open(ctx context.Context, p PoolParams) (*pgxpool.Pool, error) {
	p.setDefaults()
	cfg, err := pgxpool.ParseConfig(p.URL)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	cfg.MaxConns = p.MaxConns
	cfg.MinConns = p.MinConns
	cfg.MaxConnIdleTime = 5 * time.Minute
	cfg.MaxConnLifetime = time.Hour
	cfg.HealthCheckPeriod = 30 * time.Second
	rp := cfg.ConnConfig.RuntimeParams
	rp["statement_timeout"] = strconv.FormatInt(p.QueryTimeout.Milliseconds(), 10)
	rp["idle_in_transaction_session_timeout"] = strconv.FormatInt((p.QueryTimeout * 3).Milliseconds(), 10)
	rp["application_name"] = p.AppName
	rp["timezone"] = "UTC"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database pool: %w", err)
	}
	if p.Lazy {
		return pool, nil
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ping database: %w", err)
	}
	return pool, nil
}

// Store runs WardOps' queries on a pool. It is safe for concurrent use; a Store that InTx
// hands out is not (it is one transaction).
type Store struct {
	// pool is what the queries run on: the pool, or one transaction inside InTx.
	pool dbtx
	// root is the pool itself (sessions that need a connection of their own, health checks).
	root    *pgxpool.Pool
	timeout time.Duration
	logger  *slog.Logger
}

// dbtx is the part of a pool that the queries use; pgx.Tx has it too, so every write
// function runs unchanged inside a caller's transaction (a nested BeginFunc is a savepoint).
type dbtx interface {
	Begin(ctx context.Context) (pgx.Tx, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

var (
	_ dbtx = (*pgxpool.Pool)(nil)
	_ dbtx = (pgx.Tx)(nil)
)

// InTx runs fn with a Store whose every call runs in one transaction, committed when fn
// returns nil and rolled back otherwise: the config file's all-or-nothing apply reuses the
// ordinary write functions this way. The Store fn receives must not outlive fn nor be used
// from two goroutines at once.
func (s *Store) InTx(ctx context.Context, fn func(tx *Store) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return fn(&Store{pool: tx, root: s.root, timeout: s.timeout, logger: s.logger})
	})
}

// New returns a Store on pool; timeout bounds each call (0 means DefaultQueryTimeout).
func New(pool *pgxpool.Pool, timeout time.Duration, logger *slog.Logger) *Store {
	if timeout <= 0 {
		timeout = DefaultQueryTimeout
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Store{pool: pool, root: pool, timeout: timeout, logger: logger}
}

// Pool returns the underlying pool, for health checks and packages that keep their own queries.
func (s *Store) Pool() *pgxpool.Pool { return s.root }

// ctx bounds one store call by the query timeout.
func (s *Store) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}
