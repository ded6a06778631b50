package web_test

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/pkg/health"
	"github.com/wardops/wardops/pkg/monitoring"
	"github.com/wardops/wardops/pkg/schedule"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/testinfra/testenv"
)

// console is the system of TestMonitoringConsole: the API with asynqmon as cmd/api mounts it,
// a leading scheduler, tasks in every queue and a private VictoriaMetrics fed by the exporter.
type console struct {
	t    *testing.T
	url  string
	insp *asynq.Inspector
	vm   *testenv.VM
	auth *auth.Service
}

// TestMonitoringConsole opens asynqmon in headless chromium as an admin: the dashboard lists
// the four queues with the sizes Redis holds, the Schedulers tab the four WardOps cycles with
// their specs, a slot's cycle task opens by its slot-derived id, the Metrics tab draws from
// VictoriaMetrics and says so when it is down, and an admin's write from the page passes the
// CSRF check. An operator gets the read-only console with its banner and a refused write.
// The browser must report no CSP violation or exception, and request nothing but loopback.
func TestMonitoringConsole(t *testing.T) {
	c := startConsole(t)
	authtest.User(t, c.auth, "ops-admin", auth.RoleAdmin)
	authtest.User(t, c.auth, "ops-operator", auth.RoleOperator)

	b := newBrowser(t)
	requests := watchRequests(t, b.ctx)
	c.signIn(b, "ops-admin", "ops-admin (admin)")
	c.queues(b, false)
	c.schedulers(b)
	c.taskDetail(b)
	c.adminWrite(b)
	c.metrics(b)

	op := newBrowser(t)
	opRequests := watchRequests(t, op.ctx)
	c.signIn(op, "ops-operator", "ops-operator (operator)")
	c.queues(op, true)
	c.operatorRefused(op)

	for _, u := range append(requests(), opRequests()...) {
		if !loopback(u) {
			t.Errorf("the browser requested %s: not this host", u)
		}
	}
}

func startConsole(t *testing.T) *console {
	t.Helper()
	rdb := testenv.NewRedis(t)
	st := store.New(testenv.NewDB(t), 10*time.Second, nil)
	svc := authtest.NewService(t, auth.Params{Store: st, Redis: rdb})
	insp := asynq.NewInspectorFromRedisClient(rdb)
	client := asynq.NewClientFromRedisClient(rdb)
	t.Cleanup(func() { _ = insp.Close(); _ = client.Close() })
	vm := testenv.NewVM(t)

	// tasks in every queue: pending everywhere, one archived notify delivery with its error
	for q, n := range map[string]int{tasks.QueueCritical: 1, tasks.QueueDefault: 2, tasks.QueueNotify: 3, tasks.QueueLow: 4} {
		for i := 0; i < n; i++ {
			_, err := client.Enqueue(asynq.NewTask(tasks.TypeNotify, []byte(`{"alert_id":1,"channel_id":2}`)), asynq.Queue(q))
			testenv.Must(t, "enqueue", err)
		}
	}
	info, err := client.Enqueue(asynq.NewTask(tasks.TypeNotify, []byte(`{"alert_id":9}`)), asynq.Queue(tasks.QueueNotify))
	testenv.Must(t, "enqueue", err)
	testenv.Must(t, "archive", insp.ArchiveTask(tasks.QueueNotify, info.ID))

	// a first scheduler with one-second cycles leaves an enqueue history for every entry; the
	// scheduler of the test then runs the production intervals (its first slots are minutes away)
	jobs := func(fast bool) []schedule.Job {
		iv := func(d time.Duration) time.Duration {
			if fast {
				return time.Second
			}
			return d
		}
		return []schedule.Job{
			{TaskType: tasks.TypePingCycle, Queue: tasks.QueueDefault, Interval: iv(30 * time.Second)},
			{TaskType: tasks.TypeSNMPCycle, Queue: tasks.QueueDefault, Interval: iv(time.Minute)},
			{TaskType: tasks.TypeWorkerHealth, Queue: tasks.QueueCritical, Interval: iv(5 * time.Minute)},
			{TaskType: tasks.TypeRetention, Queue: tasks.QueueLow, Interval: iv(time.Hour), Offset: map[bool]time.Duration{true: 0, false: 7 * time.Minute}[fast]},
		}
	}
	runScheduler := func(fast bool) (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		s := schedule.New(schedule.Params{Redis: rdb, Client: client, Jobs: jobs(fast), Owner: fmt.Sprintf("scheduler-fast-%v", fast), LeaderTTL: 3 * time.Second})
		done := make(chan struct{})
		go func() { defer close(done); _ = s.Run(ctx) }()
		return func() { cancel(); <-done }
	}
	stop := runScheduler(true)
	for _, j := range jobs(true) {
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			if ev, _ := insp.ListSchedulerEnqueueEvents(j.TaskType); len(ev) > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no enqueue event of %s", j.TaskType)
			}
		}
	}
	stop()
	t.Cleanup(runScheduler(false))

	o := rdb.Options()
	ui, err := monitoring.NewUI(monitoring.UIParams{RedisConnOpt: asynq.RedisClientOpt{Addr: o.Addr, DB: o.DB}, MetricsURL: vm.URL()})
	testenv.Must(t, "asynqmon", err)
	t.Cleanup(func() { _ = ui.Close() })
	exp := monitoring.NewExporter(monitoring.ExporterParams{Queues: tasks.Queues(), Inspector: insp, URL: vm.URL(), Interval: time.Second})
	ectx, cancel := context.WithCancel(context.Background())
	go exp.Run(ectx)
	t.Cleanup(cancel)

	srv := api.New(api.Params{Auth: svc, Store: st, Redis: rdb, Client: client, Tasks: insp,
		Health: health.NewChecker(map[string]health.Check{}, time.Second), Monitoring: ui})
	monitoring.Register(srv, monitoring.NewControl(insp, svc.Audit(), tasks.Queues()))
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &console{t: t, url: hs.URL, insp: insp, vm: vm, auth: svc}
}

// watchRequests records the URL of every request the browser's tab sends.
func watchRequests(t *testing.T, ctx context.Context) func() []string {
	var mu sync.Mutex
	var urls []string
	events := chromedp.Events(ctx, network.RequestWillBeSent)
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("enable network events: %v", err)
	}
	go func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			mu.Lock()
			urls = append(urls, ev.Request.URL)
			mu.Unlock()
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(urls)
	}
}

func loopback(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "data", "blob", "about":
		return true
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

func (c *console) signIn(b *browser, user, who string) {
	c.t.Helper()
	b.do(b.ctx, "open dashboard", chromedp.Navigate(c.url+"/"), chromedp.WaitVisible(chromedp.CSS("#login-user")))
	for id, v := range map[string]string{"login-user": user, "login-pass": authtest.Password} {
		eval[bool](b, b.ctx, fmt.Sprintf(`(() => { const el = document.getElementById(%q); el.value = %q;
			el.dispatchEvent(new Event('input', {bubbles: true})); return true; })()`, id, v))
	}
	b.do(b.ctx, "sign in", chromedp.Click(chromedp.CSS("#login-form button")))
	b.wait(b.ctx, "signed in as "+user, fmt.Sprintf(`document.getElementById('who').textContent === %q`, who), 10*time.Second)
}

// shot writes a screenshot to test-artifacts/monitoring/.
func (c *console) shot(b *browser, name string) {
	c.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		c.t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join(filepath.Dir(artifactsDir(c.t)), "monitoring")
	testenv.Must(c.t, "artifacts folder", os.MkdirAll(dir, 0o755))
	p := filepath.Join(dir, name+".png")
	testenv.Must(c.t, "write screenshot", os.WriteFile(p, png, 0o644))
	c.t.Logf("screenshot %s", p)
}

const queueRows = `[...document.querySelectorAll('table[aria-label="queues overview table"] tbody tr')].map((r) => [...r.cells].map((td) => td.textContent.trim()))`

// queues opens the dashboard and waits until its table shows each queue with the size Redis
// holds (the page polls; the scheduler may add a slot meanwhile).
func (c *console) queues(b *browser, readOnly bool) {
	c.t.Helper()
	b.do(b.ctx, "open /monitoring/", chromedp.Navigate(c.url+"/monitoring/"))
	b.wait(b.ctx, "queue table", `document.querySelectorAll('table[aria-label="queues overview table"] tbody tr').length === 4`, 15*time.Second)
	var want, got map[string]string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		want = map[string]string{}
		for _, q := range tasks.Queues() {
			info, err := c.insp.GetQueueInfo(q)
			testenv.Must(c.t, "queue info", err)
			want[q] = fmt.Sprint(info.Size)
		}
		got = map[string]string{}
		for _, row := range eval[[][]string](b, b.ctx, queueRows) {
			if len(row) > 2 {
				got[row[0]] = row[2] // Queue, State, Size, …
			}
		}
		if cmp.Equal(want, got) {
			break
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		c.t.Errorf("queue sizes shown (-redis +page):\n%s", d)
	}
	heads := eval[[]string](b, b.ctx, `[...document.querySelectorAll('table[aria-label="queues overview table"] thead th')].map((th) => th.textContent.trim())`)
	if slices.Contains(heads, "Actions") == readOnly {
		c.t.Errorf("columns %v (read-only %v)", heads, readOnly)
	}
	banner := eval[string](b, b.ctx, `document.getElementById('wardops-readonly')?.innerText ?? ''`)
	if readOnly != strings.HasPrefix(banner, "Read-only.") {
		c.t.Errorf("read-only banner %q (read-only %v)", banner, readOnly)
	}
	c.shot(b, map[bool]string{false: "queues-admin", true: "queues-operator"}[readOnly])
}

func (c *console) schedulers(b *browser) {
	c.t.Helper()
	b.do(b.ctx, "open schedulers", chromedp.Navigate(c.url+"/monitoring/schedulers"))
	const rows = `[...document.querySelectorAll('table[aria-label="scheduler entries table"] tbody tr')].map((r) => r.textContent)`
	b.wait(b.ctx, "scheduler entries", `document.querySelectorAll('table[aria-label="scheduler entries table"] tbody tr').length === 4`, 15*time.Second)
	text := strings.Join(eval[[]string](b, b.ctx, rows), "\n")
	for _, want := range []string{"cycle:ping", "@every 30s", "cycle:snmp", "@every 1m", "ops:worker_health", "@every 5m",
		"ops:retention", "7 * * * *"} {
		if !strings.Contains(text, want) {
			c.t.Errorf("scheduler entries lack %q:\n%s", want, text)
		}
	}
	cells := eval[[][]string](b, b.ctx, `[...document.querySelectorAll('table[aria-label="scheduler entries table"] tbody tr')].map((r) => [...r.cells].map((td) => td.innerText.trim()))`)
	for _, row := range cells { // Entry ID, Spec, Type, Payload, Options, Next Enqueue, Prev Enqueue
		if len(row) < 7 || row[5] == "" || row[6] == "" || row[6] == "N/A" {
			c.t.Errorf("scheduler entry without next or previous enqueue: %q", row)
		}
	}
	c.shot(b, "schedulers")
	eval[bool](b, b.ctx, `(document.querySelector('table[aria-label="scheduler entries table"]').parentElement.scrollLeft = 5000, true)`)
	c.shot(b, "schedulers-next-prev")
	// the history of the ping entry names each slot's task by its slot-derived id
	b.do(b.ctx, "show ping history", chromedp.Click(chromedp.CSS(`table[aria-label="scheduler entries table"] tbody tr:first-child button[aria-label="expand row"]`)))
	b.wait(b.ctx, "enqueue history", `[...document.querySelectorAll('table[aria-label="scheduler enqueue events table"] tbody tr')].some((r) => r.innerText.includes('cycle:ping:'))`, 10*time.Second)
	c.shot(b, "scheduler-history")
}

// taskDetail opens the cycle task of the last ping slot by its slot-derived id.
func (c *console) taskDetail(b *browser) {
	c.t.Helper()
	ev, err := c.insp.ListSchedulerEnqueueEvents(tasks.TypePingCycle)
	testenv.Must(c.t, "enqueue events", err)
	id := ev[0].TaskID
	if !strings.HasPrefix(id, tasks.TypePingCycle+":") {
		c.t.Fatalf("enqueue event names task %q, want a slot-derived cycle id", id)
	}
	b.do(b.ctx, "open task", chromedp.Navigate(c.url+"/monitoring/queues/default/tasks/"+id))
	b.wait(b.ctx, "task detail", fmt.Sprintf(`document.body.innerText.includes(%q) && document.body.innerText.includes('"slot_start"')`, id), 15*time.Second)
	c.shot(b, "task-detail")
}

// adminWrite pauses and resumes the default queue with asynqmon's own buttons (its axios sends
// the session cookie; the console's CSRF script adds the token the API wants).
func (c *console) adminWrite(b *browser) {
	c.t.Helper()
	b.do(b.ctx, "open /monitoring/", chromedp.Navigate(c.url+"/monitoring/"))
	b.wait(b.ctx, "queue table", `document.querySelectorAll('table[aria-label="queues overview table"] tbody tr').length === 4`, 15*time.Second)
	for _, action := range []string{"Pause", "Resume"} {
		// the buttons appear while the pointer is over the row's action cell
		b.wait(b.ctx, action+" button", fmt.Sprintf(`(() => {
			const row = [...document.querySelectorAll('table[aria-label="queues overview table"] tbody tr')].find((r) => r.cells[0].textContent === 'default');
			const cell = row.cells[row.cells.length - 1];
			cell.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
			const btn = cell.querySelector('button[title="%s"]');
			if (btn) btn.click();
			return !!btn; })()`, action), 10*time.Second)
		paused := action == "Pause"
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			if info, _ := c.insp.GetQueueInfo(tasks.QueueDefault); info.Paused == paused {
				break
			}
			if time.Now().After(deadline) {
				c.t.Fatalf("%s clicked in asynqmon: the queue's paused state did not change", action)
			}
		}
		state := map[bool]string{true: "paused", false: "run"}[paused]
		b.wait(b.ctx, "state "+state, fmt.Sprintf(`[...document.querySelectorAll('table[aria-label="queues overview table"] tbody tr')].some((r) => r.cells[0].textContent === 'default' && r.cells[1].textContent === %q)`, state), 10*time.Second)
		if paused {
			c.shot(b, "queues-admin-paused")
		}
	}
}

// metrics shows the Metrics tab with VictoriaMetrics up, then down.
func (c *console) metrics(b *browser) {
	c.t.Helper()
	b.do(b.ctx, "open metrics", chromedp.Navigate(c.url+"/monitoring/q/metrics"))
	b.wait(b.ctx, "metrics charts", `document.querySelectorAll('.recharts-line').length > 0`, 20*time.Second)
	c.shot(b, "metrics")
	c.vm.Stop()
	b.do(b.ctx, "reopen metrics", chromedp.Navigate(c.url+"/monitoring/q/metrics"))
	b.wait(b.ctx, "metrics unavailable", `document.body.innerText.includes('Failed to get metrics data: Queue metrics unavailable: VictoriaMetrics at')`, 20*time.Second)
	c.shot(b, "metrics-down")
}

// operatorRefused: no row checkboxes or action buttons on a queue's page, and a write from the
// page is refused.
func (c *console) operatorRefused(b *browser) {
	c.t.Helper()
	b.do(b.ctx, "open default", chromedp.Navigate(c.url+"/monitoring/queues/default?status=pending"))
	b.wait(b.ctx, "pending tasks", `document.querySelectorAll('table[aria-label="pending tasks table"] tbody tr').length > 0`, 15*time.Second)
	if n := eval[int](b, b.ctx, `document.querySelectorAll('input[aria-label="select all tasks shown in the table"]').length`); n != 0 {
		c.t.Errorf("operator sees %d select-all checkboxes, want none", n)
	}
	code := c.xhrPost(b, "/monitoring/api/queues/default:pause")
	if code != 403 {
		c.t.Errorf("operator pause from the page: HTTP %d, want 403", code)
	}
	c.shot(b, "queue-operator")
}

// xhrPost posts from the page with XMLHttpRequest, as asynqmon's axios does, and returns the status.
func (c *console) xhrPost(b *browser, path string) int {
	c.t.Helper()
	code, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](fmt.Sprintf(`new Promise((ok) => { const x = new XMLHttpRequest();
		x.open('POST', %q); x.onload = () => ok(x.status); x.onerror = () => ok(-1); x.send(); })`, path), chromedp.EvalAwaitPromise))
	if err != nil {
		c.t.Fatalf("POST %s from the page: %v", path, err)
	}
	return code
}
