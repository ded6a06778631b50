package chaos_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/schedule"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/testinfra/chaos"
	"github.com/wardops/wardops/testinfra/testenv"
)

// binDir holds the binaries built once by TestMain for every test of this package.
var binDir string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run()) // the process tests skip; the pure ones need no binaries
	}
	dir, err := os.MkdirTemp("", "wardops-chaos-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := chaos.Build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "chaos: build the binaries:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// params are the knobs scripts/chaos.sh turns for the long runs.
type params struct {
	devices  int
	interval time.Duration
	outage   time.Duration
	tail     int // complete cycles measured after recovery
}

func chaosParams(t *testing.T) params {
	p := params{devices: 200, interval: 3 * time.Second, tail: 3}
	if v := os.Getenv("WARDOPS_CHAOS_DEVICES"); v != "" {
		n, err := strconv.Atoi(v)
		testenv.Must(t, "WARDOPS_CHAOS_DEVICES", err)
		p.devices = n
	}
	if v := os.Getenv("WARDOPS_CHAOS_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		testenv.Must(t, "WARDOPS_CHAOS_INTERVAL", err)
		p.interval = d
	}
	p.outage = 3 * p.interval
	if v := os.Getenv("WARDOPS_CHAOS_OUTAGE"); v != "" {
		d, err := time.ParseDuration(v)
		testenv.Must(t, "WARDOPS_CHAOS_OUTAGE", err)
		p.outage = d
	}
	return p
}

func start(t *testing.T, p params, o chaos.Options) *chaos.Stack {
	t.Helper()
	testenv.RequireRoot(t, "the chaos tests run the worker, which needs raw ICMP sockets")
	o.Bin, o.Devices, o.Interval, o.NoDedup = binDir, p.devices, p.interval, true
	s := chaos.Start(t, o)
	s.LogsOnFailure()
	return s
}

// measure waits for tail complete cycles after recovery, then measures from `from` to the
// last slot that had time to finish.
func measure(t *testing.T, s *chaos.Stack, p params, fault, notes string, from, down, up time.Time, recover time.Duration) chaos.Result {
	t.Helper()
	time.Sleep(time.Duration(p.tail+1) * p.interval)
	to := schedule.SlotStart(time.Now(), p.interval, 0).Add(-p.interval)
	ctx := testenv.Ctx(t, 3*time.Minute)
	r, err := s.Measure(ctx, chaos.Window{From: from, To: to}, 2*time.Minute)
	testenv.Must(t, "measure", err)
	r.Fault, r.Notes = fault, notes
	r.OutageS = up.Sub(down).Seconds()
	r.OutageSlots = chaos.SlotsIn(down, up, p.interval)
	r.RecoverS = recover.Seconds()
	r.Command = fmt.Sprintf("WARDOPS_CHAOS_DEVICES=%d WARDOPS_CHAOS_INTERVAL=%s WARDOPS_CHAOS_OUTAGE=%s go test -run '%s$' ./testinfra/chaos/",
		p.devices, p.interval, p.outage, t.Name())
	report(t, r)
	return r
}

// report logs the result and appends it to WARDOPS_CHAOS_REPORT (JSON lines) when set.
func report(t *testing.T, r chaos.Result) {
	t.Helper()
	t.Logf("%s: slots %d, cycles lost %d, partial %d (rows missing %d), duplicate rows %d, duplicate events %d, samples lost %d, VM duplicates %d, outage %.1fs (%d slots), recovered in %.1fs %s",
		r.Fault, r.Slots, r.CyclesLost, r.PartialCycles, r.RowsMissing, r.DuplicateRows, r.DuplicateEvents, r.SamplesLost,
		r.VMDuplicates, r.OutageS, r.OutageSlots, r.RecoverS, r.Notes)
	path := os.Getenv("WARDOPS_CHAOS_REPORT")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	testenv.Must(t, "open report", err)
	defer f.Close()
	b, _ := json.Marshal(r)
	_, err = f.Write(append(b, '\n'))
	testenv.Must(t, "write report", err)
}

// noDuplicatesNoLoss is what every fault must keep: no row or event twice, no stored result
// without its sample, no sample written twice.
func noDuplicatesNoLoss(t *testing.T, r chaos.Result) {
	t.Helper()
	if r.DuplicateRows != 0 || r.DuplicateEvents != 0 || r.SamplesLost != 0 || r.VMDuplicates != 0 {
		t.Errorf("%s: duplicate rows %d, duplicate events %d, samples lost %d, VM duplicates %d: want all 0",
			r.Fault, r.DuplicateRows, r.DuplicateEvents, r.SamplesLost, r.VMDuplicates)
	}
}

// warmFrom waits a cycle and returns the start of the next slot, where the window begins.
func warmFrom(p params) time.Time {
	next := schedule.SlotStart(time.Now(), p.interval, 0).Add(p.interval)
	time.Sleep(time.Until(next) + p.interval)
	return next
}

// TestRedisRestart: the broker goes away (clean shutdown; AOF on) for the outage and comes
// back. Cycles are lost only while it is down; nothing is duplicated.
func TestRedisRestart(t *testing.T) {
	p := chaosParams(t)
	s := start(t, p, chaos.Options{})
	from := warmFrom(p)
	down := time.Now()
	s.Redis.Stop(syscall.SIGTERM)
	time.Sleep(p.outage)
	s.Redis.Start()
	up := time.Now()
	rec := s.WaitCompleteSlot(up, time.Minute)
	r := measure(t, s, p, "Redis restart", "SIGTERM, append-only file on", from, down, up, rec)
	noDuplicatesNoLoss(t, r)
	if lost := r.CyclesLost + r.PartialCycles; lost > r.OutageSlots+1 {
		t.Errorf("%d cycles lost or partial for %d slots of outage: more than the outage", lost, r.OutageSlots)
	}
}

// TestPostgresRestart: PostgreSQL crashes (immediate stop: WAL replay at start) for the
// outage. Results of slots that could not be written are lost with them; nothing is
// duplicated and every stored result has its sample.
func TestPostgresRestart(t *testing.T) {
	p := chaosParams(t)
	s := start(t, p, chaos.Options{})
	from := warmFrom(p)
	down := time.Now()
	s.PG.Stop("immediate")
	time.Sleep(p.outage)
	s.PG.Start()
	up := time.Now()
	rec := s.WaitCompleteSlot(up, time.Minute)
	r := measure(t, s, p, "PostgreSQL restart", "crash: pg_ctl stop -m immediate", from, down, up, rec)
	noDuplicatesNoLoss(t, r)
	if lost := r.CyclesLost + r.PartialCycles; lost > r.OutageSlots+2 {
		t.Errorf("%d cycles lost or partial for %d slots of outage", lost, r.OutageSlots)
	}
	for _, w := range s.Workers {
		if !w.Running() {
			t.Errorf("%s exited during the database outage", w.Name)
		}
	}
}

// TestVictoriaMetricsOutage: VictoriaMetrics is down for several cycles. Samples are spooled
// in PostgreSQL and sent when it is back: no cycle and no sample lost.
func TestVictoriaMetricsOutage(t *testing.T) {
	p := chaosParams(t)
	s := start(t, p, chaos.Options{})
	from := warmFrom(p)
	down := time.Now()
	s.VM.Stop()
	time.Sleep(p.outage)
	var spooled int64
	testenv.Must(t, "read the spool", s.DB.QueryRow(testenv.Ctx(t, time.Minute), `SELECT samples FROM tsdb_spool_state`).Scan(&spooled))
	s.VM.Start()
	up := time.Now()
	rec, err := s.WaitSpoolEmpty(testenv.Ctx(t, 3*time.Minute), 2*time.Minute)
	testenv.Must(t, "drain the spool", err)
	r := measure(t, s, p, "VictoriaMetrics down", fmt.Sprintf("%d samples spooled in PostgreSQL; recovery = spool drained", spooled), from, down, up, rec)
	noDuplicatesNoLoss(t, r)
	if spooled == 0 {
		t.Error("nothing was spooled while VictoriaMetrics was down: the outage was not exercised")
	}
	if r.CyclesLost+r.PartialCycles != 0 {
		t.Errorf("%d cycles lost, %d partial: VictoriaMetrics being down must not cost a cycle", r.CyclesLost, r.PartialCycles)
	}
}

// TestSchedulerLeaderKilled: the leading scheduler is SIGKILLed (its lease is not released);
// the standby takes over when the lease expires, within two intervals, and no slot is emitted
// twice.
func TestSchedulerLeaderKilled(t *testing.T) {
	p := chaosParams(t)
	s := start(t, p, chaos.Options{})
	ctx := testenv.Ctx(t, 5*time.Minute)
	from := warmFrom(p)
	owner, err := s.LeaderOwner(ctx)
	testenv.Must(t, "read the lease", err)
	pid, _ := strconv.Atoi(owner[strings.LastIndex(owner, "-")+1:])
	leader := s.SchedulerByPID(pid)
	if leader == nil {
		t.Fatalf("lease owner %q is none of the schedulers", owner)
	}
	down := time.Now()
	leader.Kill()
	var takeover time.Duration
	for {
		o, err := s.LeaderOwner(ctx)
		if err == nil && o != owner {
			takeover = time.Since(down)
			break
		}
		if time.Since(down) > time.Minute {
			t.Fatalf("no scheduler took the lease within a minute")
		}
		time.Sleep(50 * time.Millisecond)
	}
	leader.Start() // the supervisor restarts it; it stands by
	up := down.Add(takeover)
	rec := s.WaitCompleteSlot(up, time.Minute)
	r := measure(t, s, p, "scheduler leader SIGKILL", fmt.Sprintf("standby took the lease after %.1fs (TTL 3s)", takeover.Seconds()),
		from, down, up, rec)
	noDuplicatesNoLoss(t, r)
	if takeover > 2*p.interval+time.Second {
		t.Errorf("takeover took %s, more than two intervals", takeover)
	}
	if r.CyclesLost > 1 || r.PartialCycles > 0 {
		t.Errorf("%d cycles lost, %d partial across a scheduler failover", r.CyclesLost, r.PartialCycles)
	}
}

// TestWorkerKilledMidBatch: one of two workers is SIGKILLed while it pings a batch (a device in
// a namespace whose link is down keeps every batch busy for the ping timeout) and restarted a
// second later, as a supervisor would. The batches it held stop renewing their leases; the
// rescuer of the other worker (or of the restarted one) re-enqueues them a heartbeat TTL later
// (1 s here), within their slot: no cycle is lost, none is partial, and the originals, which
// asynq recovers only after its 30 s lease, find their batches done.
func TestWorkerKilledMidBatch(t *testing.T) {
	p := chaosParams(t)
	s := start(t, p, chaos.Options{Workers: 2, Dead: 4})
	from := warmFrom(p)
	victim, inFlight := waitBatchInFlight(t, s.Workers)
	down := time.Now()
	victim.Kill()
	time.Sleep(time.Second)
	victim.Start()
	up := time.Now()
	rec := s.WaitCompleteSlot(up, time.Minute)
	r := measure(t, s, p, "worker SIGKILL mid-batch", fmt.Sprintf("1 of 2 workers killed with %.0f batches in flight, restarted after 1s; %s",
		inFlight, rescuedNote(s.Workers)), from, down, up, rec)
	noDuplicatesNoLoss(t, r)
	if r.CyclesLost+r.PartialCycles != 0 {
		t.Errorf("%d cycles lost, %d partial: the killed worker's batches must be rescued within their slot", r.CyclesLost, r.PartialCycles)
	}
}

// rescuedNote sums wardops_batches_rescued_total of the ping batches over the workers (the
// restarted victim's count starts again at 0, but the batches it held were rescued after it died).
func rescuedNote(workers []*chaos.Proc) string {
	var n float64
	for _, w := range workers {
		v, _ := w.Metric(`wardops_batches_rescued_total{type="` + tasks.TypePingBatch + `"}`)
		n += v
	}
	return fmt.Sprintf("%.0f batches rescued", n)
}

// TestWorkerSIGTERMMidBatch: a worker told to stop (SIGTERM, as Docker or systemd do) while it
// pings a batch stops taking tasks, finishes the batch, and exits 0 within its shutdown timeout
// (5s here): no row of the slot is missing.
func TestWorkerSIGTERMMidBatch(t *testing.T) {
	p := chaosParams(t)
	s := start(t, p, chaos.Options{Workers: 2, Dead: 4})
	from := warmFrom(p)
	victim, inFlight := waitBatchInFlight(t, s.Workers)
	down := time.Now()
	victim.Signal(syscall.SIGTERM)
	code, took, err := victim.Wait(30 * time.Second)
	testenv.Must(t, "wait for the worker to exit", err)
	if code != 0 {
		t.Errorf("worker exited %d after SIGTERM, want 0", code)
	}
	if took > 10*time.Second {
		t.Errorf("worker took %s to stop, beyond its 5s shutdown timeout", took)
	}
	victim.Start()
	up := time.Now()
	rec := s.WaitCompleteSlot(up, time.Minute)
	r := measure(t, s, p, "worker SIGTERM mid-batch",
		fmt.Sprintf("1 of 2 workers stopped with %.0f batches in flight: exit %d after %.2fs, restarted", inFlight, code, took.Seconds()),
		from, down, up, rec)
	noDuplicatesNoLoss(t, r)
	if r.CyclesLost+r.PartialCycles != 0 {
		t.Errorf("%d cycles lost, %d partial: a stopping worker must finish its in-flight batches", r.CyclesLost, r.PartialCycles)
	}
}

// waitBatchInFlight returns the first worker seen processing a ping batch (its in-flight gauge,
// read from /metrics) and how many it processes.
func waitBatchInFlight(t *testing.T, workers []*chaos.Proc) (*chaos.Proc, float64) {
	t.Helper()
	series := `wardops_tasks_in_flight{type="` + tasks.TypePingBatch + `"}`
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		for _, w := range workers {
			if n, _ := w.Metric(series); n >= 1 {
				return w, n
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no worker seen processing a ping batch within a minute (series %s)", series)
	return nil, 0
}

// TestAPIRestart: the API gets SIGTERM with a live-event stream open. It ends the stream
// cleanly, drains, exits 0, and starts again; the cycles never notice.
func TestAPIRestart(t *testing.T) {
	p := chaosParams(t)
	const password = "chaos-admin-password"
	s := start(t, p, chaos.Options{AdminPassword: password})
	from := warmFrom(p)
	client := signIn(t, s.APIURL, password)
	stream := openEvents(t, client, s.APIURL)
	ended := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, stream)
		ended <- err
	}()
	down := time.Now()
	s.API.Signal(syscall.SIGTERM)
	select {
	case err := <-ended:
		if err != nil {
			t.Errorf("the live-event stream ended with %v, want a clean end", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("the live-event stream was still open 5s after SIGTERM")
	}
	code, took, err := s.API.Wait(20 * time.Second)
	testenv.Must(t, "wait for the API to exit", err)
	if code != 0 {
		t.Errorf("api exited %d after SIGTERM, want 0", code)
	}
	s.API.Start()
	back := s.WaitAPI(time.Minute)
	up := time.Now()
	r := measure(t, s, p, "API restart", fmt.Sprintf("SIGTERM with an SSE stream open: stream closed, exit 0 after %.2fs; answering again %.1fs after start",
		took.Seconds(), back.Seconds()), from, down, up, up.Sub(down))
	noDuplicatesNoLoss(t, r)
	if r.CyclesLost+r.PartialCycles != 0 {
		t.Errorf("%d cycles lost, %d partial across an API restart", r.CyclesLost, r.PartialCycles)
	}
}

func signIn(t *testing.T, base, password string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := c.Post(base+"/api/v1/auth/login", "application/json",
		strings.NewReader(`{"username":"admin","password":"`+password+`"}`))
	testenv.Must(t, "sign in", err)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("sign in: %s: %s", resp.Status, b)
	}
	return &http.Client{Jar: jar} // no timeout: it reads a stream
}

// openEvents opens GET /api/v1/events and waits for the stream's first comment.
func openEvents(t *testing.T, c *http.Client, base string) io.ReadCloser {
	t.Helper()
	resp, err := c.Get(base + "/api/v1/events")
	testenv.Must(t, "open the live-event stream", err)
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("live events: %s", resp.Status)
	}
	buf := make([]byte, 64)
	n, err := resp.Body.Read(buf)
	if err != nil || !strings.Contains(string(buf[:n]), "retry:") {
		t.Fatalf("live events: first read %q, %v", buf[:n], err)
	}
	return resp.Body
}
