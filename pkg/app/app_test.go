package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wardops/wardops/pkg/apiclient"
	"github.com/wardops/wardops/pkg/app"
	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/pkg/config"
	"github.com/wardops/wardops/pkg/retention"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

// TestGraphs builds the three binaries' graphs from configurations read as the binaries read
// them (config.Load*, here from a map) on this test's own PostgreSQL, Redis and
// VictoriaMetrics, and follows one ping result from the scheduler through a worker to the API:
// the stored schedule emits ping slots every second, the worker pings 127.0.0.1 with the real
// ICMP engine and writes the verdict and the samples, and the API answers the device "up" in
// the standalone list, its health names every component, asynqmon and the metrics are mounted.
func TestGraphs(t *testing.T) {
	vm := testenv.NewVM(t)
	addr, db := testenv.RedisOpt(t)
	env := config.MapEnv(map[string]string{
		"WARDOPS_DATABASE_URL": testenv.DBURL(t), "WARDOPS_REDIS_URL": fmt.Sprintf("redis://%s/%d", addr, db),
		"WARDOPS_VM_URL": vm.URL(), "WARDOPS_PING_INTERVAL": "1s", "WARDOPS_PING_TIMEOUT": "300ms",
		"WARDOPS_METRICS_ADDR": "off", "WARDOPS_WORKER_CONCURRENCY": "4", "WARDOPS_SHUTDOWN_TIMEOUT": "2s",
		"WARDOPS_SNMP_ENABLED": "false",
	})
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()

	apiCfg, err := config.LoadAPI(env)
	testenv.Must(t, "api config", err)
	workerCfg, err := config.LoadWorker(env)
	testenv.Must(t, "worker config", err)
	schedCfg, err := config.LoadScheduler(env)
	testenv.Must(t, "scheduler config", err)
	retCfg, err := retention.LoadConfig(env)
	testenv.Must(t, "retention config", err)

	conns, err := app.Connect(ctx, app.ConnParams{DatabaseURL: apiCfg.DatabaseURL, DBMaxConns: 10, QueryTimeout: 5 * time.Second,
		RedisURL: apiCfg.RedisURL, AppName: "wardops-app-test"}, logger)
	testenv.Must(t, "connect", err)
	defer conns.Close()
	st := conns.Store
	testenv.Must(t, "partitions", st.EnsurePingPartitions(ctx, time.Now(), 3))
	dev, err := st.CreateDevice(ctx, store.DeviceInput{Name: "loopback-rtr", IP: netip.MustParseAddr("127.0.0.1"), Enabled: true})
	testenv.Must(t, "create device", err)

	// scheduler: the stored schedule, seeded from this configuration
	testenv.Must(t, "seed schedule", app.SeedSchedule(ctx, st, app.DefaultJobs(schedCfg, retCfg)))
	client := asynq.NewClientFromRedisClient(conns.Redis)
	defer client.Close()
	s := app.NewScheduler(schedCfg, logger, app.SchedulerInputs{Store: st, Redis: conns.Redis, Client: client, Owner: "app-test"})
	schedDone := make(chan struct{})
	go func() { defer close(schedDone); _ = s.Run(ctx) }()

	// worker: the real ICMP engine
	pinger, closePinger, err := app.NewPinger(workerCfg.Ping.Engine, logger)
	if err != nil {
		t.Fatalf("ICMP engine (tests need root or CAP_NET_RAW): %v", err)
	}
	defer closePinger()
	w, err := app.NewWorker(ctx, workerCfg, retCfg, logger, app.WorkerInputs{Store: st, Redis: conns.Redis, Pinger: pinger})
	testenv.Must(t, "build worker", err)
	testenv.Must(t, "start worker", w.Start())

	// API
	svc := authtest.NewService(t, auth.Params{Store: st, Redis: conns.Redis, Logger: logger})
	token := authtest.Token(t, svc, auth.RoleAdmin)
	a, err := app.NewAPI(ctx, apiCfg, logger, app.APIInputs{Store: st, Redis: conns.Redis, RedisOpt: conns.RedisOpt, Auth: svc})
	testenv.Must(t, "build api", err)
	hs := httptest.NewServer(a.Server)
	defer func() {
		a.Server.CloseStreams()
		hs.Close()
		a.Close()
		cancel()
		<-schedDone
		w.Shutdown()
	}()
	get := func(path string, v any) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, hs.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		testenv.Must(t, "GET "+path, err)
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if v != nil {
			if err := json.Unmarshal(raw, v); err != nil {
				t.Fatalf("GET %s: %v: %.200s", path, err, raw)
			}
		}
		return resp.StatusCode
	}

	deadline := time.Now().Add(20 * time.Second)
	var status string
	for time.Now().Before(deadline) {
		d, err := st.DeviceWithStatusByID(ctx, dev.ID)
		testenv.Must(t, "get device", err)
		if status = string(d.Status.Status); status == "up" {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if status != "up" {
		t.Fatalf("device 127.0.0.1 is %q after 20 s of 1 s ping slots; want up (scheduler → worker → store)", status)
	}
	// the API read as an outside consumer reads it: through the client generated from the
	// OpenAPI document (pkg/apiclient), so the document is exercised end to end
	cl, err := apiclient.NewClientWithResponses(hs.URL+"/api/v1", apiclient.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+token)
		return nil
	}))
	testenv.Must(t, "generated client", err)
	var list *apiclient.StandaloneList
	// the standalone list is cached up to 30 s: ask until the answer has the verdict
	for end := time.Now().Add(35 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		resp, err := cl.ListStandaloneWithResponse(ctx)
		testenv.Must(t, "standalone list", err)
		if resp.JSON200 == nil {
			t.Fatalf("standalone list: HTTP %d: %.200s", resp.StatusCode(), resp.Body)
		}
		list = resp.JSON200
		if len(list.Devices) == 1 && list.Devices[0].Status == "up" || time.Now().After(end) {
			break
		}
	}
	if len(list.Devices) != 1 || list.Devices[0].Status != "up" || list.Devices[0].Name != "loopback-rtr" || list.Count != 1 {
		t.Errorf("standalone list %+v; want loopback-rtr up", list)
	}
	hr, err := cl.GetHealthWithResponse(ctx)
	testenv.Must(t, "health", err)
	health := hr.JSON200
	if health == nil {
		health = hr.JSON503
	}
	if health == nil || health.Components == nil {
		t.Fatalf("health: HTTP %d: %.200s", hr.StatusCode(), hr.Body)
	}
	for _, c := range []string{"database", "redis", "victoriametrics", "workers", "disk_space", "api"} {
		if _, ok := (*health.Components)[c]; !ok {
			t.Errorf("health has no %q component: %+v", c, *health.Components)
		}
	}
	if code := get("/monitoring/", nil); code != http.StatusOK {
		t.Errorf("asynqmon /monitoring/: HTTP %d", code)
	}
	if code := get("/metrics", nil); code != http.StatusOK && code != http.StatusForbidden {
		t.Errorf("/metrics: HTTP %d", code)
	}
}
