package tsdb

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"
)

// maxDrainBackoff caps the wait between drain attempts while VictoriaMetrics stays down.
const maxDrainBackoff = 30 * time.Second

// Run drains the spool until ctx is done: whenever samples are spooled it sends them to
// VictoriaMetrics oldest first, deleting each batch only after VictoriaMetrics acknowledged
// it. Of all replicas sharing the database, one drains at a time (advisory lock). It also
// refreshes the cached spool status behind the wardops_tsdb_spool_* gauges. It returns nil
// when ctx is done.
func (s *Sink) Run(ctx context.Context) error {
	failures := 0
	for ctx.Err() == nil {
		err := s.step(ctx)
		wait := s.p.DrainInterval
		if err != nil && ctx.Err() == nil {
			failures++
			wait = jittered(min(s.p.DrainInterval<<min(failures, 10), maxDrainBackoff))
			s.p.Logger.Warn("tsdb spool drain failed", "err", err, "failures", failures, "retry_in", wait)
		} else {
			failures = 0
		}
		_ = sleepCtx(ctx, wait)
	}
	return nil
}

// step refreshes the status, then drains what is spooled, or probes VictoriaMetrics when
// writes are going straight to the spool with nothing in it.
func (s *Sink) step(ctx context.Context) error {
	st, err := s.refresh(ctx)
	if err != nil {
		return err
	}
	if st.Samples == 0 {
		if s.breakerOpen() && s.probe(ctx) == nil {
			s.closeBreaker()
		}
		return nil
	}
	err = s.drain(ctx)
	if _, rerr := s.refresh(ctx); rerr != nil && err == nil {
		err = rerr
	}
	return err
}

// Drain sends the whole spool now (what Run does in the background); it returns when the
// spool is empty, another replica holds the drain lock, or a send fails.
func (s *Sink) Drain(ctx context.Context) error {
	return s.drain(ctx)
}

func (s *Sink) drain(ctx context.Context) error {
	release, ok, err := s.p.Spool.lockDrain(ctx)
	if err != nil || !ok {
		return err
	}
	defer release()
	defer s.draining.Store(false)
	for ctx.Err() == nil {
		rows, err := s.p.Spool.peek(ctx, s.p.DrainBatchSamples)
		if err != nil || len(rows) == 0 {
			return err
		}
		s.draining.Store(true)
		if err := s.sendSpooled(ctx, rows); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// sendSpooled posts rows as one request (gzip members concatenate into one valid stream) and
// acknowledges them.
func (s *Sink) sendSpooled(ctx context.Context, rows []spooled) error {
	ids := make([]int64, len(rows))
	size := 0
	for i, r := range rows {
		ids[i] = r.id
		size += len(r.body)
	}
	body := make([]byte, 0, size)
	for _, r := range rows {
		body = append(body, r.body...)
	}
	err := s.post(ctx, body)
	if errors.Is(err, ErrRejected) {
		n, derr := s.p.Spool.dropRows(ctx, ids)
		s.m.rejected.Add(int(n))
		s.p.Logger.Error("victoriametrics rejected spooled samples, dropped", "samples", n, "err", err)
		return derr
	}
	if err != nil {
		s.openBreaker()
		return fmt.Errorf("drain spool: %w", err)
	}
	s.closeBreaker()
	n, err := s.p.Spool.ack(ctx, ids)
	if err != nil {
		// VictoriaMetrics has the samples; they will be sent again, which its deduplication
		// (-dedup.minScrapeInterval) turns into a no-op since the timestamps are the same.
		return err
	}
	s.m.drained.Add(int(n))
	return nil
}

// probe checks that VictoriaMetrics answers /health.
func (s *Sink) probe(ctx context.Context) error {
	return getOK(ctx, s.p.Client, s.healthURL)
}

func getOK(ctx context.Context, c *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("build health request: %w", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("victoriametrics health: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("victoriametrics health: status %d", resp.StatusCode)
	}
	return nil
}

// refresh reads the spool status into the cache behind the gauges.
func (s *Sink) refresh(ctx context.Context) (SpoolStatus, error) {
	st, err := s.Status(ctx)
	if err != nil {
		return st, err
	}
	s.cached.Store(&st)
	return st, nil
}

func (s *Sink) cachedStatus() SpoolStatus { return *s.cached.Load() }

// Status reads the spool's state (shared by all replicas) and adds whether this process is
// draining it right now.
func (s *Sink) Status(ctx context.Context) (SpoolStatus, error) {
	st, err := s.p.Spool.Status(ctx)
	if err != nil {
		return st, err
	}
	st.Draining = st.Draining || (st.Samples > 0 && s.draining.Load())
	return st, nil
}

func jittered(d time.Duration) time.Duration {
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// Health returns the line of the health endpoint's victoriametrics component, given the spool
// status and the result of pinging VictoriaMetrics: critical while the spool is at its bound,
// degraded while samples are spooled (draining or waiting) or VictoriaMetrics is unreachable.
func Health(st SpoolStatus, pingErr error) string {
	switch {
	case st.BoundReached:
		return fmt.Sprintf("critical: spool full (%d of %d samples), oldest %s, %d dropped",
			st.Samples, st.MaxSamples, st.OldestAge.Round(time.Second), st.Dropped)
	case pingErr != nil && st.Samples > 0:
		return fmt.Sprintf("degraded: unreachable (%v), %d samples spooled, oldest %s",
			pingErr, st.Samples, st.OldestAge.Round(time.Second))
	case pingErr != nil:
		return fmt.Sprintf("degraded: unreachable (%v), writes will be spooled", pingErr)
	case st.Samples > 0 && st.Draining:
		return fmt.Sprintf("degraded: draining spool, %d samples left, oldest %s",
			st.Samples, st.OldestAge.Round(time.Second))
	case st.Samples > 0:
		return fmt.Sprintf("degraded: %d samples spooled, oldest %s", st.Samples, st.OldestAge.Round(time.Second))
	}
	return "healthy: reachable"
}
