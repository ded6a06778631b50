package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/pkg/tsdb"
	"github.com/wardops/wardops/testinfra/harness"
	"github.com/wardops/wardops/testinfra/testenv"
)

// lateHandler hands the worker a handler that needs the system the harness builds.
type lateHandler struct{ h atomic.Pointer[asynq.Handler] }

func (l *lateHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	h := l.h.Load()
	if h == nil {
		return errors.New("handler not wired yet")
	}
	return (*h).ProcessTask(ctx, t)
}

const interval = 2 * time.Second

// e2e is the running system of TestDashboardEndToEnd.
type e2e struct {
	t      *testing.T
	sys    *harness.System
	front  *front
	host   *testenv.Host
	vm     *testenv.VM
	b      *browser
	router int64
}

// TestDashboardEndToEnd drives the dashboard in headless chromium against the real pipeline
// (scheduler, ping worker, alert evaluation, VictoriaMetrics): devices imported through the
// admin page, overview counts checked against the API, a namespace "branch router" (with an
// ATM behind it) taken down and its tile and row seen to change with no reload, the incident
// acknowledged with a comment, the RTT chart read, the API restarted under the open page, and
// the availability report listing the outage. Screenshots of each page go to the artifacts.
func TestDashboardEndToEnd(t *testing.T) {
	testenv.RequireICMP(t)
	x := startE2E(t)
	x.signIn()
	x.importDevices()
	x.waitAPI("all 22 devices up", 8*interval, func(l standalone) bool { return l.count("up") == 22 })
	for _, d := range x.list().Devices {
		if d.Name == "ns-router" {
			x.router = d.ID
		}
	}

	overview, devices := x.b.ctx, x.b.tab()
	x.openOverview(overview)
	x.checkCounts(overview)
	x.b.shot(overview, "overview")
	x.b.do(devices, "open devices", chromedp.Navigate(x.front.URL()+"/#/devices"))
	x.b.wait(devices, "router row", fmt.Sprintf(`document.querySelector('.vrow[data-id="%d"]')?.dataset.status === 'up'`, x.router), 10*time.Second)
	if got := eval[string](x.b, devices, `document.getElementById('dev-count').textContent`); got != "22 of 22 devices" {
		t.Errorf("device count note = %q, want \"22 of 22 devices\"", got)
	}
	x.b.shot(devices, "devices")

	x.outage(overview, devices)
	x.acknowledge(devices)
	x.deviceDetail(devices)
	x.restartAndRecover(overview)
	x.availability(devices)
	x.b.do(overview, "wall mode", chromedp.Navigate(x.front.URL()+"/#/wall"))
	x.b.wait(overview, "wall mode", `document.body.classList.contains('wall') && document.querySelectorAll('.tile').length === 4`, 10*time.Second)
	x.b.shot(overview, "wall")
}

func startE2E(t *testing.T) *e2e {
	vm := testenv.NewVM(t)
	sink, err := tsdb.NewSink(tsdb.SinkParams{URL: vm.URL(), Spool: tsdb.NewSpool(testenv.NewDB(t), 0)})
	testenv.Must(t, "tsdb sink", err)
	querier, err := tsdb.NewQuerier(vm.URL(), nil)
	testenv.Must(t, "tsdb querier", err)
	host := testenv.NewHost(t, 61)
	host.AddAddr(t, "10.200.61.11")
	var eval lateHandler
	sys := harness.Start(t, harness.Options{PingInterval: interval, Samples: sink, Handlers: map[string]asynq.Handler{tasks.TypeAlertEval: &eval}})
	var h asynq.Handler = alert.NewEvaluator(alert.EvaluatorParams{Repo: sys.Store, Enqueuer: sys.Client,
		Rules: alert.NewRuleCache(sys.Redis, sys.Store.EnabledAlertRules), Publisher: events.NewPublisher(sys.Redis), Logger: sys.Logger})
	eval.h.Store(&h)
	x := &e2e{t: t, sys: sys, host: host, vm: vm}
	x.front = startFront(t, sys, querier)
	x.b = newBrowser(t)
	return x
}

// signIn: the dashboard asks for a sign-in, refuses a wrong password, accepts the right one.
func (x *e2e) signIn() {
	b, ctx := x.b, x.b.ctx
	authtest.User(x.t, x.sys.Auth, "noc-admin", auth.RoleAdmin)
	b.do(ctx, "open dashboard", chromedp.Navigate(x.front.URL()+"/"), chromedp.WaitVisible(chromedp.CSS("#login-user")))
	b.do(ctx, "wrong password", chromedp.SendKeys(chromedp.CSS("#login-user"), "noc-admin"),
		chromedp.SendKeys(chromedp.CSS("#login-pass"), "not the password"), chromedp.Click(chromedp.CSS("#login-form button")))
	b.wait(ctx, "sign-in refused", `!document.getElementById('login-error').hidden`, 10*time.Second)
	b.shot(ctx, "login")
	eval[bool](b, ctx, `(document.getElementById('login-pass').value = '') === ''`)
	b.do(ctx, "right password", chromedp.SendKeys(chromedp.CSS("#login-pass"), authtest.Password), chromedp.Click(chromedp.CSS("#login-form button")))
	b.wait(ctx, "signed in", `document.getElementById('who').textContent === 'noc-admin (admin)' && document.getElementById('login').hidden`, 10*time.Second)
}

// importDevices uploads a CSV with errors (nothing is written; the errors name their lines),
// then the good one, through the admin page.
func (x *e2e) importDevices() {
	t, b, ctx := x.t, x.b, x.b.ctx
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	testenv.Must(t, "write csv", os.WriteFile(bad, []byte("name,ip,branch\nok-1,127.61.0.1,BR-A\nno-ip,,BR-A\nbad-ip,300.1.1.1,BR-A\n"), 0o644))
	var good strings.Builder
	good.WriteString("name,ip,branch,region,type,parent\nns-router,10.200.61.2,BR-NS,north,router,\nns-atm,10.200.61.11,BR-NS,north,atm,ns-router\n")
	for i := 1; i <= 20; i++ {
		br, region := []string{"BR-A", "BR-B", "BR-C"}[i%3], "north"
		if br == "BR-C" {
			region = "south"
		}
		fmt.Fprintf(&good, "lo-%02d,127.61.0.%d,%s,%s,switch,\n", i, i, br, region)
	}
	goodPath := filepath.Join(dir, "good.csv")
	testenv.Must(t, "write csv", os.WriteFile(goodPath, []byte(good.String()), 0o644))

	b.do(ctx, "open admin", chromedp.Navigate(x.front.URL()+"/#/admin"), chromedp.WaitVisible(chromedp.CSS("#import-file")),
		chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{bad}), chromedp.Click(chromedp.CSS("#import-go")))
	b.wait(ctx, "import errors", `document.querySelectorAll('#import-errors tbody tr').length === 2`, 10*time.Second)
	got := eval[[]string](b, ctx, `[...document.querySelectorAll('#import-errors tbody tr')].map((r) => r.cells[0].textContent + ':' + r.cells[1].textContent)`)
	if diff := cmp.Diff([]string{"3:ip", "4:ip"}, got); diff != "" {
		t.Errorf("import errors (line:field) (-want +got):\n%s", diff)
	}
	if n := x.list().Count; n != 0 {
		t.Fatalf("a failed import wrote %d devices, want none", n)
	}
	b.shot(ctx, "admin-import-errors")
	b.do(ctx, "import good csv", chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{goodPath}), chromedp.Click(chromedp.CSS("#import-go")))
	b.wait(ctx, "import done", `document.getElementById('import-ok')?.textContent.includes('22 created')`, 15*time.Second)
	places := eval[[]string](b, ctx, `[...document.querySelectorAll('#import-places li')].map((li) => li.textContent)`)
	if diff := cmp.Diff([]string{"line 2: created region north", "line 2: created branch BR-NS in region north",
		"line 4: created branch BR-B in region north", "line 5: created region south", "line 5: created branch BR-C in region south",
		"line 6: created branch BR-A in region north"}, places); diff != "" {
		t.Errorf("import's place report on the page (-want +got):\n%s", diff)
	}
	if p := eval[float64](b, ctx, `document.getElementById('import-progress').value`); p != 1 {
		t.Errorf("upload progress bar at %v after the import, want 1", p)
	}
	b.shot(ctx, "admin")
}

func (x *e2e) openOverview(ctx context.Context) {
	x.b.do(ctx, "open overview", chromedp.Navigate(x.front.URL()+"/"))
	x.b.wait(ctx, "overview rendered", `document.body.dataset.rendered === '1' && document.getElementById('live').dataset.state === 'live'`, 15*time.Second)
}

// checkCounts compares the overview's counts with the API's standalone list: a down or unknown
// device with a blocked_by is counted unreachable, apart from down.
func (x *e2e) checkCounts(ctx context.Context) {
	got := eval[map[string]int](x.b, ctx, `Object.fromEntries([...document.querySelectorAll('#counts .count')].map((c) => [c.dataset.status, Number(c.querySelector('.count-n').textContent.replace(/\D/g, ''))]))`)
	l := x.list()
	want := map[string]int{"total": l.Count, "up": 0, "down": 0, "unreachable": 0, "degraded": 0, "maintenance": 0, "unknown": 0}
	for _, d := range l.Devices {
		if d.BlockedBy != nil && (d.Status == "down" || d.Status == "unknown") {
			want["unreachable"]++
		} else {
			want[string(d.Status)]++
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		x.t.Errorf("overview counts differ from the API (-want +got):\n%s", diff)
	}
	if n := eval[int](x.b, ctx, `document.querySelectorAll('.tile').length`); n != 4 {
		x.t.Errorf("%d branch tiles, want 4", n)
	}
}

// outage takes the namespace down and waits for the tile and the row to turn, with no reload.
func (x *e2e) outage(overview, devices context.Context) {
	b := x.b
	for _, ctx := range []context.Context{overview, devices} {
		eval[bool](b, ctx, `window.__sameDocument = true`)
	}
	x.host.Down(x.t)
	downAt := time.Now()
	x.waitAPI("the API reports the router down", 6*interval, func(l standalone) bool { return l.status(x.router) == "down" })
	apiAt := time.Now()
	b.wait(overview, "BR-NS tile down", `document.querySelector('.tile[data-branch="BR-NS"]')?.dataset.worst === 'down'`, 5*time.Second)
	x.t.Logf("BR-NS tile turned down %s after the link went down, %s after the API first said so (polled every 200 ms)",
		time.Since(downAt).Round(10*time.Millisecond), time.Since(apiAt).Round(10*time.Millisecond))
	b.wait(devices, "router row down", fmt.Sprintf(`document.querySelector('.vrow[data-id="%d"]')?.dataset.status === 'down'`, x.router), 5*time.Second)
	for _, ctx := range []context.Context{overview, devices} {
		if !eval[bool](b, ctx, `window.__sameDocument === true`) {
			x.t.Errorf("the page reloaded to show the change")
		}
	}
	if got := eval[string](b, overview, `document.querySelector('.tile[data-branch="BR-NS"] .badge-text').textContent`); got != "Down" {
		x.t.Errorf("tile badge text = %q, want Down (status by text as well as colour)", got)
	}
	x.checkCounts(overview)
	b.wait(overview, "incident on the overview", `[...document.querySelectorAll('#problems .prob[data-kind="incident"]')].some((e) => e.textContent.includes('ns-router'))`, 30*time.Second)
	b.shot(overview, "overview-outage")
	b.shot(devices, "devices-outage")
}

// acknowledge acknowledges the router's alert under its incident with a comment.
func (x *e2e) acknowledge(ctx context.Context) {
	b, t := x.b, x.t
	a := x.waitAlert("firing")
	b.do(ctx, "open alerts", chromedp.Navigate(x.front.URL()+"/#/alerts"))
	b.wait(ctx, "incident with its root alert", fmt.Sprintf(`!!document.querySelector('.incident-box .alert-row[data-alert="%d"]')`, a.ID), 15*time.Second)
	b.do(ctx, "unfold suppressed", chromedp.Click(chromedp.CSS(".incident-box .fold summary")))
	b.wait(ctx, "suppressed child", `[...document.querySelectorAll('.fold .alert-row')].some((r) => r.dataset.state === 'suppressed' && r.textContent.includes('ns-atm'))`, 10*time.Second)
	b.do(ctx, "acknowledge", chromedp.Click(chromedp.CSS(fmt.Sprintf(`.alert-row[data-alert="%d"] button[data-act="ack"]`, a.ID))),
		chromedp.WaitVisible(chromedp.CSS("#dialog-comment")), chromedp.SendKeys(chromedp.CSS("#dialog-comment"), "carrier ticket 4711"))
	b.shot(ctx, "alerts")
	b.do(ctx, "confirm", chromedp.Click(chromedp.CSS("#dialog-ok")))
	b.wait(ctx, "alert left the firing list", fmt.Sprintf(`!document.querySelector('.alert-row[data-alert="%d"]') && !document.getElementById('dialog').open`, a.ID), 10*time.Second)
	got, err := x.sys.Store.GetAlert(t.Context(), a.ID)
	testenv.Must(t, "read alert", err)
	if got.State != alert.StateAcknowledged || got.AckComment != "carrier ticket 4711" {
		t.Errorf("after acknowledging in the browser: state %q comment %q, want acknowledged with the comment", got.State, got.AckComment)
	}
	b.do(ctx, "acknowledged tab", chromedp.Click(chromedp.CSS(`button[data-state="acknowledged"]`)))
	b.wait(ctx, "acknowledged alert listed", fmt.Sprintf(`document.querySelector('.alert-row[data-alert="%d"]')?.textContent.includes('carrier ticket 4711')`, a.ID), 10*time.Second)
	b.shot(ctx, "alerts-acknowledged")
}

// deviceDetail opens the router and checks its RTT chart has points and a hover read-out.
func (x *e2e) deviceDetail(ctx context.Context) {
	b := x.b
	x.vm.Flush()
	x.waitSeriesPoints()
	b.do(ctx, "open device", chromedp.Navigate(fmt.Sprintf("%s/#/devices/%d", x.front.URL(), x.router)))
	b.wait(ctx, "rtt chart with points", `Number(document.querySelector('[data-metric="rtt"] svg.chart')?.dataset.points) > 0`, 15*time.Second)
	b.wait(ctx, "events timeline", `[...document.querySelectorAll('#events .ev-status')].length >= 2`, 10*time.Second)
	eval[bool](b, ctx, `(() => { const svg = document.querySelector('[data-metric="rtt"] svg.chart'); const r = svg.getBoundingClientRect();
		svg.dispatchEvent(new MouseEvent('mousemove', {clientX: r.left + r.width * 0.5, clientY: r.top + r.height / 2, bubbles: true})); return true; })()`)
	b.wait(ctx, "hover value", `!document.getElementById('tooltip').hidden && document.getElementById('tooltip').textContent.includes('ms')`, 5*time.Second)
	b.shot(ctx, "device")
}

// restartAndRecover restarts the API under the open overview, then brings the router back:
// the page must reconnect by itself and show the recovery with no reload.
func (x *e2e) restartAndRecover(ctx context.Context) {
	b := x.b
	x.front.restart()
	b.wait(ctx, "live again after the restart", `document.getElementById('live').dataset.state === 'live'`, 20*time.Second)
	x.host.Up(x.t)
	b.wait(ctx, "BR-NS tile up again", `document.querySelector('.tile[data-branch="BR-NS"]')?.dataset.worst === 'up'`, 8*interval+5*time.Second)
	if !eval[bool](b, ctx, `window.__sameDocument === true`) {
		x.t.Errorf("the overview reloaded across the API restart")
	}
}

// availability checks the report lists the outage and exports it as CSV.
func (x *e2e) availability(ctx context.Context) {
	b, t := x.b, x.t
	b.do(ctx, "open report", chromedp.Navigate(x.front.URL()+"/#/reports?range=1d"))
	b.wait(ctx, "ended outage listed", `[...document.querySelectorAll('#rep-outages tbody tr')].some((r) => r.cells[0].textContent === 'ns-router' && !r.textContent.includes('still down'))`, 15*time.Second)
	b.shot(ctx, "reports")
	resp, err := x.front.get("/api/v1/reports/availability?range=1d&format=csv&table=outages")
	testenv.Must(t, "get csv", err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || lines[0] != "device_id,device,branch,region,start,end,duration_s" ||
		!strings.Contains(string(body), ",ns-router,BR-NS,north,") {
		t.Errorf("outage CSV: %s %q", resp.Header.Get("Content-Type"), body)
	}
}

type standalone struct {
	Devices []store.StandaloneRow `json:"devices"`
	Count   int                   `json:"count"`
}

func (l standalone) count(status string) int {
	n := 0
	for _, d := range l.Devices {
		if string(d.Status) == status {
			n++
		}
	}
	return n
}

func (l standalone) status(id int64) string {
	for _, d := range l.Devices {
		if d.ID == id {
			return string(d.Status)
		}
	}
	return ""
}

func (x *e2e) list() standalone {
	x.t.Helper()
	var l standalone
	resp, err := x.front.get("/api/v1/devices/standalone/list")
	testenv.Must(x.t, "standalone list", err)
	defer resp.Body.Close()
	testenv.Must(x.t, "decode standalone list", json.NewDecoder(resp.Body).Decode(&l))
	return l
}

func (x *e2e) waitAPI(what string, within time.Duration, ok func(standalone) bool) {
	x.t.Helper()
	deadline := time.Now().Add(within)
	for {
		l := x.list()
		if ok(l) {
			return
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("%s: not within %s (%d devices, %d up)", what, within, l.Count, l.count("up"))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitAlert waits for the router's device_down alert in state.
func (x *e2e) waitAlert(state string) alert.Alert {
	x.t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	for time.Now().Before(deadline) {
		list, _, err := x.sys.Store.ListAlerts(x.t.Context(), store.AlertFilter{State: state, DeviceID: x.router})
		testenv.Must(x.t, "list alerts", err)
		for _, a := range list {
			if a.Kind == alert.KindDeviceDown {
				return a
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	x.t.Fatalf("no %s device_down alert for the router within 40s", state)
	return alert.Alert{}
}

// waitSeriesPoints waits until the router's 1h RTT series has a point: VictoriaMetrics makes
// fresh rows readable a second or two after they are written, and on a fast run the router's
// few up samples before the outage are that fresh.
func (x *e2e) waitSeriesPoints() {
	x.t.Helper()
	q, err := tsdb.NewQuerier(x.vm.URL(), nil)
	testenv.Must(x.t, "querier", err)
	deadline := time.Now().Add(2 * tsdb.StepFor(time.Hour))
	for {
		res, err := q.Series(x.t.Context(), tsdb.SeriesQuery{DeviceID: x.router, Metric: "rtt", Range: "1h"})
		if err == nil && len(res.Points) > 0 {
			return
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("the router's RTT series has no point %s after the outage: %v", 2*tsdb.StepFor(time.Hour), err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
