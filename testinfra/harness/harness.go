package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/app"
	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/pkg/config"
	"github.com/wardops/wardops/pkg/configfile"
	"github.com/wardops/wardops/pkg/health"
	"github.com/wardops/wardops/pkg/probe"
	"github.com/wardops/wardops/pkg/retention"
	"github.com/wardops/wardops/pkg/schedule"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/pkg/tsdb"
	"github.com/wardops/wardops/pkg/worker"
	"github.com/wardops/wardops/testinfra/testenv"
)

// Options shape the system under test.
type Options struct {
	// PingInterval between ping slots (default 2s).
	PingInterval time.Duration
	// Ping options (default 3 echoes, 10ms apart, 500ms timeout).
	Ping probe.Options
	// BatchSize devices per ping task (default 10).
	BatchSize int
	// Concurrency of the worker (default 10).
	Concurrency int
	// Handlers adds task handlers (SNMP, alerts, notify…) to the worker.
	Handlers map[string]asynq.Handler
	// Samples receives ping samples (nil: none).
	Samples worker.SampleWriter
	// Extra lets a test register more API routes (alerts, auth…) on the /api/v1 group.
	Extra func(s *api.Server)
	// NoScheduler leaves the scheduler out (the test emits slots itself).
	NoScheduler bool
	// Series serves the graph route (nil: 503).
	Series api.SeriesReader
	// ProfileSNMP builds the keeper of profiles' SNMP defaults on the system's store (nil:
	// profiles without SNMP).
	ProfileSNMP func(*store.Store) api.ProfileSNMP
	// Auth edits the auth service's Params (a secret box for two-factor, a directory…)
	// before it is built.
	Auth func(*auth.Params)
}

// System is a running WardOps.
type System struct {
	// Auth is the API's auth service; Token is an admin bearer token that Do sends.
	Auth   *auth.Service
	Token  string
	Store  *store.Store
	Redis  *redis.Client
	Client *asynq.Client
	API    *api.Server
	URL    string
	Logger *slog.Logger
}

// Start runs scheduler, worker and API until the test ends.
func Start(t testing.TB, o Options) *System {
	t.Helper()
	if o.PingInterval <= 0 {
		o.PingInterval = 2 * time.Second
	}
	if o.Ping.Count == 0 {
		o.Ping = probe.Options{Count: 3, Spacing: 10 * time.Millisecond, Timeout: 500 * time.Millisecond}
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 10
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 10
	}
	logger := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	pool := testenv.NewDB(t)
	st := store.New(pool, 10*time.Second, logger)
	testenv.Must(t, "create partitions", st.EnsurePingPartitions(context.Background(), time.Now().Add(-24*time.Hour), 3))
	rdb := testenv.NewRedis(t)
	client := asynq.NewClientFromRedisClient(rdb)
	t.Cleanup(func() { _ = client.Close() })
	sys := &System{Store: st, Redis: rdb, Client: client, Logger: logger}

	engine, err := probe.NewEngine(probe.EngineParams{Logger: logger})
	if err != nil {
		t.Fatalf("open ICMP engine (tests need root or CAP_NET_RAW): %v", err)
	}
	t.Cleanup(func() { _ = engine.Close() })
	// the worker is the worker binary's graph (pkg/app), on this test's services and settings
	wcfg, err := config.LoadWorker(config.MapEnv(map[string]string{
		"WARDOPS_WORKER_CONCURRENCY": fmt.Sprint(o.Concurrency), "WARDOPS_DB_MAX_CONNS": fmt.Sprint(max(o.Concurrency, 10)),
		"WARDOPS_PING_BATCH_SIZE": fmt.Sprint(o.BatchSize), "WARDOPS_METRICS_ADDR": "off", "WARDOPS_SHUTDOWN_TIMEOUT": "3s",
	}))
	testenv.Must(t, "worker configuration", err)
	wcfg.Ping.Count, wcfg.Ping.Spacing, wcfg.Ping.Timeout = o.Ping.Count, o.Ping.Spacing, o.Ping.Timeout
	retCfg, err := retention.LoadConfig(config.MapEnv(nil))
	testenv.Must(t, "retention configuration", err)
	samples := o.Samples
	if samples == nil {
		samples = discard{}
	}
	wctx, wcancel := context.WithCancel(context.Background())
	w, err := app.NewWorker(wctx, wcfg, retCfg, logger, app.WorkerInputs{Store: st, Redis: rdb, Pinger: engine,
		Samples: samples, Handlers: o.Handlers})
	testenv.Must(t, "build worker", err)
	testenv.Must(t, "start worker", w.Start())
	t.Cleanup(func() { wcancel(); w.Shutdown() })

	if !o.NoScheduler {
		ctx, cancel := context.WithCancel(context.Background())
		s := schedule.New(schedule.Params{Redis: rdb, Client: client, Owner: "harness", LeaderTTL: 3 * time.Second, Logger: logger,
			Jobs: []schedule.Job{{TaskType: tasks.TypePingCycle, Queue: tasks.QueueDefault, Interval: o.PingInterval}}})
		done := make(chan struct{})
		go func() { defer close(done); _ = s.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
	}

	insp := asynq.NewInspectorFromRedisClient(rdb)
	t.Cleanup(func() { _ = insp.Close() })
	checker := health.NewChecker(map[string]health.Check{
		"database": health.Ping("database", pool, time.Second),
		"workers":  health.Workers(insp, health.DefaultWorkerThresholds),
	}, 2*time.Second)
	ap := auth.Params{Store: st, Redis: rdb, Logger: logger}
	if o.Auth != nil {
		o.Auth(&ap)
	}
	sys.Auth = authtest.NewService(t, ap)
	sys.Token = authtest.Token(t, sys.Auth, auth.RoleAdmin)
	var profileSNMP api.ProfileSNMP
	if o.ProfileSNMP != nil {
		profileSNMP = o.ProfileSNMP(st)
	}
	sys.API = api.New(api.Params{Store: st, Redis: rdb, Client: client, Tasks: insp, Health: checker, Logger: logger,
		Auth: sys.Auth, Series: o.Series, ProfileSNMP: profileSNMP, Config: configfile.New(configfile.Params{Store: st, Logger: logger})})
	if o.Extra != nil {
		o.Extra(sys.API)
	}
	hs := httptest.NewServer(sys.API)
	t.Cleanup(func() { sys.API.CloseStreams(); hs.Close() })
	sys.URL = hs.URL
	return sys
}

// GetJSON GETs path from the API and decodes the answer into v, returning the status code.
func (s *System) GetJSON(t testing.TB, path string, v any) int {
	t.Helper()
	return s.Do(t, http.MethodGet, path, "", v)
}

// Do sends a request with a JSON (or CSV, by content) body and decodes the JSON answer into v.
func (s *System) Do(t testing.TB, method, path, body string, v any) int {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	testenv.Must(t, "build request", err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
		if !strings.HasPrefix(strings.TrimSpace(body), "{") && !strings.HasPrefix(strings.TrimSpace(body), "[") {
			req.Header.Set("Content-Type", "text/csv")
		}
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := http.DefaultClient.Do(req)
	testenv.Must(t, fmt.Sprintf("%s %s", method, path), err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	testenv.Must(t, "read answer", err)
	if v != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode
}

// discard drops samples (a system without a time-series database).
type discard struct{}

func (discard) Write(context.Context, []tsdb.Sample) error { return nil }

// testWriter sends logs to t.Log so they show only for failing tests.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	if os.Getenv("WARDOPS_TEST_LOGS") != "" {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}
