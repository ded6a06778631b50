package bootstrap

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/audit"
	"github.com/wardops/wardops/pkg/config"
	"github.com/wardops/wardops/pkg/secrets"
)

// NewLogger builds the process logger from WARDOPS_LOG_LEVEL and WARDOPS_LOG_FORMAT, with
// secrets redacted.
func NewLogger(w io.Writer, c config.Common, binary string) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.LogLevel)) // validated by config
	opts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if c.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	// secret-looking attributes (communities, passwords, tokens…) never reach the log
	return slog.New(audit.NewRedactingHandler(h)).With("bin", binary)
}

// SignalContext returns a context cancelled by SIGINT or SIGTERM.
func SignalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// Redis parses WARDOPS_REDIS_URL (redis://, rediss://, redis-sentinel://) and returns the asynq
// connection option and a client on the same server, checked with a PING.
func Redis(ctx context.Context, url string) (asynq.RedisConnOpt, redis.UniversalClient, error) {
	opt, err := asynq.ParseRedisURI(url)
	if err != nil {
		return nil, nil, fmt.Errorf("parse WARDOPS_REDIS_URL: %w", err)
	}
	rdb, ok := opt.MakeRedisClient().(redis.UniversalClient)
	if !ok {
		return nil, nil, fmt.Errorf("redis client of %T is not a redis.UniversalClient", opt)
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, nil, fmt.Errorf("ping redis: %w", err)
	}
	return opt, rdb, nil
}

// Owner names this process uniquely, for leases and logs.
func Owner(binary string) string {
	h, _ := os.Hostname()
	return fmt.Sprintf("%s-%s-%d", binary, h, os.Getpid())
}

// AsynqLogger adapts slog to asynq's logger interface.
type AsynqLogger struct{ L *slog.Logger }

// Debug implements asynq.Logger.
func (a AsynqLogger) Debug(args ...any) { a.L.Debug(fmt.Sprint(args...)) }

// Info implements asynq.Logger.
func (a AsynqLogger) Info(args ...any) { a.L.Info(fmt.Sprint(args...)) }

// Warn implements asynq.Logger.
func (a AsynqLogger) Warn(args ...any) { a.L.Warn(fmt.Sprint(args...)) }

// Error implements asynq.Logger.
func (a AsynqLogger) Error(args ...any) { a.L.Error(fmt.Sprint(args...)) }

// Fatal implements asynq.Logger; asynq calls it on unrecoverable errors.
func (a AsynqLogger) Fatal(args ...any) {
	a.L.Error(fmt.Sprint(args...))
	os.Exit(1)
}

// SecretBox returns the box for secrets at rest from WARDOPS_SECRET_KEY, or nil when no key is
// set (then storing a secret fails, and binaries refuse to start if secrets are stored).
func SecretBox(key string) (*secrets.Box, error) {
	if key == "" {
		return nil, nil
	}
	k, err := secrets.ParseKey(key)
	if err != nil {
		return nil, fmt.Errorf("WARDOPS_SECRET_KEY: %w", err)
	}
	return secrets.New(k)
}
