package monitoring

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"
)

// DefaultExportInterval is how often Exporter pushes queue metrics.
const DefaultExportInterval = 10 * time.Second

// QueueReader reads the queues' state; *asynq.Inspector implements it.
type QueueReader interface {
	Queues() ([]string, error)
	GetQueueInfo(queue string) (*asynq.QueueInfo, error)
}

var _ QueueReader = (*asynq.Inspector)(nil)

// ExporterParams configure an Exporter.
type ExporterParams struct {
	// Queues are read and exported (required).
	Queues []string
	// Inspector reads them (required).
	Inspector QueueReader
	// URL is VictoriaMetrics' base URL (WARDOPS_VM_URL, required).
	URL string
	// Interval between pushes (default DefaultExportInterval).
	Interval time.Duration
	// Labels are added to every series (e.g. job=wardops-api); asynqmon's queries ignore them.
	Labels map[string]string
	// Client sends the pushes (default: a 5 s timeout).
	Client *http.Client
	// Logger reports failed pushes, once per outage (default: discard).
	Logger *slog.Logger
}

// Exporter pushes the queue metrics asynqmon's Metrics tab queries into VictoriaMetrics, with
// the names and labels of asynq's x/metrics QueueMetricsCollector:
//
//	asynq_queue_size{queue}                        tasks in the queue, any state
//	asynq_queue_latency_seconds{queue}             age of the oldest pending task
//	asynq_queue_memory_usage_approx_bytes{queue}   Redis memory of the queue
//	asynq_tasks_processed_total{queue}             processed since the queue was created
//	asynq_tasks_failed_total{queue}                failed since the queue was created
//	asynq_tasks_enqueued_total{queue,state}        tasks by state (pending, active, …)
//	asynq_queue_paused_total{queue}                1 while the queue is paused
type Exporter struct {
	p ExporterParams
}

// NewExporter returns an Exporter; Run it in a goroutine.
func NewExporter(p ExporterParams) *Exporter {
	if p.Interval <= 0 {
		p.Interval = DefaultExportInterval
	}
	if p.Client == nil {
		p.Client = &http.Client{Timeout: 5 * time.Second}
	}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	return &Exporter{p: p}
}

// Run pushes every interval until ctx ends. A failed push is logged when an outage starts and
// when it ends; the graphs have a gap for it.
func (e *Exporter) Run(ctx context.Context) {
	t := time.NewTicker(e.p.Interval)
	defer t.Stop()
	failing := false
	for {
		err := e.Push(ctx)
		switch {
		case err != nil && !failing && ctx.Err() == nil:
			e.p.Logger.Warn("queue metrics push failed", "url", e.p.URL, "err", err)
			failing = true
		case err == nil && failing:
			e.p.Logger.Info("queue metrics push recovered", "url", e.p.URL)
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Push reads every queue once and sends the samples to VictoriaMetrics.
func (e *Exporter) Push(ctx context.Context) error {
	var body bytes.Buffer
	existing, err := e.p.Inspector.Queues()
	if err != nil {
		return fmt.Errorf("list queues: %w", err)
	}
	for _, q := range e.p.Queues {
		info := &asynq.QueueInfo{Queue: q} // not used yet: every figure is 0
		if slices.Contains(existing, q) {
			if info, err = e.p.Inspector.GetQueueInfo(q); err != nil {
				return fmt.Errorf("read queue %s: %w", q, err)
			}
		}
		writeQueue(&body, info)
	}
	u := strings.TrimSuffix(e.p.URL, "/") + "/api/v1/import/prometheus"
	if len(e.p.Labels) > 0 {
		v := url.Values{}
		for k, l := range e.p.Labels {
			v.Add("extra_label", k+"="+l)
		}
		u += "?" + v.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, &body)
	if err != nil {
		return fmt.Errorf("queue metrics request: %w", err)
	}
	req.Header.Set("Content-Type", "text/plain")
	resp, err := e.p.Client.Do(req)
	if err != nil {
		return fmt.Errorf("push queue metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("push queue metrics: HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(msg)))
	}
	return nil
}

// writeQueue writes one queue's samples in the Prometheus text format.
func writeQueue(w *bytes.Buffer, i *asynq.QueueInfo) {
	q := strconv.Quote(i.Queue)
	line := func(name, labels string, v float64) {
		fmt.Fprintf(w, "%s{queue=%s%s} %s\n", name, q, labels, strconv.FormatFloat(v, 'g', -1, 64))
	}
	line("asynq_queue_size", "", float64(i.Size))
	line("asynq_queue_latency_seconds", "", i.Latency.Seconds())
	line("asynq_queue_memory_usage_approx_bytes", "", float64(i.MemoryUsage))
	line("asynq_tasks_processed_total", "", float64(i.ProcessedTotal))
	line("asynq_tasks_failed_total", "", float64(i.FailedTotal))
	for _, s := range []struct {
		state string
		n     int
	}{{"pending", i.Pending}, {"active", i.Active}, {"scheduled", i.Scheduled}, {"retry", i.Retry},
		{"archived", i.Archived}, {"completed", i.Completed}, {"aggregating", i.Aggregating}} {
		line("asynq_tasks_enqueued_total", `,state="`+s.state+`"`, float64(s.n))
	}
	paused := 0.0
	if i.Paused {
		paused = 1
	}
	line("asynq_queue_paused_total", "", paused)
}
