package web_test

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wardops/wardops/testinfra/harness"
	"github.com/wardops/wardops/testinfra/testenv"
)

// seedBranches writes n devices, 6 a branch, in 8 regions, with a latest status each (1 in 97
// down) and a firing critical alert for each down device.
func seedBranches(tb testing.TB, sys *harness.System, n int) {
	tb.Helper()
	ctx := testenv.Ctx(tb, time.Minute)
	pool := sys.Store.Pool()
	_, err := pool.Exec(ctx, `INSERT INTO devices (name, ip, branch, region, type, vendor)
		SELECT format('dev-%s', lpad(i::text, 6, '0')), ('127.' || (100 + i / 62500) || '.' || ((i / 250) % 250) || '.' || (i % 250 + 1))::inet,
			format('br-%s', lpad((i / 6)::text, 4, '0')), 'region-' || ((i / 6) % 8), 'switch', 'cisco'
		FROM generate_series(0, $1 - 1) i`, n)
	testenv.Must(tb, "seed devices", err)
	_, err = pool.Exec(ctx, `INSERT INTO device_status (device_id, status, loss_pct, last_change, last_slot)
		SELECT id, CASE WHEN id % 97 = 0 THEN 'down' ELSE 'up' END, 0, now() - interval '1 hour', now() FROM devices
		ON CONFLICT (device_id) DO UPDATE SET status = excluded.status, last_change = excluded.last_change, last_slot = excluded.last_slot`)
	testenv.Must(tb, "seed status", err)
	_, err = pool.Exec(ctx, `INSERT INTO alerts (rule_id, rule_name, kind, device_id, device_name, severity, state, summary, started_at, updated_at)
		SELECT 1, 'device down', 'device_down', id, name, 'critical', 'firing', name || ' is down', now() - id * interval '1 second', now()
		FROM devices WHERE id % 97 = 0`)
	testenv.Must(tb, "seed alerts", err)
}

// TestWallScreen: the wall at 1920×1080 and 3840×2160 with 150 branches of 900 devices shows
// what is down first and every branch tile on screen at once; its clock is 24-hour with the
// time zone; a list longer than its box pages by itself; Esc leaves it. At 10,000 devices (1,667
// branches) it folds to one tile per region, still on screen.
func TestWallScreen(t *testing.T) {
	for _, n := range []int{900, 10000} {
		t.Run(fmt.Sprintf("devices=%d", n), func(t *testing.T) { wallScreen(t, n) })
	}
}

func wallScreen(t *testing.T, n int) {
	sys := harness.Start(t, harness.Options{NoScheduler: true})
	seedBranches(t, sys, n)
	if n == 900 { // more rows than the problem box holds at 1920×1080
		_, err := sys.Store.Pool().Exec(testenv.Ctx(t, 10*time.Second), `INSERT INTO alerts (rule_id, rule_name, kind, device_id,
			device_name, severity, state, summary, started_at, updated_at)
			SELECT 2, 'rtt', 'ping_rtt_ms', id, name, 'major', 'firing', name || ' RTT high', now(), now() FROM devices WHERE id % 97 <> 0 AND id <= 60`)
		testenv.Must(t, "seed more alerts", err)
	}
	x := startTriageOn(t, sys)
	x.overview("#/wall")
	b, ctx := x.b, x.ctx
	want := (n + 5) / 6
	tiles := want
	if n > 1440 {
		tiles = 8 // folded: one per region
	}
	b.wait(ctx, "tiles", fmt.Sprintf(`document.querySelectorAll('.tile').length === %d`, tiles), 15*time.Second)
	type box struct {
		Tiles, OnScreen int
		First           string
		FirstVisible    bool
		Clock           string
	}
	for _, vp := range [][2]int64{{1920, 1080}, {3840, 2160}} {
		x.view(ctx, fmt.Sprintf("wall-%d", n), vp[0], vp[1])
		got := eval[box](b, ctx, `(() => {
			const ts = [...document.querySelectorAll('.tile')];
			const on = ts.filter((t) => { const r = t.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight && r.right <= innerWidth; });
			const first = document.querySelector('#problems .prob-rows > .prob');
			const fr = first ? first.getBoundingClientRect() : null;
			return {Tiles: ts.length, OnScreen: on.length, First: first ? first.dataset.severity : '',
				FirstVisible: !!fr && fr.top >= 0 && fr.bottom <= innerHeight, Clock: document.querySelector('.clock').textContent};
		})()`)
		if got.Tiles != tiles || got.OnScreen != tiles {
			t.Errorf("%dx%d: %d of %d tiles on screen, want all %d", vp[0], vp[1], got.OnScreen, got.Tiles, tiles)
		}
		if got.First != "critical" || !got.FirstVisible {
			t.Errorf("%dx%d: first problem row %q visible %v, want a critical on screen", vp[0], vp[1], got.First, got.FirstVisible)
		}
		if !regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d:[0-5]\d \S+`).MatchString(got.Clock) {
			t.Errorf("clock %q, want 24-hour time with a time zone", got.Clock)
		}
	}
	if n == 900 { // 10 criticals do not fit the 1920×1080 box: the list pages by itself
		x.b.do(ctx, "viewport", chromedp.EmulateViewport(1920, 1080))
		b.wait(ctx, "the problem list pages", `document.getElementById('incidents').scrollTop > 0`, 25*time.Second)
	}
	// a new critical flashes the wall
	_, err := sys.Store.Pool().Exec(testenv.Ctx(t, 5*time.Second), `INSERT INTO alerts (rule_id, rule_name, kind, device_id, device_name,
		severity, state, summary, started_at, updated_at) SELECT 3, 'cpu', 'cpu_pct', min(id), 'dev-000001', 'critical', 'firing', 'CPU', now(), now() FROM devices`)
	testenv.Must(t, "new critical", err)
	x.alertEvent()
	b.wait(ctx, "the wall flashes", `document.body.classList.contains('flash') && document.title.startsWith('(')`, 10*time.Second)
	eval[bool](b, ctx, `document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape'})) || true`)
	b.wait(ctx, "Esc leaves the wall", `location.hash === '#/' && !document.body.classList.contains('wall')`, 5*time.Second)
}
