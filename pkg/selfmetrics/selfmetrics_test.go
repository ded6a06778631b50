package selfmetrics

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v5"
)

// scrape returns the registry's samples by series (name{labels}) → value.
func scrape(t *testing.T, r *Registry) map[string]float64 {
	t.Helper()
	var buf bytes.Buffer
	r.WritePrometheus(&buf)
	return parseText(t, buf.String())
}

func parseText(t *testing.T, text string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

// pick returns the values of the given series (missing ones as NaN-free -1).
func pick(m map[string]float64, keys ...string) map[string]float64 {
	out := map[string]float64{}
	for _, k := range keys {
		v, ok := m[k]
		if !ok {
			v = -1
		}
		out[k] = v
	}
	return out
}

func TestTaskMiddleware(t *testing.T) {
	r := New("worker")
	mw := r.TaskMiddleware()
	ok := mw(asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return nil }))
	bad := mw(asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return errors.New("boom") }))
	panicky := mw(asynq.HandlerFunc(func(context.Context, *asynq.Task) error { panic("oops") }))
	ctx := t.Context()
	_ = ok.ProcessTask(ctx, asynq.NewTask("ping:batch", nil))
	_ = ok.ProcessTask(ctx, asynq.NewTask("ping:batch", nil))
	_ = bad.ProcessTask(ctx, asynq.NewTask("snmp:batch", nil))
	func() {
		defer func() { _ = recover() }()
		_ = panicky.ProcessTask(ctx, asynq.NewTask("alert:eval", nil))
	}()
	want := map[string]float64{
		`wardops_tasks_processed_total{type="ping:batch"}`:       2,
		`wardops_tasks_failed_total{type="ping:batch"}`:          -1,
		`wardops_tasks_processed_total{type="snmp:batch"}`:       1,
		`wardops_tasks_failed_total{type="snmp:batch"}`:          1,
		`wardops_tasks_processed_total{type="alert:eval"}`:       1,
		`wardops_tasks_failed_total{type="alert:eval"}`:          1,
		`wardops_task_duration_seconds_count{type="ping:batch"}`: 2,
		`wardops_tasks_in_flight{type="ping:batch"}`:             0,
	}
	got := pick(scrape(t, r), keys(want)...)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("task metrics (-want +got):\n%s", diff)
	}
}

func keys(m map[string]float64) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestCycleMetrics(t *testing.T) {
	r := New("scheduler")
	r.ObserveCycleLag("ping", 1500*time.Millisecond)
	r.ObserveCycleLag("ping", 20*time.Millisecond)
	r.SlotSkipped("ping")
	r.SlotSkipped("ping")
	r.SlotSkipped("snmp")
	want := map[string]float64{
		`wardops_cycle_lag_seconds_count{kind="ping"}`:            2,
		`wardops_cycle_lag_seconds_bucket{kind="ping",le="0.05"}`: 1,
		`wardops_cycle_last_lag_seconds{kind="ping"}`:             0.02,
		`wardops_cycle_skipped_slots_total{kind="ping"}`:          2,
		`wardops_cycle_skipped_slots_total{kind="snmp"}`:          1,
	}
	if diff := cmp.Diff(want, pick(scrape(t, r), keys(want)...)); diff != "" {
		t.Errorf("cycle metrics (-want +got):\n%s", diff)
	}
}

func TestEchoMiddleware(t *testing.T) {
	r := New("api")
	e := echo.New()
	e.Use(r.EchoMiddleware())
	e.GET("/api/v1/devices/:id", func(c *echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"id": c.Param("id")}) })
	e.GET("/api/v1/bad", func(c *echo.Context) error { return echo.ErrBadRequest })
	for _, p := range []string{"/api/v1/devices/1", "/api/v1/devices/2", "/api/v1/bad", "/nope"} {
		e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, p, nil))
	}
	got := scrape(t, r)
	want := map[string]float64{
		`wardops_http_request_duration_seconds_count{route="/api/v1/devices/:id",method="GET",code="200"}`: 2,
		`wardops_http_request_duration_seconds_count{route="/api/v1/bad",method="GET",code="400"}`:         1,
	}
	if diff := cmp.Diff(want, pick(got, keys(want)...)); diff != "" {
		t.Errorf("http metrics (-want +got):\n%s", diff)
	}
	n404 := 0
	for k, v := range got {
		if strings.HasPrefix(k, "wardops_http_request_duration_seconds_count{") && strings.Contains(k, `code="404"`) {
			n404 += int(v)
			if strings.Contains(k, "/nope") {
				t.Errorf("unmatched path became a route label: %s", k)
			}
		}
	}
	if n404 != 1 {
		t.Errorf("%d requests counted with 404, want 1", n404)
	}
}

// fakeInspector records GetQueueInfo calls.
type fakeInspector struct {
	mu    sync.Mutex
	calls map[string]int
	info  map[string]*asynq.QueueInfo
	err   error
}

func (f *fakeInspector) GetQueueInfo(q string) (*asynq.QueueInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[q]++
	if f.err != nil {
		return nil, f.err
	}
	if i, ok := f.info[q]; ok {
		return i, nil
	}
	return nil, asynq.ErrQueueNotFound
}

func TestQueueGauges(t *testing.T) {
	insp := &fakeInspector{calls: map[string]int{}, info: map[string]*asynq.QueueInfo{
		"critical": {Size: 7, Pending: 5, Active: 2, Latency: 1500 * time.Millisecond},
	}}
	r := New("worker")
	r.QueueGauges(insp, []string{"critical", "low"})
	got := scrape(t, r)
	want := map[string]float64{
		`wardops_queue_size{queue="critical"}`:            7,
		`wardops_queue_pending{queue="critical"}`:         5,
		`wardops_queue_active{queue="critical"}`:          2,
		`wardops_queue_latency_seconds{queue="critical"}`: 1.5,
		`wardops_queue_pending{queue="low"}`:              0,
	}
	if diff := cmp.Diff(want, pick(got, keys(want)...)); diff != "" {
		t.Errorf("queue gauges (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"critical": 1, "low": 1}, insp.calls); diff != "" {
		t.Errorf("inspector calls per scrape (-want +got):\n%s", diff)
	}

	failing := &fakeInspector{calls: map[string]int{}, err: errors.New("redis down")}
	r2 := New("worker")
	r2.QueueGauges(failing, []string{"default"})
	var buf bytes.Buffer
	r2.WritePrometheus(&buf)
	if !strings.Contains(buf.String(), `wardops_queue_pending{queue="default"} NaN`) {
		t.Errorf("a failed read should be NaN:\n%s", buf.String())
	}
}

func TestServer(t *testing.T) {
	r := New("worker")
	r.SlotSkipped("ping")
	addr, stop := runServer(t, r)
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	got := parseText(t, string(body))
	if got[`wardops_cycle_skipped_slots_total{kind="ping"}`] != 1 || got["go_goroutines"] == 0 {
		t.Errorf("/metrics lacks the registry's or the Go metrics:\n%s", body)
	}
	if err := stop(); err != nil {
		t.Errorf("Run after cancel = %v, want nil", err)
	}
	if _, err := r.NewServer("127.0.0.1:bad", nil); err == nil {
		t.Errorf("NewServer with a bad address succeeded")
	}
}

// The profiler is served only when asked for (WARDOPS_PPROF).
func TestServerPprof(t *testing.T) {
	for _, on := range []bool{false, true} {
		r := New("worker")
		r.ServePprof(on)
		addr, stop := runServer(t, r)
		resp, err := http.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if served := resp.StatusCode == http.StatusOK && strings.Contains(string(body), "goroutine profile"); served != on {
			t.Errorf("pprof on=%v: status %d, served %v", on, resp.StatusCode, served)
		}
		_ = stop()
	}
}

// runServer serves r's metrics server on a free loopback port; stop ends it and returns Run's error.
func runServer(t *testing.T, r *Registry) (addr string, stop func() error) {
	t.Helper()
	srv, err := r.NewServer("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	return srv.Addr(), func() error { cancel(); return <-done }
}

func TestPush(t *testing.T) {
	bodies := make(chan string, 10)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var rd io.Reader = req.Body
		if req.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(req.Body)
			if err != nil {
				t.Errorf("gzip: %v", err)
				return
			}
			rd = zr
		}
		b, _ := io.ReadAll(rd)
		select {
		case bodies <- req.Method + " " + string(b):
		default:
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer recv.Close()
	r := New("worker")
	r.SlotSkipped("snmp")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	err := r.StartPush(ctx, PushParams{URL: recv.URL + "/api/v1/import/prometheus", Interval: 50 * time.Millisecond, ExtraLabels: `job="wardops-worker",instance="test"`})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-bodies:
		want := `wardops_cycle_skipped_slots_total{job="wardops-worker",instance="test",kind="snmp"} 1`
		if !strings.HasPrefix(b, "POST ") || !strings.Contains(b, want) {
			t.Errorf("pushed body lacks %q:\n%.500s", want, b)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing pushed within 5s")
	}
	if err := r.StartPush(ctx, PushParams{URL: "not a url"}); err == nil {
		t.Errorf("StartPush with a bad URL succeeded")
	}
}
