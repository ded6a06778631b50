package workerhealth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wardops/wardops/pkg/health"
	"github.com/wardops/wardops/pkg/store"
)

// Reader reads stored samples; *store.Store implements it.
type Reader interface {
	LatestWorkerHealth(ctx context.Context) (store.WorkerHealth, error)
}

var _ Reader = (*store.Store)(nil)

// StaleAfter is how many intervals without a sample make the workers line degraded: the
// worker-health task is emitted by the scheduler and run by a worker, so a stale sample means
// one of them has stopped even when live workers are seen.
const StaleAfter = 3

// Check is the API's "workers" health line: the live check (health.Workers on the asynq
// inspector) plus the last stored sample. A sample older than StaleAfter intervals degrades a
// healthy verdict ("no worker-health sample for 17m: is the scheduler running?"); the sample's
// figures go to the detail. A fresh install without a sample yet is not degraded.
func Check(r Reader, live health.Check, interval time.Duration, now func() time.Time) health.Check {
	if interval <= 0 {
		interval = DefaultInterval
	}
	if now == nil {
		now = time.Now
	}
	return func(ctx context.Context) health.Component {
		comp := live(ctx)
		if comp.Detail == nil {
			comp.Detail = map[string]any{}
		}
		w, err := r.LatestWorkerHealth(ctx)
		switch {
		case errors.Is(err, store.ErrNotFound):
			comp.Detail["last_sample"] = nil
			return comp
		case err != nil:
			comp.Detail["last_sample_error"] = err.Error()
			return comp
		}
		age := now().Sub(w.SampledAt)
		comp.Detail["last_sample_at"] = w.SampledAt
		comp.Detail["last_sample_age_s"] = age.Round(time.Second).Seconds()
		comp.Detail["last_sample_max_latency_ms"] = w.MaxLatencyMS
		if age > StaleAfter*interval && comp.Level == health.Healthy {
			comp.Level = health.Degraded
			comp.Reason = fmt.Sprintf("%s; no worker-health sample for %s: is the scheduler running?", comp.Reason, age.Round(time.Minute))
		}
		return comp
	}
}
