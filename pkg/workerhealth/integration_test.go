package workerhealth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/health"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/pkg/tsdb"
	"github.com/wardops/wardops/pkg/workerhealth"
	"github.com/wardops/wardops/testinfra/testenv"
)

// liveSystem is a real Redis DB with one asynq server (concurrency 3, serving only "default")
// busy with one task, and 4 tasks waiting in "low", which nobody serves.
type liveSystem struct {
	st     *store.Store
	insp   *asynq.Inspector
	client *asynq.Client
	spool  *tsdb.Spool
}

func newLiveSystem(t *testing.T) liveSystem {
	t.Helper()
	pool := testenv.NewDB(t)
	rdb := testenv.NewRedis(t)
	client := asynq.NewClientFromRedisClient(rdb)
	t.Cleanup(func() { _ = client.Close() })
	insp := asynq.NewInspectorFromRedisClient(rdb)
	t.Cleanup(func() { _ = insp.Close() })
	release := make(chan struct{})
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: 3, Queues: map[string]int{"default": 1},
		LogLevel: asynq.FatalLevel, ShutdownTimeout: time.Second})
	testenv.Must(t, "start asynq server", srv.Start(asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	})))
	t.Cleanup(func() { close(release); srv.Shutdown() })
	_, err := client.Enqueue(asynq.NewTask(tasks.TypePingBatch, nil), asynq.Queue("default"))
	testenv.Must(t, "enqueue busy task", err)
	for range 4 {
		_, err := client.Enqueue(asynq.NewTask(tasks.TypeRetention, nil), asynq.Queue("low"))
		testenv.Must(t, "enqueue waiting task", err)
	}
	waitFor(t, "the server's heartbeat with one busy worker", func() bool {
		s, err := insp.Servers()
		return err == nil && len(s) == 1 && len(s[0].ActiveWorkers) == 1
	})
	return liveSystem{st: store.New(pool, 10*time.Second, nil), insp: insp, client: client, spool: tsdb.NewSpool(pool, 1000)}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestHandlerStoresAndEvaluates: a worker-health task stores one sample per slot (a retry
// replaces it) and enqueues one system evaluation carrying the sample's metrics.
func TestHandlerStoresAndEvaluates(t *testing.T) {
	t.Parallel()
	sys := newLiveSystem(t)
	ctx := testenv.Ctx(t, time.Minute)
	now := time.Now().UTC().Truncate(time.Second)
	h := workerhealth.NewHandler(workerhealth.Params{Inspector: sys.insp, Spool: sys.spool, Store: sys.st, Alerts: sys.client,
		Now: func() time.Time { return now }})
	p := tasks.CyclePayload{Slot: 99, SlotStart: now.Truncate(5 * time.Minute), Interval: 5 * time.Minute}
	task := asynq.NewTask(tasks.TypeWorkerHealth, tasks.Encode(p))
	for run := range 2 { // the second run is a retry of the same slot
		testenv.Must(t, "process", h.ProcessTask(ctx, task))
		got, err := sys.st.LatestWorkerHealth(ctx)
		testenv.Must(t, "read sample", err)
		// the retry also sees the evaluation the first run queued on critical
		want := []any{p.SlotStart, 1, 3, 1, 4 + run, 4, "low", 1}
		gotF := []any{got.At, got.Servers, got.Concurrency, got.Busy, got.Pending, got.MaxPending, got.MaxPendingQueue, got.Active}
		if diff := cmp.Diff(want, gotF); diff != "" {
			t.Errorf("run %d: at, servers, concurrency, busy, pending, max pending, its queue, active (-want +got):\n%s", run, diff)
		}
		if got.MaxLatencyMS <= 0 || len(got.Queues) != 2+run || len(got.ServerList) != 1 {
			t.Errorf("run %d: latency %d ms, queues %v, servers %v", run, got.MaxLatencyMS, got.Queues, got.ServerList)
		}
	}
	rows, err := sys.st.WorkerHealthSince(ctx, time.Time{}, 10)
	testenv.Must(t, "read samples", err)
	if len(rows) != 1 {
		t.Errorf("%d samples stored for one slot, want 1", len(rows))
	}
	info, err := sys.insp.GetTaskInfo(tasks.QueueCritical, workerhealth.EvalTaskID(99))
	testenv.Must(t, "find the system evaluation", err)
	var ev alert.EvalPayload
	testenv.Must(t, "decode evaluation", json.Unmarshal(info.Payload, &ev))
	wantMetrics := map[string]float64{"workers": 1, "busy_workers": 1, "queue_pending": 4, "queue_retry": 0,
		"queue_archived": 0, "spool_samples": 0, "spool_dropped": 0}
	if diff := cmp.Diff(wantMetrics, ev.Metrics); diff != "" || ev.Kind != "system" || ev.Slot != 99 {
		t.Errorf("evaluation kind %q slot %d, metrics (-want +got):\n%s", ev.Kind, ev.Slot, diff)
	}
}

// TestDetailHandler: the admins' view over real services carries every section, and answers 503
// when the health verdict is critical.
func TestDetailHandler(t *testing.T) {
	t.Parallel()
	sys := newLiveSystem(t)
	ctx := testenv.Ctx(t, time.Minute)
	testenv.Must(t, "sample", sys.st.SaveWorkerHealth(ctx, store.WorkerHealth{At: time.Now().Add(-time.Minute), SampledAt: time.Now().Add(-time.Minute), Servers: 1}))
	testenv.Must(t, "retention run", sys.st.SetOpsState(ctx, store.OpsRetentionLastRun, time.Now(), map[string]any{"daily": true}))
	for _, level := range []string{health.Healthy, health.Critical} {
		t.Run(level, func(t *testing.T) {
			checker := health.NewChecker(map[string]health.Check{"workers": workerhealth.Check(sys.st,
				func(context.Context) health.Component { return health.Component{Level: level, Reason: "x"} }, 0, nil)}, time.Second)
			e := echo.New()
			e.GET("/api/v1/health/detail", workerhealth.DetailEndpoint(workerhealth.DetailParams{Health: checker,
				Pool: sys.st.Pool(), Inspector: sys.insp, Spool: sys.spool, Store: sys.st}))
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/health/detail", nil))
			wantCode := map[string]int{health.Healthy: 200, health.Critical: 503}[level]
			if rec.Code != wantCode {
				t.Fatalf("status %d, want %d: %s", rec.Code, wantCode, rec.Body)
			}
			var doc map[string]json.RawMessage
			testenv.Must(t, "decode", json.Unmarshal(rec.Body.Bytes(), &doc))
			for _, k := range []string{"status", "checked_at", "components", "queues", "servers", "database_pool",
				"database_connections", "spool", "last_worker_health", "retention"} {
				if _, ok := doc[k]; !ok {
					t.Errorf("section %q missing from %s", k, rec.Body)
				}
			}
			if _, ok := doc["errors"]; ok {
				t.Errorf("errors reported: %s", doc["errors"])
			}
			var comps map[string]workerhealth.ComponentDetail
			testenv.Must(t, "decode components", json.Unmarshal(doc["components"], &comps))
			if comps["workers"].Detail["last_sample_at"] == nil {
				t.Errorf("workers component lacks the stored sample: %+v", comps["workers"])
			}
		})
	}
}
