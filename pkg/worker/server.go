package worker

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/bootstrap"
	"github.com/wardops/wardops/pkg/tasks"
)

// ServerParams configures the asynq server of a worker.
type ServerParams struct {
	Redis redis.UniversalClient
	// Concurrency is the number of tasks processed at a time (default 50).
	Concurrency int
	// Queues maps queue name to priority (default critical 6, default 3, notify 3, low 1).
	Queues map[string]int
	// ShutdownTimeout is how long in-flight tasks may run after SIGTERM before they are
	// requeued (default 25s).
	ShutdownTimeout time.Duration
	Logger          *slog.Logger
	// RetryDelay overrides RetryDelay (e.g. to give notifications their own backoff).
	RetryDelay asynq.RetryDelayFunc
}

// NewServer returns an asynq server: weighted (not strict) priorities so low queues are never
// starved, exponential backoff with jitter between retries, and errors logged per task.
func NewServer(p ServerParams) *asynq.Server {
	if p.Concurrency <= 0 {
		p.Concurrency = 50
	}
	if len(p.Queues) == 0 {
		p.Queues = map[string]int{tasks.QueueCritical: 6, tasks.QueueDefault: 3, tasks.QueueNotify: 3, tasks.QueueLow: 1}
	}
	if p.ShutdownTimeout <= 0 {
		p.ShutdownTimeout = 25 * time.Second
	}
	if p.RetryDelay == nil {
		p.RetryDelay = RetryDelay
	}
	logger := p.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return asynq.NewServerFromRedisClient(p.Redis, asynq.Config{
		Concurrency: p.Concurrency,
		// idle workers look for new tasks every 100ms (asynq's default is 1s): a fanned-out
		// batch starts at once instead of up to a second into its slot
		TaskCheckInterval: 100 * time.Millisecond,
		Queues:            p.Queues,
		RetryDelayFunc:    p.RetryDelay,
		ShutdownTimeout:   p.ShutdownTimeout,
		Logger:            bootstrap.AsynqLogger{L: logger.With("component", "asynq")},
		LogLevel:          asynq.WarnLevel,
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			retried, _ := asynq.GetRetryCount(ctx)
			maxRetry, _ := asynq.GetMaxRetry(ctx)
			logger.Error("task failed", "task", t.Type(), "retry", retried, "max_retry", maxRetry, "err", err)
		}),
		IsFailure: func(err error) bool { return !errors.Is(err, context.Canceled) },
	})
}

// RetryDelay is exponential backoff with full jitter: about 1s, 2s, 4s … capped at 5 minutes.
func RetryDelay(n int, _ error, _ *asynq.Task) time.Duration {
	base := time.Second << min(n, 8)
	base = min(base, 5*time.Minute)
	return base/2 + time.Duration(rand.Int64N(int64(base/2)+1))
}
