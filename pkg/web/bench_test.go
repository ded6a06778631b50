package web_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/harness"
	"github.com/wardops/wardops/testinfra/testenv"
)

// BenchmarkUIRender measures, in headless chromium with the cache off (nothing reused), the
// time from navigation start to a page fully drawn with live data — the fleet, health and
// alerts loaded and the event stream open, which the page marks with
// performance.mark('wardops-rendered') — and the bytes transferred for it, for the overview,
// the wall screen and the alerts page, at 875, 10,000 and 100,000 devices, each with no alert
// and with 5,000 firing alerts (issue 14: the problem list loads every open alert, folds and
// sorts them, and the tiles take them into account). Run it with scripts/bench-ui.sh
// (go tool task bench:ui); BENCH_UI_SIZES (e.g. "875,10000") narrows the sizes.
func BenchmarkUIRender(b *testing.B) {
	sizes := []int{875, 10000, 100000}
	if v := os.Getenv("BENCH_UI_SIZES"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				b.Fatalf("BENCH_UI_SIZES: %q is not a device count", f)
			}
			sizes = append(sizes, n)
		}
	}
	for _, n := range sizes {
		for _, alerts := range []int{0, 5000} {
			b.Run(fmt.Sprintf("devices=%d,alerts=%d", n, alerts), func(b *testing.B) { benchPages(b, n, alerts) })
		}
	}
}

// benchPages seeds one system and times each page on it.
func benchPages(b *testing.B, n, alerts int) {
	sys := harness.Start(b, harness.Options{NoScheduler: true})
	seedFleet(b, sys, n)
	seedAlerts(b, sys, alerts)
	f := startFront(b, sys, nil)
	if alerts > 0 { // what the server spends on the problem list, apart from the page
		for i := 0; i < 3; i++ {
			t0 := time.Now()
			_, err := sys.Store.Problems(testenv.Ctx(b, time.Minute), store.DeviceScope{}, 12, 50)
			testenv.Must(b, "problem list", err)
			t1 := time.Now()
			resp, err := f.get("/api/v1/alerts/problems?limit=12&per_row=50")
			testenv.Must(b, "GET problem list", err)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			b.Logf("store.Problems(limit 12): %.1f ms; GET /alerts/problems: %.1f ms", float64(t1.Sub(t0).Microseconds())/1000, float64(time.Since(t1).Microseconds())/1000)
		}
	}
	br := newBrowser(b)
	ctx := br.ctx
	br.do(ctx, "viewport", chromedp.EmulateViewport(1920, 1080))
	authtest.User(b, sys.Auth, "bench", auth.RoleViewer)
	br.do(ctx, "sign in", chromedp.Navigate(f.URL()+"/"), chromedp.WaitVisible(chromedp.CSS("#login-user")),
		chromedp.SendKeys(chromedp.CSS("#login-user"), "bench"), chromedp.SendKeys(chromedp.CSS("#login-pass"), authtest.Password),
		chromedp.Click(chromedp.CSS("#login-form button")))
	br.wait(ctx, "signed in", `document.body.dataset.rendered === '1'`, 60*time.Second)
	if _, err := chromedp.Call(ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
		b.Fatalf("disable cache: %v", err)
	}
	for _, page := range []struct{ name, hash, ready string }{
		{"overview", "#/", `document.querySelectorAll('.tile').length > 0`},
		{"wall", "#/wall", `document.querySelectorAll('.tile').length > 0`},
		{"alerts", "#/alerts", `document.getElementById('alerts-problems') !== null`},
	} {
		b.Run("page="+page.name, func(b *testing.B) { benchPage(b, br, f.URL(), page.hash, page.ready, n, alerts) })
	}
}

func benchPage(b *testing.B, br *browser, url, hash, ready string, n, alerts int) {
	ctx := br.ctx
	var sum renderStats
	best := math.Inf(1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st := loadPage(b, br, ctx, url, hash, ready)
		if st.Devices >= 0 && st.Devices != n {
			b.Fatalf("%s knows %d devices, want %d", hash, st.Devices, n)
		}
		best = min(best, st.RenderedMS)
		if i == b.N-1 {
			b.Logf("%s: %.0f ms; API (start+first byte/last byte ms): %s; marks: %s", hash, st.RenderedMS, strings.Join(st.API, ", "), strings.Join(st.Marks, ", "))
		}
		sum.RenderedMS += st.RenderedMS
		sum.Transferred += st.Transferred
		sum.Decoded += st.Decoded
	}
	b.StopTimer()
	b.ReportMetric(sum.RenderedMS/float64(b.N), "ms/render")
	b.ReportMetric(best, "ms-best/render")
	b.ReportMetric(sum.Transferred/float64(b.N), "B-transferred/op")
	b.ReportMetric(sum.Decoded/float64(b.N), "B-decoded/op")
	name := strings.TrimPrefix(strings.TrimPrefix(hash, "#/"), "#")
	if name == "" {
		name = "overview"
	}
	br.shot(ctx, fmt.Sprintf("bench-%s-%d-alerts-%d", name, n, alerts))
}

// renderStats is what the page reports after a load.
type renderStats struct {
	RenderedMS  float64 `json:"rendered_ms"`
	Transferred float64 `json:"transferred"`
	Decoded     float64 `json:"decoded"`
	Requests    int     `json:"requests"`
	Tiles       int     `json:"tiles"`
	Devices     int     `json:"devices"`
	// API is each API request's path with its time to the first byte (the server) and to the
	// last, in ms: where a slow page spends its time.
	API []string `json:"api"`
	// Marks are the page's own performance marks (ms from navigation start).
	Marks []string `json:"marks"`
}

const statsJS = `(() => {
	const nav = performance.getEntriesByType('navigation')[0];
	const res = performance.getEntriesByType('resource');
	const all = [nav, ...res];
	return {rendered_ms: performance.getEntriesByName('wardops-rendered')[0].startTime,
		transferred: all.reduce((s, e) => s + (e.transferSize || 0), 0),
		decoded: all.reduce((s, e) => s + (e.decodedBodySize || 0), 0),
		api: res.filter((e) => e.name.includes('/api/')).map((e) => e.name.replace(/^.*\/api\/v1/, '') + ' ' +
			Math.round(e.startTime) + '+' + Math.round(e.responseStart - e.startTime) + '/' + Math.round(e.responseEnd - e.startTime)),
		marks: performance.getEntriesByType('mark').map((m) => m.name + ' ' + Math.round(m.startTime)),
		requests: all.length, tiles: document.querySelectorAll('.tile').length,
		devices: (() => { const el = document.querySelector('#counts [data-status="total"] .count-n'); // overview and wall
			return el ? Number(el.textContent.replace(/\D/g, '')) : -1; })()};
})()`

func loadPage(b *testing.B, br *browser, ctx context.Context, url, hash, ready string) renderStats {
	b.Helper()
	// start from another page of the site, as a reload or a click from the dashboard would: a
	// navigation from about:blank also times the start of a new renderer process
	br.do(ctx, "leave", chromedp.Navigate(url+"/favicon.ico"))
	br.do(ctx, "navigate", chromedp.Navigate(url+"/"+hash))
	br.wait(ctx, "rendered", `document.body.dataset.rendered === '1' && `+ready, 60*time.Second)
	return eval[renderStats](br, ctx, statsJS)
}

// seedFleet writes n devices in 8 regions and n/20 branches with a latest status each, as the
// ping pipeline would leave them (1 in 97 down, 1 in 211 degraded, 1 in 401 in maintenance).
func seedFleet(tb testing.TB, sys *harness.System, n int) {
	tb.Helper()
	ctx := testenv.Ctx(tb, time.Minute)
	pool := sys.Store.Pool()
	_, err := pool.Exec(ctx, `INSERT INTO devices (name, ip, branch, region, type, vendor)
		SELECT format('dev-%s', lpad(i::text, 6, '0')), ('127.' || (100 + i / 62500) || '.' || ((i / 250) % 250) || '.' || (i % 250 + 1))::inet,
			format('branch-%s', lpad((i / 20)::text, 4, '0')), 'region-' || ((i / 20) % 8), (ARRAY['router','switch','atm','firewall','server'])[1 + i % 5], 'cisco'
		FROM generate_series(0, $1 - 1) i`, n)
	testenv.Must(tb, "seed devices", err)
	_, err = pool.Exec(ctx, `INSERT INTO device_status (device_id, status, rtt_min_ms, rtt_avg_ms, rtt_max_ms, jitter_ms, loss_pct, last_seen, last_change, last_slot)
		SELECT id, CASE WHEN id % 97 = 0 THEN 'down' WHEN id % 211 = 0 THEN 'degraded' WHEN id % 401 = 0 THEN 'maintenance' ELSE 'up' END,
			0.1 + random(), 0.2 + random(), 0.3 + random(), random() / 10, CASE WHEN id % 97 = 0 THEN 100 ELSE 0 END, now(), now() - interval '1 hour', now()
		FROM devices
		ON CONFLICT (device_id) DO UPDATE SET status = excluded.status, rtt_min_ms = excluded.rtt_min_ms, rtt_avg_ms = excluded.rtt_avg_ms,
			rtt_max_ms = excluded.rtt_max_ms, jitter_ms = excluded.jitter_ms, loss_pct = excluded.loss_pct, last_seen = excluded.last_seen,
			last_change = excluded.last_change, last_slot = excluded.last_slot`)
	testenv.Must(tb, "seed status", err)
}

// seedAlerts writes n firing alerts as the evaluator would leave them: interface-down alerts of
// the first n/10 devices, 10 each (folded into one row per device), 1 in 500 critical, 1 in 5
// minor, the rest major.
func seedAlerts(tb testing.TB, sys *harness.System, n int) {
	tb.Helper()
	if n == 0 {
		return
	}
	_, err := sys.Store.Pool().Exec(testenv.Ctx(tb, time.Minute), `
		INSERT INTO alerts (rule_id, rule_name, kind, device_id, device_name, subject, severity, state, summary, started_at, updated_at)
		SELECT 1, 'interface down', 'if_down', d.id, d.name, 'Gi0/' || k, CASE WHEN i % 500 = 0 THEN 'critical' WHEN i % 5 = 0 THEN 'minor' ELSE 'major' END,
			'firing', d.name || ' Gi0/' || k || ' down', now() - i * interval '1 second', now()
		FROM generate_series(0, $1 - 1) i
		CROSS JOIN LATERAL (SELECT i % 10 AS k) s
		JOIN devices d ON d.id = (SELECT min(id) FROM devices) + i / 10`, n)
	testenv.Must(tb, "seed alerts", err)
}
