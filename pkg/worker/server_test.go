package worker_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/pkg/worker"
	"github.com/wardops/wardops/testinfra/testenv"
)

// The server retries a failed task after ServerParams.RetryDelay (the worker gives notify
// tasks their own backoff through it), not the default.
func TestServerUsesItsRetryDelay(t *testing.T) {
	t.Parallel()
	rdb := testenv.NewRedis(t)
	srv := worker.NewServer(worker.ServerParams{Redis: rdb, Concurrency: 1, Queues: map[string]int{tasks.QueueNotify: 1},
		ShutdownTimeout: time.Second,
		RetryDelay:      func(int, error, *asynq.Task) time.Duration { return time.Hour }})
	testenv.Must(t, "start server", srv.Start(asynq.HandlerFunc(func(context.Context, *asynq.Task) error {
		return errors.New("channel unreachable")
	})))
	t.Cleanup(srv.Shutdown)
	client := asynq.NewClientFromRedisClient(rdb)
	t.Cleanup(func() { _ = client.Close() })
	_, err := client.Enqueue(asynq.NewTask(tasks.TypeNotify, nil), asynq.Queue(tasks.QueueNotify), asynq.MaxRetry(3))
	testenv.Must(t, "enqueue", err)
	insp := asynq.NewInspectorFromRedisClient(rdb)
	t.Cleanup(func() { _ = insp.Close() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		retry, err := insp.ListRetryTasks(tasks.QueueNotify)
		if err == nil && len(retry) == 1 {
			if wait := time.Until(retry[0].NextProcessAt); wait < 50*time.Minute {
				t.Fatalf("retried in %v, want the configured hour", wait.Round(time.Second))
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the failed task never reached the retry set (err %v)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
