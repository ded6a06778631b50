package selfmetrics

import (
	"errors"
	"math"
	"sync"
	"time"

	"github.com/hibiken/asynq"
)

// QueueInspector reads one queue's state; *asynq.Inspector implements it.
type QueueInspector interface {
	GetQueueInfo(queue string) (*asynq.QueueInfo, error)
}

var _ QueueInspector = (*asynq.Inspector)(nil)

// queueCacheTTL keeps one scrape from asking Redis once per gauge.
const queueCacheTTL = 2 * time.Second

// QueueGauges exports the length of each queue, read through insp when scraped (cached for
// two seconds): wardops_queue_size, _pending, _active, _scheduled, _retry, _archived and
// wardops_queue_latency_seconds, each with a queue label. A queue that does not exist yet
// reads 0; a failed read is NaN.
func (r *Registry) QueueGauges(insp QueueInspector, queues []string) {
	for _, q := range queues {
		c := &queueCache{insp: insp, queue: q}
		gauge := func(metric string, f func(*asynq.QueueInfo) float64) {
			r.set.GetOrCreateGauge(name(metric, "queue", q), func() float64 { return c.read(f) })
		}
		gauge("wardops_queue_size", func(i *asynq.QueueInfo) float64 { return float64(i.Size) })
		gauge("wardops_queue_pending", func(i *asynq.QueueInfo) float64 { return float64(i.Pending) })
		gauge("wardops_queue_active", func(i *asynq.QueueInfo) float64 { return float64(i.Active) })
		gauge("wardops_queue_scheduled", func(i *asynq.QueueInfo) float64 { return float64(i.Scheduled) })
		gauge("wardops_queue_retry", func(i *asynq.QueueInfo) float64 { return float64(i.Retry) })
		gauge("wardops_queue_archived", func(i *asynq.QueueInfo) float64 { return float64(i.Archived) })
		gauge("wardops_queue_latency_seconds", func(i *asynq.QueueInfo) float64 { return i.Latency.Seconds() })
	}
}

type queueCache struct {
	insp  QueueInspector
	queue string

	mu   sync.Mutex
	at   time.Time
	info *asynq.QueueInfo
	err  error
}

func (c *queueCache) read(f func(*asynq.QueueInfo) float64) float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) > queueCacheTTL {
		c.info, c.err = c.insp.GetQueueInfo(c.queue)
		c.at = time.Now()
	}
	switch {
	case errors.Is(c.err, asynq.ErrQueueNotFound):
		return 0
	case c.err != nil || c.info == nil:
		return math.NaN()
	}
	return f(c.info)
}
