package tsdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
)

// Defaults of SinkParams.
const (
	DefaultRequestTimeout    = 10 * time.Second
	DefaultMaxAttempts       = 4
	DefaultBaseBackoff       = 200 * time.Millisecond
	DefaultMaxBackoff        = 5 * time.Second
	DefaultProbeInterval     = 5 * time.Second
	DefaultDrainBatchSamples = 100_000
	DefaultDrainInterval     = 2 * time.Second
	DefaultSpoolTimeout      = 10 * time.Second
)

// ErrRejected is returned (wrapped) when VictoriaMetrics answers a write with a 4xx status
// other than 408/429: the request is malformed, so it is neither retried nor spooled.
var ErrRejected = errors.New("rejected by VictoriaMetrics")

// SinkParams configures NewSink. URL and Spool are required.
type SinkParams struct {
	// URL is VictoriaMetrics' base URL, e.g. http://127.0.0.1:8428.
	URL string
	// Spool keeps what could not be written (NewSpool).
	Spool *Spool
	// Client sends the requests (default: a client with RequestTimeout).
	Client *http.Client
	// RequestTimeout bounds one HTTP request (default DefaultRequestTimeout).
	RequestTimeout time.Duration
	// MaxAttempts is the number of tries of one Write before it spools (default DefaultMaxAttempts).
	MaxAttempts int
	// BaseBackoff and MaxBackoff bound the exponential backoff with full jitter between
	// attempts (defaults DefaultBaseBackoff, DefaultMaxBackoff).
	BaseBackoff, MaxBackoff time.Duration
	// ProbeInterval: after a Write failed all its attempts, Writes spool at once for this long
	// instead of waiting on a VictoriaMetrics known to be down (default DefaultProbeInterval).
	ProbeInterval time.Duration
	// DrainBatchSamples is about how many spooled samples one drain request carries
	// (default DefaultDrainBatchSamples).
	DrainBatchSamples int
	// DrainInterval is how often Run looks at the spool when it has nothing to do
	// (default DefaultDrainInterval).
	DrainInterval time.Duration
	// SpoolTimeout bounds spooling a batch; spooling runs even when the Write's ctx is already
	// done, so a task that timed out still keeps its samples (default DefaultSpoolTimeout).
	SpoolTimeout time.Duration
	// Metrics receives the sink's self-metrics (wardops_tsdb_*); nil keeps them private.
	// Register at most one Sink per Set.
	Metrics *metrics.Set
	// Logger (default: discard).
	Logger *slog.Logger
}

func (p *SinkParams) setDefaults() {
	if p.RequestTimeout <= 0 {
		p.RequestTimeout = DefaultRequestTimeout
	}
	if p.Client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		p.Client = &http.Client{Timeout: p.RequestTimeout, Transport: tr}
	}
	p.MaxAttempts = cmpOr(p.MaxAttempts, DefaultMaxAttempts)
	p.BaseBackoff = cmpOr(p.BaseBackoff, DefaultBaseBackoff)
	p.MaxBackoff = cmpOr(p.MaxBackoff, DefaultMaxBackoff)
	p.ProbeInterval = cmpOr(p.ProbeInterval, DefaultProbeInterval)
	p.DrainBatchSamples = cmpOr(p.DrainBatchSamples, DefaultDrainBatchSamples)
	p.DrainInterval = cmpOr(p.DrainInterval, DefaultDrainInterval)
	p.SpoolTimeout = cmpOr(p.SpoolTimeout, DefaultSpoolTimeout)
	if p.Metrics == nil {
		p.Metrics = metrics.NewSet()
	}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
}

func cmpOr[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Sink writes samples to VictoriaMetrics without losing them: see the package doc. It is safe
// for concurrent use; start Run once per process to drain the spool.
type Sink struct {
	p         SinkParams
	importURL string
	healthURL string
	enc       *encoder
	m         *sinkMetrics
	// openUntil (unix ns) is when Writes go back to trying VictoriaMetrics after a failure.
	openUntil atomic.Int64
	draining  atomic.Bool
	cached    atomic.Pointer[SpoolStatus]
}

// NewSink returns a sink writing to p.URL and spooling to p.Spool.
func NewSink(p SinkParams) (*Sink, error) {
	if p.URL == "" || !(strings.HasPrefix(p.URL, "http://") || strings.HasPrefix(p.URL, "https://")) {
		return nil, fmt.Errorf("new tsdb sink: URL %q must be http(s)://host:port", p.URL)
	}
	if p.Spool == nil {
		return nil, errors.New("new tsdb sink: Spool is required")
	}
	p.setDefaults()
	base := strings.TrimRight(p.URL, "/")
	s := &Sink{p: p, importURL: base + "/api/v1/import/prometheus", healthURL: base + "/health", enc: &encoder{}}
	s.cached.Store(&SpoolStatus{MaxSamples: p.Spool.MaxSamples()})
	s.m = newSinkMetrics(p.Metrics, s.cachedStatus)
	return s, nil
}

// Write sends samples to VictoriaMetrics in one gzip request, retrying with backoff within
// ctx; if that fails the samples are spooled and Write returns nil: they are safe. It returns
// an error only when they could be neither written nor spooled (or VictoriaMetrics rejected
// the request as malformed). Invalid samples are skipped and reported with ErrInvalidSample
// after the valid ones were handled.
func (s *Sink) Write(ctx context.Context, samples []Sample) error {
	if len(samples) == 0 {
		return nil
	}
	b, err := s.enc.encode(samples)
	if err != nil {
		return fmt.Errorf("encode %d samples: %w", len(samples), err)
	}
	var invalid error
	if b.invalid > 0 {
		s.m.invalid.Add(b.invalid)
		invalid = fmt.Errorf("skip %d of %d samples: %w", b.invalid, len(samples), ErrInvalidSample)
	}
	if b.samples == 0 {
		return invalid
	}
	return errors.Join(s.deliver(ctx, b), invalid)
}

func (s *Sink) deliver(ctx context.Context, b batch) error {
	if !s.breakerOpen() {
		err := s.postRetry(ctx, b.body)
		if err == nil {
			s.closeBreaker()
			s.m.written.Add(b.samples)
			return nil
		}
		if errors.Is(err, ErrRejected) {
			s.m.rejected.Add(b.samples)
			return fmt.Errorf("write %d samples: %w", b.samples, err)
		}
		s.openBreaker()
		s.p.Logger.Warn("victoriametrics write failed, spooling", "samples", b.samples, "err", err)
	}
	return s.spoolBatch(ctx, b)
}

func (s *Sink) spoolBatch(ctx context.Context, b batch) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.p.SpoolTimeout)
	defer cancel()
	dropped, err := s.p.Spool.push(sctx, b)
	if err != nil {
		s.m.spoolErrors.Inc()
		return fmt.Errorf("write samples: victoriametrics unreachable and %w", err)
	}
	s.m.spooled.Add(b.samples)
	if dropped > 0 {
		s.m.dropped.Add(int(dropped))
		s.p.Logger.Error("tsdb spool full, dropped oldest samples", "dropped", dropped, "max_samples", s.p.Spool.MaxSamples())
	}
	return nil
}

// postRetry posts body until it is accepted, rejected, MaxAttempts are spent or ctx is done.
func (s *Sink) postRetry(ctx context.Context, body []byte) error {
	var err error
	for attempt := 0; attempt < s.p.MaxAttempts; attempt++ {
		if attempt > 0 {
			s.m.retries.Inc()
			if werr := sleepCtx(ctx, s.backoff(attempt)); werr != nil {
				return errors.Join(err, werr)
			}
		}
		if err = s.post(ctx, body); err == nil || errors.Is(err, ErrRejected) {
			return err
		}
	}
	return err
}

// backoff is full jitter over an exponentially growing cap.
func (s *Sink) backoff(attempt int) time.Duration {
	capped := s.p.BaseBackoff << min(attempt-1, 20)
	if capped <= 0 || capped > s.p.MaxBackoff {
		capped = s.p.MaxBackoff
	}
	return time.Duration(rand.Int64N(int64(capped)) + 1)
}

// post sends one gzip body to /api/v1/import/prometheus.
func (s *Sink) post(ctx context.Context, body []byte) error {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.importURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build import request: %w", err)
	}
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Content-Type", "text/plain")
	resp, err := s.p.Client.Do(req)
	if err != nil {
		s.m.requests(false).Inc()
		return fmt.Errorf("post to victoriametrics: %w", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	s.m.duration.UpdateDuration(start)
	if resp.StatusCode/100 == 2 {
		s.m.requests(true).Inc()
		return nil
	}
	s.m.requests(false).Inc()
	err = fmt.Errorf("post to victoriametrics: status %d: %s", resp.StatusCode, strings.TrimSpace(string(msg)))
	if resp.StatusCode/100 == 4 && resp.StatusCode != http.StatusRequestTimeout && resp.StatusCode != http.StatusTooManyRequests {
		return fmt.Errorf("%w: %w", ErrRejected, err)
	}
	return err
}

func (s *Sink) breakerOpen() bool { return time.Now().UnixNano() < s.openUntil.Load() }
func (s *Sink) openBreaker()      { s.openUntil.Store(time.Now().Add(s.p.ProbeInterval).UnixNano()) }
func (s *Sink) closeBreaker()     { s.openUntil.Store(0) }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
