package workerhealth

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/pkg/tsdb"
)

// Inspector is the part of *asynq.Inspector a sample reads.
type Inspector interface {
	Servers() ([]*asynq.ServerInfo, error)
	Queues() ([]string, error)
	GetQueueInfo(queue string) (*asynq.QueueInfo, error)
}

var _ Inspector = (*asynq.Inspector)(nil)

// SpoolStatuser reports the VictoriaMetrics outage spool; *tsdb.Spool and *tsdb.Sink implement it.
type SpoolStatuser interface {
	Status(ctx context.Context) (tsdb.SpoolStatus, error)
}

var (
	_ SpoolStatuser = (*tsdb.Spool)(nil)
	_ SpoolStatuser = (*tsdb.Sink)(nil)
)

// Take samples the workers and queues now. spool may be nil. at is the slot the sample
// belongs to. The worker-health task itself is not counted as busy.
func Take(ctx context.Context, in Inspector, spool SpoolStatuser, at, now time.Time) (store.WorkerHealth, error) {
	w := store.WorkerHealth{At: at.UTC(), SampledAt: now.UTC()}
	servers, err := in.Servers()
	if err != nil {
		return w, fmt.Errorf("list worker servers: %w", err)
	}
	w.ServerList = serverList(servers)
	for _, s := range w.ServerList {
		w.Servers++
		w.Concurrency += s.Concurrency
		w.Busy += s.Busy
	}
	queues, err := in.Queues()
	if err != nil {
		return w, fmt.Errorf("list queues: %w", err)
	}
	sort.Strings(queues)
	for _, q := range queues {
		qi, err := in.GetQueueInfo(q)
		if err != nil {
			return w, fmt.Errorf("read queue %s: %w", q, err)
		}
		addQueue(&w, qi)
	}
	if spool != nil {
		st, err := spool.Status(ctx)
		if err != nil {
			return w, fmt.Errorf("read spool status: %w", err)
		}
		w.SpoolSamples, w.SpoolDropped = st.Samples, st.Dropped
	}
	return w, nil
}

func serverList(servers []*asynq.ServerInfo) []store.ServerHealth {
	out := make([]store.ServerHealth, 0, len(servers))
	for _, s := range servers {
		busy := 0
		for _, a := range s.ActiveWorkers {
			if a.TaskType != tasks.TypeWorkerHealth {
				busy++
			}
		}
		out = append(out, store.ServerHealth{ID: s.ID, Host: s.Host, PID: s.PID, Concurrency: s.Concurrency,
			Busy: busy, Status: s.Status, Started: s.Started.UTC()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Host+out[i].ID < out[j].Host+out[j].ID })
	return out
}

// addQueue adds one queue's figures to the sample's totals.
func addQueue(w *store.WorkerHealth, qi *asynq.QueueInfo) {
	q := store.QueueHealth{Name: qi.Queue, Pending: qi.Pending, Active: qi.Active, Scheduled: qi.Scheduled,
		Retry: qi.Retry, Archived: qi.Archived, LatencyMS: qi.Latency.Milliseconds(), Paused: qi.Paused,
		ProcessedToday: qi.Processed, FailedToday: qi.Failed}
	w.Queues = append(w.Queues, q)
	w.Pending += q.Pending
	w.Active += q.Active
	w.Retry += q.Retry
	w.Archived += q.Archived
	if q.Pending > w.MaxPending {
		w.MaxPending, w.MaxPendingQueue = q.Pending, q.Name
	}
	w.MaxLatencyMS = max(w.MaxLatencyMS, q.LatencyMS)
}

// Metrics are the system metrics of a sample that `system` alert rules compare
// (alert.SystemMetrics). queue_pending is the largest queue's backlog, as in the health
// thresholds; queue_retry and queue_archived are summed over queues.
func Metrics(w store.WorkerHealth) map[string]float64 {
	return map[string]float64{
		"workers":        float64(w.Servers),
		"busy_workers":   float64(w.Busy),
		"queue_pending":  float64(w.MaxPending),
		"queue_retry":    float64(w.Retry),
		"queue_archived": float64(w.Archived),
		"spool_samples":  float64(w.SpoolSamples),
		"spool_dropped":  float64(w.SpoolDropped),
	}
}
