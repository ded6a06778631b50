package health_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/health"
)

func fixed(level, reason string) health.Check {
	return func(context.Context) health.Component { return health.Component{Level: level, Reason: reason} }
}

// TestCheckerWorstOf: the overall status is the worst component, and every component is reported
// as "level: reason".
func TestCheckerWorstOf(t *testing.T) {
	cases := []struct {
		name       string
		checks     map[string]health.Check
		wantStatus string
		wantComps  map[string]string
	}{
		{name: "no checks", checks: map[string]health.Check{}, wantStatus: health.Healthy, wantComps: map[string]string{}},
		{name: "all healthy",
			checks:     map[string]health.Check{"database": fixed(health.Healthy, "1 ms"), "redis": fixed(health.Healthy, "2 ms")},
			wantStatus: health.Healthy,
			wantComps:  map[string]string{"database": "healthy: 1 ms", "redis": "healthy: 2 ms"}},
		{name: "one degraded",
			checks:     map[string]health.Check{"database": fixed(health.Healthy, "1 ms"), "workers": fixed(health.Degraded, "1 of 2 workers")},
			wantStatus: health.Degraded,
			wantComps:  map[string]string{"database": "healthy: 1 ms", "workers": "degraded: 1 of 2 workers"}},
		{name: "critical beats degraded",
			checks: map[string]health.Check{"database": fixed(health.Critical, "unreachable"), "workers": fixed(health.Degraded, "slow"),
				"api": fixed(health.Healthy, "up")},
			wantStatus: health.Critical,
			wantComps:  map[string]string{"database": "critical: unreachable", "workers": "degraded: slow", "api": "healthy: up"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := health.NewChecker(tc.checks, time.Second).Run(context.Background())
			if diff := cmp.Diff(tc.wantStatus, rep.Status); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantComps, rep.Components); diff != "" {
				t.Errorf("components (-want +got):\n%s", diff)
			}
			if rep.CheckedAt.IsZero() || rep.CheckedAt.Location() != time.UTC {
				t.Errorf("CheckedAt = %v, want a UTC time", rep.CheckedAt)
			}
			if len(rep.Detail) != len(tc.checks) {
				t.Errorf("%d details for %d checks", len(rep.Detail), len(tc.checks))
			}
		})
	}
}

// TestCheckerTimeout: a check that does not answer within the timeout is critical, the others
// still report, and the check's ctx is cancelled.
func TestCheckerTimeout(t *testing.T) {
	cancelled := make(chan struct{})
	hang := func(ctx context.Context) health.Component {
		<-ctx.Done()
		close(cancelled)
		time.Sleep(50 * time.Millisecond) // answers late, after the checker gave up
		return health.Component{Level: health.Healthy, Reason: "too late"}
	}
	ignore := func(context.Context) health.Component {
		time.Sleep(300 * time.Millisecond) // ignores ctx entirely
		return health.Component{Level: health.Healthy, Reason: "too late"}
	}
	c := health.NewChecker(map[string]health.Check{"hang": hang, "ignore": ignore, "ok": fixed(health.Healthy, "fine")}, 50*time.Millisecond)
	rep := c.Run(context.Background())
	want := map[string]string{"hang": "critical: no answer within 50ms", "ignore": "critical: no answer within 50ms", "ok": "healthy: fine"}
	if diff := cmp.Diff(want, rep.Components); diff != "" {
		t.Errorf("components (-want +got):\n%s", diff)
	}
	if rep.Status != health.Critical {
		t.Errorf("status %q, want critical", rep.Status)
	}
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Error("the hanging check's ctx was never cancelled")
	}
}

func TestDefaultTimeout(t *testing.T) {
	// a non-positive timeout falls back to 2s, so a quick check passes
	rep := health.NewChecker(map[string]health.Check{"ok": fixed(health.Healthy, "x")}, 0).Run(context.Background())
	if rep.Status != health.Healthy {
		t.Errorf("status %q, want healthy", rep.Status)
	}
}

func TestComponentString(t *testing.T) {
	c := health.Component{Level: health.Degraded, Reason: "3 ms"}
	if diff := cmp.Diff("degraded: 3 ms", c.String()); diff != "" {
		t.Errorf("String (-want +got):\n%s", diff)
	}
}

type fakePinger struct {
	err   error
	delay time.Duration
}

func (p fakePinger) Ping(ctx context.Context) error {
	select {
	case <-time.After(p.delay):
	case <-ctx.Done():
		return ctx.Err()
	}
	return p.err
}

func TestPing(t *testing.T) {
	cases := []struct {
		name       string
		p          fakePinger
		slow       time.Duration
		wantLevel  string
		wantPrefix string
	}{
		{name: "fast", p: fakePinger{}, slow: time.Second, wantLevel: health.Healthy, wantPrefix: "answered in "},
		{name: "slow", p: fakePinger{delay: 30 * time.Millisecond}, slow: time.Millisecond, wantLevel: health.Degraded, wantPrefix: "slow: answered in "},
		{name: "down", p: fakePinger{err: errors.New("connection refused")}, slow: time.Second, wantLevel: health.Critical,
			wantPrefix: "database unreachable: connection refused"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			comp := health.Ping("database", tc.p, tc.slow)(context.Background())
			if comp.Level != tc.wantLevel || !strings.HasPrefix(comp.Reason, tc.wantPrefix) {
				t.Errorf("Ping = %q, want level %s and a reason starting %q", comp.String(), tc.wantLevel, tc.wantPrefix)
			}
		})
	}
}

// TestDisk uses the real filesystem of the test's working directory: the thresholds decide the
// level, since the free percentage is always in (0, 100].
func TestDisk(t *testing.T) {
	cases := []struct {
		name          string
		path          string
		deg, crit     float64
		wantLevel     string
		wantReasonHas string
	}{
		{name: "healthy", path: ".", deg: 0, crit: 0, wantLevel: health.Healthy, wantReasonHas: "% free ("},
		{name: "degraded", path: ".", deg: 100.1, crit: 0, wantLevel: health.Degraded, wantReasonHas: " on ."},
		{name: "critical", path: ".", deg: 100.1, crit: 100.1, wantLevel: health.Critical, wantReasonHas: "GiB)"},
		{name: "missing path", path: "/nonexistent/wardops-disk-test", deg: 15, crit: 5, wantLevel: health.Critical,
			wantReasonHas: "statfs /nonexistent/wardops-disk-test: no such file or directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			comp := health.Disk(tc.path, tc.deg, tc.crit)(context.Background())
			if comp.Level != tc.wantLevel || !strings.Contains(comp.Reason, tc.wantReasonHas) {
				t.Errorf("Disk = %q, want level %s and a reason containing %q", comp.String(), tc.wantLevel, tc.wantReasonHas)
			}
			if tc.wantLevel != health.Critical || tc.path == "." {
				pct, _ := comp.Detail["free_pct"].(float64)
				if pct <= 0 || pct > 100 {
					t.Errorf("free_pct = %v, want in (0, 100]", comp.Detail["free_pct"])
				}
			}
		})
	}
}
