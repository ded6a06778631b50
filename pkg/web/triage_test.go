package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/device"

	"github.com/chromedp/chromedp"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/harness"
	"github.com/wardops/wardops/testinfra/testenv"
)

// triage is the system of the issue-14 browser tests: the harness without a scheduler — the
// test writes device states through the store as the ping worker does and publishes the
// changes on the live channel as the worker publishes them — an API replica like cmd/api's,
// and a browser signed in as an operator.
type triage struct {
	t     *testing.T
	sys   *harness.System
	front *front
	b     *browser
	ctx   context.Context
	pub   *events.Publisher
	base  time.Time
	slot  int
	ids   map[string]int64
	rules int64 // next rule id of inserted alerts
}

func startTriage(t *testing.T) *triage {
	return startTriageOn(t, harness.Start(t, harness.Options{NoScheduler: true}))
}

// startTriageOn is startTriage on a harness already started (and seeded).
func startTriageOn(t *testing.T, sys *harness.System) *triage {
	x := &triage{t: t, sys: sys, pub: events.NewPublisher(sys.Redis), base: time.Now().UTC().Add(-time.Hour), ids: map[string]int64{}, rules: 100}
	x.front = startFront(t, sys, nil)
	authtest.User(t, sys.Auth, "noc", auth.RoleOperator)
	x.b = newBrowser(t)
	x.ctx = x.b.ctx
	x.b.do(x.ctx, "open dashboard", chromedp.Navigate(x.front.URL()+"/"), chromedp.WaitVisible(chromedp.CSS("#login-user")),
		chromedp.SendKeys(chromedp.CSS("#login-user"), "noc"), chromedp.SendKeys(chromedp.CSS("#login-pass"), authtest.Password),
		chromedp.Click(chromedp.CSS("#login-form button")))
	x.b.wait(x.ctx, "signed in", `document.getElementById('login').hidden && document.body.dataset.rendered === '1'`, 15*time.Second)
	return x
}

// device creates a device through the API; parent names a device created before ("" none).
func (x *triage) device(name, branch, region, typ, parent string) int64 {
	x.t.Helper()
	body := map[string]any{"name": name, "ip": fmt.Sprintf("127.63.%d.%d", len(x.ids)/200, len(x.ids)%200+1), "branch": branch, "region": region, "type": typ}
	if parent != "" {
		body["parent_id"] = x.ids[parent]
	}
	raw, _ := json.Marshal(body)
	x.front.place(x.t, branch, region)
	var d struct {
		ID int64 `json:"id"`
	}
	if code := x.front.do(x.t, http.MethodPost, "/api/v1/devices", string(raw), &d); code != http.StatusCreated {
		x.t.Fatalf("create device %s: HTTP %d", name, code)
	}
	x.ids[name] = d.ID
	return d.ID
}

// set writes one ping slot for the named devices, as the ping worker does, and publishes the
// status changes the write returns (with their version and blocked_by) as the worker does.
func (x *triage) set(states map[string]string) []store.StatusChange {
	x.t.Helper()
	x.slot++
	at := x.base.Add(time.Duration(x.slot) * time.Second)
	var rs []store.PingResult
	for name, st := range states {
		r := store.PingResult{DeviceID: x.ids[name], SlotAt: at, MeasuredAt: at, Sent: 3, Status: device.Status(st), LossPct: 100}
		if device.Status(st) != store.StatusDown {
			one := 1.0
			r.Received, r.LossPct, r.RTTMinMS, r.RTTAvgMS, r.RTTMaxMS, r.JitterMS = 3, 0, &one, &one, &one, &one
		}
		rs = append(rs, r)
	}
	ctx := testenv.Ctx(x.t, 10*time.Second)
	changes, err := x.sys.Store.WritePingResults(ctx, rs)
	testenv.Must(x.t, "write ping results", err)
	for _, c := range changes {
		testenv.Must(x.t, "publish status", x.pub.Publish(ctx, "status", c))
	}
	return changes
}

// poke publishes a status event of a device the page does not know, which makes it reload the
// standalone list (as it does for a device added meanwhile): a list refresh on demand.
func (x *triage) poke() {
	x.t.Helper()
	testenv.Must(x.t, "publish", x.pub.Publish(testenv.Ctx(x.t, 5*time.Second), "status",
		store.StatusChange{DeviceID: 1 << 40, From: "up", To: "down", At: time.Now().UTC()}))
}

// alert inserts an open alert as the evaluator would have written it.
func (x *triage) alert(dev, kind, sev, subject, summary, state string, started time.Time) int64 {
	x.t.Helper()
	x.rules++
	var id int64
	err := x.sys.Store.Pool().QueryRow(testenv.Ctx(x.t, 5*time.Second), `
		INSERT INTO alerts (rule_id, rule_name, kind, device_id, device_name, subject, severity, state, summary, started_at, updated_at,
			suppressed_reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, CASE WHEN $8 = 'suppressed' THEN 'parent' ELSE '' END) RETURNING id`,
		x.rules, kind+" rule", kind, x.ids[dev], dev, subject, sev, state, summary, started).Scan(&id)
	testenv.Must(x.t, "insert alert", err)
	return id
}

// alertEvent tells the page alerts changed (it reloads them), as the evaluator's events do.
func (x *triage) alertEvent() {
	x.t.Helper()
	testenv.Must(x.t, "publish", x.pub.Publish(testenv.Ctx(x.t, 5*time.Second), "alert", map[string]any{"event": "fired"}))
}

// view sets the viewport and writes a screenshot of what is on screen (not the full page): what
// a NOC engineer sees without scrolling.
func (x *triage) view(ctx context.Context, name string, w, h int64) {
	x.t.Helper()
	x.b.do(ctx, "viewport", chromedp.EmulateViewport(w, h))
	time.Sleep(300 * time.Millisecond) // layout
	// two animation frames: the capture is of a frame painted after the last change
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, chromedp.EvalAwaitPromise))
	testenv.Must(x.t, "wait for a frame", err)
	if txt := eval[string](x.b, ctx, `document.body.innerText`); regexp.MustCompile(`(null|undefined|NaN)`).MatchString(txt) {
		x.t.Errorf("%s: the page shows null, undefined or NaN", name)
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	testenv.Must(x.t, "screenshot", err)
	p := filepath.Join(artifactsDir(x.t), fmt.Sprintf("%s-%dx%d.png", name, w, h))
	testenv.Must(x.t, "write screenshot", os.WriteFile(p, png, 0o644))
	x.t.Logf("screenshot %s", p)
}

// overview opens the overview (or the wall) once the API's standalone list holds the newest
// status version written: its cache answers lists up to 30 s old, and the states written before
// the page opened reach it by no live event.
func (x *triage) overview(hash string) {
	x.t.Helper()
	x.freshList()
	x.b.do(x.ctx, "open "+hash, chromedp.Navigate(x.front.URL()+"/"+hash))
	x.b.wait(x.ctx, "problems drawn", `document.getElementById('problems') && document.getElementById('live').dataset.state === 'live' && document.querySelectorAll('.tile').length > 0`, 15*time.Second)
}

// TestProblemListNeverHidesACritical: one critical alert, then 40 of lower severity (24
// interfaces of one switch, 16 single alerts on 16 devices): the critical is the first row and on
// screen at 1440×900 and 1920×1080, the counts per severity are complete, the switch's alerts
// fold into one expandable row, the list ends in "+6 more" which opens all 18 rows; with 15
// criticals every one of them is shown past the row limit; a tile of up devices with an open
// alert shows it.
func TestProblemListNeverHidesACritical(t *testing.T) {
	x := startTriage(t)
	x.device("lab-dead-01", "LAB", "lab", "server", "")
	x.device("almaty-sw-01", "ALM-1", "east", "switch", "")
	for i := 1; i <= 16; i++ {
		x.device(fmt.Sprintf("sw-%02d", i), fmt.Sprintf("BR-%d", i%4), "west", "switch", "")
	}
	states := map[string]string{}
	for name := range x.ids {
		states[name] = "up"
	}
	states["lab-dead-01"] = "down"
	x.set(states)
	t0 := time.Now().UTC().Add(-30 * time.Minute)
	x.alert("lab-dead-01", "device_down", "critical", "", "lab-dead-01 is down", "firing", t0)
	for i := 1; i <= 24; i++ { // opened after the critical: newest-first would have buried it
		x.alert("almaty-sw-01", "if_down", "major", fmt.Sprintf("Gi0/%d", i), fmt.Sprintf("almaty-sw-01 Gi0/%d down", i), "firing", t0.Add(time.Duration(i)*time.Second))
	}
	for i := 1; i <= 16; i++ {
		sev, kind := "minor", "cpu_pct"
		if i%2 == 0 {
			sev, kind = "warning", "ping_rtt_ms"
		}
		x.alert(fmt.Sprintf("sw-%02d", i), kind, sev, "", fmt.Sprintf("sw-%02d %s high", i, kind), "firing", t0.Add(time.Minute+time.Duration(i)*time.Second))
	}
	x.overview("")
	b, ctx := x.b, x.ctx
	b.wait(ctx, "18 problem rows", `document.getElementById('problems').dataset.rows === '18'`, 10*time.Second)

	type rowInfo struct {
		Kind, Severity, Text string
		Visible              bool
	}
	rows := func() []rowInfo {
		return eval[[]rowInfo](b, ctx, `[...document.querySelectorAll('#problems .prob-rows > .prob')].map((r) => {
			const box = r.getBoundingClientRect();
			return {Kind: r.dataset.kind, Severity: r.dataset.severity, Text: r.querySelector('.prob-line').textContent,
				Visible: box.top >= 0 && box.bottom <= innerHeight};
		})`)
	}
	for _, vp := range [][2]int64{{390, 844}, {1440, 900}, {1920, 1080}} { // phone, desktop, room screen
		x.view(ctx, "triage-overview", vp[0], vp[1])
		got := rows()
		if len(got) == 0 || got[0].Severity != "critical" || !strings.Contains(got[0].Text, "lab-dead-01") || !got[0].Visible {
			t.Fatalf("at %dx%d the first problem row is %+v, want the critical lab-dead-01 on screen", vp[0], vp[1], got[:min(1, len(got))])
		}
	}
	got := rows()
	if len(got) != 12 {
		t.Errorf("%d rows shown before +N more, want 12", len(got))
	}
	rank := map[string]int{"critical": 4, "major": 3, "minor": 2, "warning": 1}
	for i := 1; i < len(got); i++ {
		if rank[got[i].Severity] > rank[got[i-1].Severity] {
			t.Errorf("row %d (%s) after row %d (%s): not ordered by severity", i, got[i].Severity, i-1, got[i-1].Severity)
		}
	}
	if got[1].Kind != "device" || !strings.Contains(got[1].Text, "almaty-sw-01: 24 interfaces down") {
		t.Errorf("second row %+v, want the switch's 24 alerts folded into one row", got[1])
	}
	counts := eval[map[string]string](b, ctx, `Object.fromEntries([...document.querySelectorAll('#problems .sev-count')].map((c) => [c.dataset.sev, c.querySelector('b').textContent]))`)
	if want := map[string]string{"critical": "1", "major": "24", "minor": "8", "warning": "8"}; fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("severity counts %v, want %v", counts, want)
	}
	if more := eval[string](b, ctx, `document.querySelector('#problems .prob-more')?.textContent || ''`); more != "+6 more" {
		t.Errorf("cut list ends in %q, want \"+6 more\"", more)
	}
	if tile := eval[map[string]string](b, ctx, `({...document.querySelector('.tile[data-branch="ALM-1"]').dataset})`); tile["worst"] != "up" || tile["alert"] != "major" || tile["level"] != "degraded" {
		t.Errorf("tile of an up switch with major alerts: %v, want worst up, alert major, level degraded", tile)
	}
	b.do(ctx, "unfold the switch", chromedp.Click(chromedp.CSS(`#problems .prob[data-kind="device"] summary`)))
	if n := eval[int](b, ctx, `document.querySelectorAll('#problems .prob[data-kind="device"] .prob-alert').length`); n != 24 {
		t.Errorf("unfolded switch row lists %d alerts, want 24", n)
	}
	b.do(ctx, "+6 more", chromedp.Click(chromedp.CSS("#problems .prob-more")))
	b.wait(ctx, "every row", `document.querySelectorAll('#problems .prob-rows > .prob').length === 18 && !document.querySelector('#problems .prob-more')`, 5*time.Second)
	x.view(ctx, "triage-overview-all", 1440, 900)
	b.do(ctx, "fewer", chromedp.Click(chromedp.CSS("#problems .prob-less")))

	// 14 more criticals: every critical is shown, past the limit of 12 rows
	for i := 1; i <= 14; i++ {
		x.alert(fmt.Sprintf("sw-%02d", i), "device_down", "critical", "", fmt.Sprintf("sw-%02d is down", i), "firing", t0.Add(2*time.Minute))
	}
	x.alertEvent()
	b.wait(ctx, "15 criticals", `document.querySelector('#problems .sev-count[data-sev="critical"] b').textContent === '15'`, 10*time.Second)
	if title := eval[string](b, ctx, `document.title`); title != "(15 critical) WardOps" {
		t.Errorf("tab title %q, want the count of criticals", title)
	}
	got = rows()
	crit := 0
	for _, r := range got {
		if r.Severity == "critical" {
			crit++
		}
	}
	if crit != 15 || len(got) != 15 {
		t.Errorf("with 15 critical rows: %d rows shown, %d critical; want all 15 criticals shown (and nothing else)", len(got), crit)
	}
	x.overview("#/wall")
	x.view(ctx, "triage-wall", 1920, 1080)
	if r := rows(); len(r) == 0 || r[0].Severity != "critical" {
		t.Errorf("wall: first row %+v, want a critical", r[:min(1, len(r))])
	}
}

// freshList waits until the API's standalone list holds the newest status version written and
// returns it.
func (x *triage) freshList() string {
	x.t.Helper()
	var newest int64
	testenv.Must(x.t, "newest version", x.sys.Store.Pool().QueryRow(testenv.Ctx(x.t, 5*time.Second),
		`SELECT coalesce(max(version), 0) FROM device_status`).Scan(&newest))
	deadline := time.Now().Add(40 * time.Second)
	for {
		body := x.listBody()
		if strings.Contains(body, fmt.Sprintf(`"version":%d}`, newest)) {
			return body
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("the standalone list has not reached version %d", newest)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// listBody is the standalone list as the API answers it now.
func (x *triage) listBody() string {
	x.t.Helper()
	resp, err := x.front.get("/api/v1/devices/standalone/list")
	testenv.Must(x.t, "standalone list", err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	testenv.Must(x.t, "read list", err)
	return string(raw)
}

// sampler JavaScript: every 4 ms, what the page shows for the router — its tile's worst state,
// its row in the fleet and the down counter — until stopped.
const startSampler = `(() => {
	window.__samples = [];
	window.__sampler = setInterval(() => {
		const t = document.querySelector('.tile[data-branch="BR-X"]');
		const c = document.querySelector('#counts [data-status="down"] .count-n');
		window.__samples.push((t ? t.dataset.worst : '?') + '/' + (c ? c.textContent : '?'));
	}, 4);
	return true;
})()`

// TestLiveStateNeverGoesBack: a router goes down and up around list refreshes — refreshes
// forced to answer the list from before the change, and refreshes of the real API whose cache
// serves a list up to 30 s old — and through each, the DOM sampled every 4 ms never shows an
// older state than the last event's. The devices behind the down router are "unreachable —
// behind" it on the overview, the devices page and their own page, counted apart from down.
func TestLiveStateNeverGoesBack(t *testing.T) {
	x := startTriage(t)
	x.device("br-router", "BR-X", "north", "router", "")
	for i := 1; i <= 3; i++ {
		x.device(fmt.Sprintf("br-atm-%d", i), "BR-X", "north", "atm", "br-router")
	}
	x.device("other", "BR-Y", "north", "switch", "")
	all := func(st string) map[string]string {
		m := map[string]string{"other": "up"}
		for name := range x.ids {
			if name != "other" {
				m[name] = st
			}
		}
		return m
	}
	x.set(all("up"))
	x.overview("")
	b, ctx := x.b, x.ctx
	b.wait(ctx, "BR-X up", `document.querySelector('.tile[data-branch="BR-X"]')?.dataset.worst === 'up'`, 10*time.Second)
	// every list request of the page can be made to answer an older list, as a cache would
	eval[bool](b, ctx, `(() => {
		window.__old = null; window.__oldServed = 0;
		const real = window.fetch;
		window.fetch = (url, init) => {
			if (window.__old && String(url).includes('/devices/standalone/list')) {
				window.__oldServed++;
				return Promise.resolve(new Response(window.__old, {status: 200, headers: {'Content-Type': 'application/json'}}));
			}
			return real(url, init);
		};
		return true;
	})()`)

	// through a refresh that answers an older list, the page keeps the last event's state
	refresh := func(what, want string, old string) {
		t.Helper()
		eval[bool](b, ctx, fmt.Sprintf(`(window.__old = %s, window.__oldServed = 0, true)`, jsString(old)))
		eval[bool](b, ctx, startSampler)
		x.poke()
		b.wait(ctx, what+": refresh served", `window.__oldServed > 0`, 5*time.Second)
		time.Sleep(700 * time.Millisecond) // the list parsed and drawn
		samples := eval[[]string](b, ctx, `(clearInterval(window.__sampler), window.__old = null, window.__samples)`)
		bad := 0
		for _, s := range samples {
			if s != want {
				bad++
			}
		}
		if len(samples) < 100 || bad > 0 {
			t.Errorf("%s: %d of %d samples through the refresh differ from %q (first %v)", what, bad, len(samples), want, samples[:min(5, len(samples))])
		}
	}
	upList := x.listBody()
	x.set(all("down"))
	b.wait(ctx, "BR-X down", `document.querySelector('.tile[data-branch="BR-X"]')?.dataset.worst === 'down'`, 5*time.Second)
	refresh("down, then a list from before", "down/1", upList)
	downList := x.freshList()
	if !strings.Contains(downList, `"status":"down"`) {
		t.Fatalf("the API's list shows no device down: %s", downList)
	}

	// unreachable behind the router, apart from down
	counts := eval[map[string]string](b, ctx, `Object.fromEntries([...document.querySelectorAll('#counts .count')].map((c) => [c.dataset.status, c.querySelector('.count-n').textContent]))`)
	if counts["down"] != "1" || counts["unreachable"] != "3" {
		t.Errorf("counters down %s unreachable %s, want 1 and 3", counts["down"], counts["unreachable"])
	}
	if sub := eval[string](b, ctx, `document.querySelector('.tile[data-branch="BR-X"] .tile-sub').textContent`); !strings.Contains(sub, "1 down, 3 unreachable") {
		t.Errorf("tile says %q, want 1 down, 3 unreachable", sub)
	}
	x.view(ctx, "triage-unreachable-overview", 1440, 900)
	devs := x.b.tab()
	b.do(devs, "devices page", chromedp.Navigate(x.front.URL()+"/#/devices"))
	b.wait(devs, "atm row unreachable", fmt.Sprintf(`document.querySelector('.vrow[data-id="%d"]')?.dataset.state === 'unreachable'`, x.ids["br-atm-1"]), 10*time.Second)
	if txt := eval[string](b, devs, fmt.Sprintf(`document.querySelector('.vrow[data-id="%d"]').textContent`, x.ids["br-atm-1"])); !strings.Contains(txt, "Unreachable behind br-router") {
		t.Errorf("devices row of an atm behind the down router: %q, want \"Unreachable behind br-router\"", txt)
	}
	x.view(devs, "triage-unreachable-devices", 1440, 900)
	b.do(devs, "device page", chromedp.Navigate(fmt.Sprintf("%s/#/devices/%d", x.front.URL(), x.ids["br-atm-2"])))
	b.wait(devs, "behind link", fmt.Sprintf(`document.querySelector('#dev-behind a')?.getAttribute('href') === '#/devices/%d'`, x.ids["br-router"]), 10*time.Second)
	if txt := eval[string](b, devs, `document.getElementById('dev-status').textContent`); txt != "Unreachable — behind br-router" {
		t.Errorf("device page status %q, want \"Unreachable — behind br-router\"", txt)
	}

	x.set(all("up"))
	b.wait(ctx, "BR-X up again", `document.querySelector('.tile[data-branch="BR-X"]')?.dataset.worst === 'up'`, 5*time.Second)
	b.wait(devs, "atm up again", `document.getElementById('dev-status').textContent === 'Up'`, 5*time.Second)
	refresh("up, then a list from when it was down", "up/0", downList)

	// the real API: its list cache serves the list from before each change while it rebuilds
	for i, st := range []string{"down", "up", "down", "up"} {
		x.set(all(st))
		want := map[string]string{"down": "down/1", "up": "up/0"}[st]
		b.wait(ctx, fmt.Sprintf("change %d to %s", i, st), fmt.Sprintf(`document.querySelector('.tile[data-branch="BR-X"]')?.dataset.worst === %q`, st), 5*time.Second)
		eval[bool](b, ctx, startSampler)
		x.poke()
		time.Sleep(1200 * time.Millisecond)
		samples := eval[[]string](b, ctx, `(clearInterval(window.__sampler), window.__samples)`)
		for _, s := range samples {
			if s != want {
				t.Errorf("change %d to %s: the page showed %q after the event (samples %d)", i, st, s, len(samples))
				break
			}
		}
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestMaintenanceMutesIncident: a branch router down with three devices behind it is one
// incident row ("3 devices behind it unreachable"); once the branch is in maintenance (the
// alert pass's status changes, published live), the incident leaves the red list for the muted
// "In maintenance" section and the branch tile shows maintenance, not the alert, with no reload.
func TestMaintenanceMutesIncident(t *testing.T) {
	x := startTriage(t)
	x.device("br-router", "BR-M", "north", "router", "")
	for i := 1; i <= 3; i++ {
		x.device(fmt.Sprintf("br-atm-%d", i), "BR-M", "north", "atm", "br-router")
	}
	x.device("lab-dead-01", "LAB", "lab", "server", "")
	x.set(map[string]string{"br-router": "down", "br-atm-1": "down", "br-atm-2": "down", "br-atm-3": "down", "lab-dead-01": "up"})
	t0 := time.Now().UTC().Add(-10 * time.Minute)
	root := x.alert("br-router", "device_down", "critical", "", "br-router is down", "firing", t0)
	var inc int64
	testenv.Must(t, "insert incident", x.sys.Store.Pool().QueryRow(testenv.Ctx(t, 5*time.Second), `
		INSERT INTO incidents (root_device_id, root_name, branch, title, alert_id, affected_count, opened_at)
		VALUES ($1, 'br-router', 'BR-M', 'br-router down: 3 devices behind it', $2, 3, $3) RETURNING id`, x.ids["br-router"], root, t0).Scan(&inc))
	_, err := x.sys.Store.Pool().Exec(testenv.Ctx(t, 5*time.Second), `UPDATE alerts SET incident_id = $1 WHERE id = $2`, inc, root)
	testenv.Must(t, "link root alert", err)
	for i := 1; i <= 3; i++ {
		id := x.alert(fmt.Sprintf("br-atm-%d", i), "device_down", "critical", "", fmt.Sprintf("br-atm-%d is down", i), "suppressed", t0)
		_, err := x.sys.Store.Pool().Exec(testenv.Ctx(t, 5*time.Second), `UPDATE alerts SET incident_id = $1 WHERE id = $2`, inc, id)
		testenv.Must(t, "link child alert", err)
	}
	x.alert("lab-dead-01", "ping_rtt_ms", "warning", "", "lab-dead-01 RTT high", "firing", t0)
	x.overview("")
	b, ctx := x.b, x.ctx
	sel := fmt.Sprintf(`#problems .prob-rows > .prob[data-incident="%d"]`, inc)
	b.wait(ctx, "incident row", fmt.Sprintf(`!!document.querySelector('%s')`, sel), 10*time.Second)
	if txt := eval[string](b, ctx, fmt.Sprintf(`document.querySelector('%s .prob-line').textContent`, sel)); !strings.Contains(txt, "br-router down — 3 devices behind it unreachable") {
		t.Errorf("incident row %q, want its root and the 3 devices behind it", txt)
	}
	b.do(ctx, "unfold incident", chromedp.Click(chromedp.CSS(sel+" summary")))
	if txt := eval[string](b, ctx, fmt.Sprintf(`document.querySelector('%s .prob-behind').textContent`, sel)); txt != "Behind it: br-atm-1, br-atm-2, br-atm-3" {
		t.Errorf("unfolded incident lists %q, want the three atms", txt)
	}
	x.view(ctx, "triage-incident", 1440, 900)
	eval[bool](b, ctx, `window.__sameDocument = true`)

	// the branch in a maintenance window, as the alert pass records it
	maint := map[int64]int64{x.ids["br-router"]: 1}
	for i := 1; i <= 3; i++ {
		maint[x.ids[fmt.Sprintf("br-atm-%d", i)]] = 1
	}
	saved, err := x.sys.Store.SaveAlertPass(testenv.Ctx(t, 5*time.Second), &alert.Result{Source: alert.SourcePing,
		Now: time.Now().UTC(), Maintenance: maint})
	testenv.Must(t, "enter maintenance", err)
	for _, c := range saved.Status {
		testenv.Must(t, "publish", x.pub.Publish(testenv.Ctx(t, 5*time.Second), "status", c))
	}
	b.wait(ctx, "incident muted", fmt.Sprintf(`!document.querySelector('%s') && !!document.querySelector('#problems .prob-muted .prob[data-incident="%d"]')`, sel, inc), 10*time.Second)
	if !eval[bool](b, ctx, `window.__sameDocument === true`) {
		t.Errorf("the page reloaded")
	}
	if txt := eval[string](b, ctx, `document.querySelector('#problems .prob-muted > summary').textContent`); txt != "In maintenance (1)" {
		t.Errorf("muted section %q, want \"In maintenance (1)\"", txt)
	}
	if first := eval[string](b, ctx, `document.querySelector('#problems .prob-rows > .prob')?.dataset.severity || ''`); first != "warning" {
		t.Errorf("the red list now starts with %q, want the one warning left", first)
	}
	if w := eval[string](b, ctx, `document.querySelector('[data-region="north"] .region-head').dataset.worst`); w != "maintenance" {
		t.Errorf("region head says %q, want maintenance", w)
	}
	if tile := eval[map[string]string](b, ctx, `({...document.querySelector('.tile[data-branch="BR-M"]').dataset})`); tile["worst"] != "maintenance" || tile["alert"] != "" {
		t.Errorf("tile of the branch in maintenance: %v, want worst maintenance and no alert", tile)
	}
	b.do(ctx, "open muted", chromedp.Click(chromedp.CSS("#problems .prob-muted > summary")))
	x.view(ctx, "triage-maintenance", 1440, 900)
}
