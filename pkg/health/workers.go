package health

import (
	"context"
	"fmt"
	"strings"

	"github.com/hibiken/asynq"
)

// Inspector is the part of *asynq.Inspector the worker check uses.
type Inspector interface {
	Servers() ([]*asynq.ServerInfo, error)
	Queues() ([]string, error)
	GetQueueInfo(queue string) (*asynq.QueueInfo, error)
}

var _ Inspector = (*asynq.Inspector)(nil)

// WorkerThresholds are the SPEC's worker thresholds.
type WorkerThresholds struct {
	// MinWorkers: fewer live worker servers is degraded; zero is critical.
	MinWorkers int
	// DegradedPending and CriticalPending bound the pending tasks of any queue (1,000 / 5,000).
	DegradedPending int
	CriticalPending int
}

// DefaultWorkerThresholds are the SPEC's defaults.
var DefaultWorkerThresholds = WorkerThresholds{MinWorkers: 1, DegradedPending: 1000, CriticalPending: 5000}

// Workers checks live asynq servers and queue backlogs.
func Workers(in Inspector, th WorkerThresholds) Check {
	return func(ctx context.Context) Component {
		servers, err := in.Servers()
		if err != nil {
			return Component{Level: Critical, Reason: fmt.Sprintf("cannot list workers: %v", err)}
		}
		busy := 0
		for _, s := range servers {
			busy += len(s.ActiveWorkers)
		}
		queues, err := in.Queues()
		if err != nil {
			return Component{Level: Critical, Reason: fmt.Sprintf("cannot list queues: %v", err)}
		}
		maxPending, maxQueue := 0, ""
		detail := map[string]any{"servers": len(servers), "busy": busy}
		var parts []string
		for _, q := range queues {
			qi, err := in.GetQueueInfo(q)
			if err != nil {
				continue
			}
			detail["queue_"+q+"_pending"] = qi.Pending
			detail["queue_"+q+"_latency_ms"] = qi.Latency.Milliseconds()
			if qi.Pending > maxPending {
				maxPending, maxQueue = qi.Pending, q
			}
		}
		parts = append(parts, fmt.Sprintf("%d workers, %d busy", len(servers), busy))
		if maxQueue != "" {
			parts = append(parts, fmt.Sprintf("largest queue %s with %d pending", maxQueue, maxPending))
		}
		comp := Component{Level: Healthy, Reason: strings.Join(parts, ", "), Detail: detail}
		switch {
		case len(servers) == 0 || maxPending > th.CriticalPending:
			comp.Level = Critical
		case len(servers) < th.MinWorkers || maxPending > th.DegradedPending:
			comp.Level = Degraded
		}
		return comp
	}
}
