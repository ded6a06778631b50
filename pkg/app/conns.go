package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/bootstrap"
	"github.com/wardops/wardops/pkg/store"
)

// Conns are the connections every binary holds: PostgreSQL (through the store) and Redis.
type Conns struct {
	Pool     *pgxpool.Pool
	Store    *store.Store
	Redis    redis.UniversalClient
	RedisOpt asynq.RedisConnOpt
}

// ConnParams say where the services are (the binaries' WARDOPS_* settings).
type ConnParams struct {
	DatabaseURL  string
	DBMaxConns   int
	QueryTimeout time.Duration
	RedisURL     string
	// AppName is PostgreSQL's application_name ("wardops-api", …).
	AppName string
}

// Connect opens PostgreSQL and Redis, each checked; Close closes both.
func Connect(ctx context.Context, p ConnParams, logger *slog.Logger) (*Conns, error) {
	pool, err := store.Open(ctx, store.PoolParams{URL: p.DatabaseURL, MaxConns: int32(p.DBMaxConns), QueryTimeout: p.QueryTimeout, AppName: p.AppName})
	if err != nil {
		return nil, fmt.Errorf("database unavailable: %w", err)
	}
	opt, rdb, err := bootstrap.Redis(ctx, p.RedisURL)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("redis unavailable: %w", err)
	}
	return &Conns{Pool: pool, Store: store.New(pool, p.QueryTimeout, logger), Redis: rdb, RedisOpt: opt}, nil
}

// Close closes Redis and the database pool.
func (c *Conns) Close() {
	_ = c.Redis.Close()
	c.Pool.Close()
}
