package selfmetrics

import (
	"context"
	"time"

	"github.com/hibiken/asynq"
)

// TaskMiddleware measures every task the asynq server runs, by task type:
// wardops_tasks_processed_total, wardops_tasks_failed_total (the handler returned an error),
// wardops_task_duration_seconds (histogram) and wardops_tasks_in_flight.
func (r *Registry) TaskMiddleware() asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			typ := t.Type()
			inFlight := r.set.GetOrCreateGauge(name("wardops_tasks_in_flight", "type", typ), nil)
			inFlight.Inc()
			start := time.Now()
			failed := true
			defer func() {
				// Deferred so that a panicking handler is counted as failed too.
				inFlight.Dec()
				r.set.GetOrCreatePrometheusHistogramExt(name("wardops_task_duration_seconds", "type", typ), taskBuckets).UpdateDuration(start)
				r.set.GetOrCreateCounter(name("wardops_tasks_processed_total", "type", typ)).Inc()
				if failed {
					r.set.GetOrCreateCounter(name("wardops_tasks_failed_total", "type", typ)).Inc()
				}
			}()
			err := next.ProcessTask(ctx, t)
			failed = err != nil
			return err
		})
	}
}
