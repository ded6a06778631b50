//go:build soak

package chaos_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wardops/wardops/testinfra/chaos"
	"github.com/wardops/wardops/testinfra/testenv"
)

// soakParams: WARDOPS_SOAK_DURATION (1h), WARDOPS_SOAK_DEVICES (10000), WARDOPS_SOAK_EVERY (1m),
// WARDOPS_SOAK_INTERVAL (30s, the production ping cycle), WARDOPS_SOAK_OUT (docs/).
type soakParams struct {
	duration, every, interval time.Duration
	devices                   int
	out                       string
}

func envDuration(t *testing.T, key string, def time.Duration) time.Duration {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	testenv.Must(t, key, err)
	return d
}

// TestSoak runs WardOps on a large loopback fleet with a dashboard-like client for the
// duration, samples every process's RSS, goroutines and heap and the database's connections
// every minute, and writes docs/soak.csv and docs/soak.svg. Built only with -tags soak
// (`go tool task soak`): it is not part of `go tool task test`.
func TestSoak(t *testing.T) {
	p := soakParams{duration: envDuration(t, "WARDOPS_SOAK_DURATION", time.Hour), every: envDuration(t, "WARDOPS_SOAK_EVERY", time.Minute),
		interval: envDuration(t, "WARDOPS_SOAK_INTERVAL", 30*time.Second), devices: 10000}
	if v := os.Getenv("WARDOPS_SOAK_DEVICES"); v != "" {
		_, err := fmt.Sscan(v, &p.devices)
		testenv.Must(t, "WARDOPS_SOAK_DEVICES", err)
	}
	p.out = os.Getenv("WARDOPS_SOAK_OUT")
	if p.out == "" {
		root, err := chaos.ModuleRoot()
		testenv.Must(t, "module root", err)
		p.out = filepath.Join(root, "docs")
	}
	const password = "soak-admin-password"
	s := chaos.Start(t, chaos.Options{Bin: binDir, Devices: p.devices, Interval: p.interval, Workers: 1, Schedulers: 2,
		BatchSize: 100, Concurrency: 50, PingTimeout: time.Second, AdminPassword: password})
	s.LogsOnFailure()
	ctx, cancel := context.WithTimeout(context.Background(), p.duration+time.Minute)
	defer cancel()
	go dashboardLoad(ctx, signIn(t, s.APIURL, password), s.APIURL)

	procs := []*chaos.Proc{s.API, s.Workers[0], s.Schedulers[0]}
	var samples []chaos.SoakSample
	start := time.Now()
	for {
		smp, err := s.SampleSoak(ctx, procs)
		testenv.Must(t, "sample", err)
		samples = append(samples, smp)
		t.Logf("minute %.0f: rss api %.0f MB worker %.0f MB; goroutines api %.0f worker %.0f; pg %v idle-in-tx %d; complete cycles %d",
			time.Since(start).Minutes(), smp.RSSMB["api"], smp.RSSMB["worker-1"], smp.Goroutines["api"], smp.Goroutines["worker-1"],
			smp.PGConns, smp.PGIdleInTx, smp.CompleteCycles)
		if time.Since(start) >= p.duration {
			break
		}
		time.Sleep(p.every)
	}
	writeSoak(t, p, samples, procs)
	judgeTrend(t, p, samples)
}

// dashboardLoad is a NOC screen: one live-event stream and the device list every 5 s.
func dashboardLoad(ctx context.Context, c *http.Client, base string) {
	if resp, err := c.Get(base + "/api/v1/events"); err == nil {
		defer resp.Body.Close()
	}
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/devices/standalone/list", nil)
		if resp, err := c.Do(req); err == nil {
			resp.Body.Close()
		}
	}
}

func writeSoak(t *testing.T, p soakParams, samples []chaos.SoakSample, procs []*chaos.Proc) {
	t.Helper()
	names := []string{}
	for _, pr := range procs {
		names = append(names, pr.Name)
	}
	appSet := map[string]bool{}
	for _, s := range samples {
		for a := range s.PGConns {
			appSet[a] = true
		}
	}
	var apps []string
	for a := range appSet {
		apps = append(apps, a)
	}
	sort.Strings(apps)
	f, err := os.Create(filepath.Join(p.out, "soak.csv"))
	testenv.Must(t, "create soak.csv", err)
	testenv.Must(t, "write soak.csv", chaos.WriteSoakCSV(f, samples, names, apps))
	testenv.Must(t, "close soak.csv", f.Close())
	mins := make([]float64, len(samples))
	for i, s := range samples {
		mins[i] = s.At.Sub(samples[0].At).Minutes()
	}
	series := func(get func(chaos.SoakSample) float64, name string) chaos.Series {
		ys := make([]float64, len(samples))
		for i, s := range samples {
			ys[i] = get(s)
		}
		return chaos.Series{Name: name, X: mins, Y: ys}
	}
	var rss, gor, pg []chaos.Series
	for _, n := range names {
		rss = append(rss, series(func(s chaos.SoakSample) float64 { return s.RSSMB[n] }, n))
		gor = append(gor, series(func(s chaos.SoakSample) float64 { return s.Goroutines[n] }, n))
	}
	for _, a := range apps {
		pg = append(pg, series(func(s chaos.SoakSample) float64 { return float64(s.PGConns[a]) }, a))
	}
	idle := []chaos.Series{series(func(s chaos.SoakSample) float64 { return float64(s.PGIdleInTx) }, "idle in transaction")}
	title := fmt.Sprintf("WardOps soak: %d devices, %s ping cycle, %s, sampled every %s (%s)", p.devices, p.interval,
		p.duration, p.every, samples[0].At.Format("2006-01-02"))
	f, err = os.Create(filepath.Join(p.out, "soak.svg"))
	testenv.Must(t, "create soak.svg", err)
	testenv.Must(t, "plot", chaos.PlotSVG(f, title, []chaos.Panel{
		{Title: "resident memory (RSS)", Unit: "MB", Series: rss},
		{Title: "goroutines", Unit: "goroutines", Series: gor},
		{Title: "PostgreSQL connections by application", Unit: "connections", Series: pg},
		{Title: "PostgreSQL connections idle in transaction", Unit: "connections", Series: idle},
	}))
	testenv.Must(t, "close soak.svg", f.Close())
	t.Logf("wrote %s and %s", filepath.Join(p.out, "soak.csv"), filepath.Join(p.out, "soak.svg"))
}

// judgeTrend reports the slopes over the second half of the run (after warm-up) and, for runs
// of 30 minutes or more, fails on an upward trend of the api or the worker: goroutines growing
// by more than 5 % of their mean per hour, RSS or Go heap by more than 10 % — each only when
// the fitted slope is also more than two standard errors above zero (chaos.Rising). Go's RSS
// moves by several MB with each collection and scavenge; over half an hour of one-minute
// samples that noise alone gives a slope's standard error of about 5 MB/h, as large as the
// 10 % limit, so a slope test without it fails a leak-free run about one time in six.
func judgeTrend(t *testing.T, p soakParams, samples []chaos.SoakSample) {
	half := samples[len(samples)/2:]
	var lines []string
	for _, proc := range []string{"api", "worker-1"} {
		xs := []float64{}
		series := map[string][]float64{}
		for _, s := range half {
			xs = append(xs, s.At.Sub(samples[0].At).Hours())
			series["RSS MB"] = append(series["RSS MB"], s.RSSMB[proc])
			series["heap MB"] = append(series["heap MB"], s.HeapMB[proc])
			series["goroutines"] = append(series["goroutines"], s.Goroutines[proc])
		}
		for _, what := range []string{"RSS MB", "heap MB", "goroutines"} {
			ys := series[what]
			limit := 0.10 * mean(ys)
			if what == "goroutines" {
				limit = 0.05 * mean(ys)
			}
			slope, se := chaos.Trend(xs, ys)
			lines = append(lines, fmt.Sprintf("%s %s %+.1f ± %.1f /h (mean %.1f, limit %+.1f /h)", proc, what, slope, se, mean(ys), limit))
			if p.duration >= 30*time.Minute && chaos.Rising(slope, se, limit) {
				t.Errorf("upward trend in %s %s over the second half: %+.1f ± %.1f /h (limit %+.1f /h)", proc, what, slope, se, limit)
			}
		}
	}
	maxIdle := 0
	for _, s := range samples {
		maxIdle = max(maxIdle, s.PGIdleInTx)
	}
	t.Logf("trend over the second half: %s; max idle-in-transaction %d", strings.Join(lines, "; "), maxIdle)
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
