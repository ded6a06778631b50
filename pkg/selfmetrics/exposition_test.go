package selfmetrics_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v5"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/pkg/selfmetrics"
	"github.com/wardops/wardops/pkg/selfmetrics/selfmetricstest"
	"github.com/wardops/wardops/pkg/tsdb"
	"github.com/wardops/wardops/testinfra/testenv"
)

type queues struct{}

func (queues) GetQueueInfo(q string) (*asynq.QueueInfo, error) {
	return &asynq.QueueInfo{Queue: q, Size: 3, Pending: 2, Active: 1}, nil
}

// exercised is a registry with every metric the binaries register: the selfmetrics helpers
// (tasks, cycles, queues, HTTP, scheduler), the tsdb sink and the live-event hub.
func exercised(t *testing.T) *selfmetrics.Registry {
	t.Helper()
	reg := selfmetrics.New("test")
	h := reg.TaskMiddleware()(asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return errors.New("no") }))
	_ = h.ProcessTask(t.Context(), asynq.NewTask("ping:batch", nil))
	reg.ObserveCycleLag("ping", 30*time.Millisecond)
	reg.SlotSkipped("ping")
	reg.BatchRescued("ping:batch")
	reg.SlotEmitted("ping:cycle")
	reg.Leader(func() bool { return true })
	reg.QueueGauges(queues{}, []string{"default", "critical"})
	e := echo.New()
	e.Use(reg.EchoMiddleware())
	e.GET("/api/v1/devices/:id", func(c *echo.Context) error { return c.String(http.StatusOK, "ok") })
	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/api/v1/devices/7", nil))
	if _, err := tsdb.NewSink(tsdb.SinkParams{URL: "http://127.0.0.1:9", Spool: tsdb.NewSpool(nil, 0), Metrics: reg.Set()}); err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:9"}) // never dialled: nothing subscribes
	t.Cleanup(func() { _ = rdb.Close() })
	events.NewHub(events.HubParams{Redis: rdb, Metrics: reg.Set()})
	return reg
}

// TestExpositionHasHelpAndType parses /metrics with Prometheus' own parser: every family has
// HELP text and a TYPE, as `promtool check metrics` wants.
func TestExpositionHasHelpAndType(t *testing.T) {
	reg := exercised(t)
	rec := httptest.NewRecorder()
	reg.Endpoint().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	problems, n, err := selfmetricstest.Problems(rec.Body.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, rec.Body.String())
	}
	for _, p := range problems {
		t.Error(p)
	}
	if n < 60 {
		t.Errorf("%d families parsed; want the WardOps, Go and process ones (60+)", n)
	}
	for _, fam := range []string{"wardops_task_duration_seconds", "wardops_http_request_duration_seconds",
		"wardops_tsdb_write_duration_seconds", "wardops_queue_size", "wardops_sse_streams", "go_goroutines", "process_cpu_seconds_total"} {
		if !strings.Contains(rec.Body.String(), "# HELP "+fam+" ") {
			t.Errorf("no HELP text for %s", fam)
		}
	}
}

// TestDocumentedMetricsHaveHelp: every self-metric docs/METRICS.md names has a HELP text, so
// one registered lazily (on its first event) is described too.
func TestDocumentedMetricsHaveHelp(t *testing.T) {
	doc, err := os.ReadFile("../../docs/METRICS.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Self-metrics")
	if !ok {
		t.Fatal(`docs/METRICS.md has no "## Self-metrics" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	names := regexp.MustCompile("`(wardops_[a-z0-9_]+)`").FindAllStringSubmatch(section, -1)
	if len(names) < 20 {
		t.Fatalf("%d metric names in the section; the parse is broken", len(names))
	}
	for _, m := range names {
		if selfmetrics.Help(m[1]) == "" {
			t.Errorf("%s (docs/METRICS.md) has no HELP text in pkg/selfmetrics/help.go", m[1])
		}
	}
}

func TestWithHelpKeepsSamples(t *testing.T) {
	reg := selfmetrics.New("test")
	reg.SlotSkipped("snmp")
	var b bytes.Buffer
	reg.WritePrometheus(&b)
	for _, want := range []string{
		"# HELP wardops_cycle_skipped_slots_total " + selfmetrics.Help("wardops_cycle_skipped_slots_total") + "\n" +
			"# TYPE wardops_cycle_skipped_slots_total counter\n" + `wardops_cycle_skipped_slots_total{kind="snmp"} 1` + "\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("exposition lacks\n%s\ngot:\n%s", want, b.String())
		}
	}
}

// TestPromtoolAcceptsExposition runs Prometheus' own checker, `promtool check metrics` (Debian's
// prometheus package; scripts/services.sh installs it), on the exposition of every metric the
// binaries register: no "no help text", no naming or type problem.
func TestPromtoolAcceptsExposition(t *testing.T) {
	testenv.SkipShort(t, "promtool")
	bin, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool not found: run `bash scripts/services.sh` (installs Debian's prometheus package for it) or go test -short")
	}
	reg := exercised(t)
	rec := httptest.NewRecorder()
	reg.Endpoint().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	cmd := exec.CommandContext(t.Context(), bin, "check", "metrics")
	cmd.Stdin = bytes.NewReader(rec.Body.Bytes())
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}
