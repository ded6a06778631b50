package health

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// Levels, from best to worst.
const (
	Healthy  = "healthy"
	Degraded = "degraded"
	Critical = "critical"
)

func rank(level string) int {
	switch level {
	case Healthy:
		return 0
	case Degraded:
		return 1
	}
	return 2
}

// Component is the verdict on one component.
type Component struct {
	Level  string
	Reason string
	// Detail holds figures for the admins' detailed view (latencies, pool usage, …).
	Detail map[string]any
}

// String is the SPEC's line: "healthy: 3 ms", "critical: 0 workers".
func (c Component) String() string { return c.Level + ": " + c.Reason }

// Check inspects one component.
type Check func(ctx context.Context) Component

// Report is the verdict on the whole system.
type Report struct {
	Status     string               `json:"status"`
	Components map[string]string    `json:"components"`
	Detail     map[string]Component `json:"-"`
	CheckedAt  time.Time            `json:"checked_at"`
}

// Checker runs named checks concurrently, each under a timeout.
type Checker struct {
	checks  map[string]Check
	timeout time.Duration
}

// NewChecker returns a Checker of checks; each gets timeout (default 2s) before it is critical.
func NewChecker(checks map[string]Check, timeout time.Duration) *Checker {
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	return &Checker{checks: checks, timeout: timeout}
}

// Run runs every check and reports the worst level as the overall status.
func (c *Checker) Run(ctx context.Context) Report {
	rep := Report{Status: Healthy, Components: map[string]string{}, Detail: map[string]Component{}, CheckedAt: time.Now().UTC()}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, check := range c.checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			comp := c.runOne(ctx, check)
			mu.Lock()
			defer mu.Unlock()
			rep.Components[name] = comp.String()
			rep.Detail[name] = comp
			if rank(comp.Level) > rank(rep.Status) {
				rep.Status = comp.Level
			}
		}()
	}
	wg.Wait()
	return rep
}

func (c *Checker) runOne(ctx context.Context, check Check) Component {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	done := make(chan Component, 1)
	go func() { done <- check(ctx) }()
	select {
	case comp := <-done:
		return comp
	case <-ctx.Done():
		return Component{Level: Critical, Reason: fmt.Sprintf("no answer within %s", c.timeout)}
	}
}

// Disk checks free space of the filesystem holding path: critical under critPct free,
// degraded under degPct.
func Disk(path string, degPct, critPct float64) Check {
	return func(ctx context.Context) Component {
		var st syscall.Statfs_t
		if err := syscall.Statfs(path, &st); err != nil {
			return Component{Level: Critical, Reason: fmt.Sprintf("statfs %s: %v", path, err)}
		}
		free := float64(st.Bavail) * float64(st.Bsize)
		total := float64(st.Blocks) * float64(st.Bsize)
		pct := 100 * free / total
		comp := Component{Level: Healthy, Reason: fmt.Sprintf("%.1f%% free (%.1f GiB) on %s", pct, free/(1<<30), path),
			Detail: map[string]any{"free_bytes": free, "total_bytes": total, "free_pct": pct}}
		switch {
		case pct < critPct:
			comp.Level = Critical
		case pct < degPct:
			comp.Level = Degraded
		}
		return comp
	}
}

// Pinger is anything that answers a ping (a pgx pool, a Redis client adapter).
type Pinger interface {
	Ping(ctx context.Context) error
}

// Ping checks a service by pinging it; slow answers are degraded.
func Ping(name string, p Pinger, slow time.Duration) Check {
	return func(ctx context.Context) Component {
		start := time.Now()
		if err := p.Ping(ctx); err != nil {
			return Component{Level: Critical, Reason: fmt.Sprintf("%s unreachable: %v", name, err)}
		}
		took := time.Since(start)
		comp := Component{Level: Healthy, Reason: fmt.Sprintf("answered in %s", took.Round(time.Microsecond)),
			Detail: map[string]any{"latency_ms": float64(took.Microseconds()) / 1000}}
		if took > slow {
			comp.Level = Degraded
			comp.Reason = fmt.Sprintf("slow: answered in %s", took.Round(time.Millisecond))
		}
		return comp
	}
}

// HTTP checks a service by a GET of url that must answer 2xx.
func HTTP(name, url string, slow time.Duration) Check {
	client := &http.Client{Timeout: 5 * time.Second}
	return Ping(name, pingFunc(func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("%s answered %s", url, resp.Status)
		}
		return nil
	}), slow)
}

type pingFunc func(ctx context.Context) error

func (f pingFunc) Ping(ctx context.Context) error { return f(ctx) }
