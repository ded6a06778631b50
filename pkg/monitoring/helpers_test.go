package monitoring_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/pkg/health"
	"github.com/wardops/wardops/pkg/monitoring"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/testinfra/testenv"
)

// system is the API wired like cmd/api with the console and the control routes, on the test's
// own database and Redis DB.
type system struct {
	t        *testing.T
	url      string
	rdb      *redis.Client
	store    *store.Store
	auth     *auth.Service
	insp     *asynq.Inspector
	client   *asynq.Client
	ctl      *monitoring.Control
	ui       *monitoring.UI
	admin    string // bearer tokens
	operator string
}

func start(t *testing.T, metricsURL string) *system {
	t.Helper()
	rdb := testenv.NewRedis(t)
	st := store.New(testenv.NewDB(t), 10*time.Second, nil)
	svc := authtest.NewService(t, auth.Params{Store: st, Redis: rdb})
	insp := asynq.NewInspectorFromRedisClient(rdb)
	client := asynq.NewClientFromRedisClient(rdb)
	t.Cleanup(func() { _ = insp.Close(); _ = client.Close() })
	o := rdb.Options()
	ui, err := monitoring.NewUI(monitoring.UIParams{RedisConnOpt: asynq.RedisClientOpt{Addr: o.Addr, DB: o.DB}, MetricsURL: metricsURL})
	testenv.Must(t, "monitoring ui", err)
	t.Cleanup(func() { _ = ui.Close() })
	srv := api.New(api.Params{Auth: svc, Store: st, Redis: rdb, Client: client, Tasks: insp,
		Health: health.NewChecker(map[string]health.Check{}, time.Second), Monitoring: ui})
	ctl := monitoring.NewControl(insp, svc.Audit(), tasks.Queues())
	monitoring.Register(srv, ctl)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	contractCheck.Watch(t, hs.URL)
	return &system{t: t, url: hs.URL, rdb: rdb, store: st, auth: svc, insp: insp, client: client, ctl: ctl, ui: ui,
		admin: authtest.Token(t, svc, auth.RoleAdmin), operator: authtest.Token(t, svc, auth.RoleOperator)}
}

// do sends a request with a bearer token and decodes a JSON answer into v (when not nil).
func (s *system) do(token, method, path, body string, v any) (int, http.Header, string) {
	s.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.url+path, r)
	testenv.Must(s.t, "request", err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	testenv.Must(s.t, method+" "+path, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if v != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, v); err != nil {
			s.t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, resp.Header, string(raw)
}

// worker runs an asynq server on the default queue only: "test:block" runs until cancelled,
// "test:fail" fails with "boom" (its retry is an hour away). Tasks on the other queues stay
// where they are put.
func (s *system) worker() {
	s.t.Helper()
	srv := asynq.NewServerFromRedisClient(s.rdb, asynq.Config{Concurrency: 4, Queues: map[string]int{tasks.QueueDefault: 1},
		RetryDelayFunc: func(int, error, *asynq.Task) time.Duration { return time.Hour },
		LogLevel:       asynq.FatalLevel, ShutdownTimeout: time.Second})
	mux := asynq.NewServeMux()
	mux.HandleFunc("test:block", func(ctx context.Context, _ *asynq.Task) error { <-ctx.Done(); return ctx.Err() })
	mux.HandleFunc("test:fail", func(context.Context, *asynq.Task) error { return errors.New("boom") })
	testenv.Must(s.t, "start asynq server", srv.Start(mux))
	s.t.Cleanup(srv.Shutdown)
}

// fixture puts tasks in every state: default has blk (active), f1 (retry), f2 (archived);
// low has p1–p3 (pending) and s1 (scheduled).
func (s *system) fixture() {
	s.t.Helper()
	enq := func(typ, queue, id string, opts ...asynq.Option) {
		opts = append(opts, asynq.Queue(queue), asynq.TaskID(id))
		_, err := s.client.Enqueue(asynq.NewTask(typ, []byte(`{"device_id":7}`)), opts...)
		testenv.Must(s.t, "enqueue "+id, err)
	}
	enq("test:block", tasks.QueueDefault, "blk", asynq.MaxRetry(0))
	enq("test:fail", tasks.QueueDefault, "f1", asynq.MaxRetry(3))
	enq("test:fail", tasks.QueueDefault, "f2", asynq.MaxRetry(0))
	for _, id := range []string{"p1", "p2", "p3"} {
		enq("test:noop", tasks.QueueLow, id)
	}
	enq("test:noop", tasks.QueueLow, "s1", asynq.ProcessIn(time.Hour))
	s.worker()
	s.waitState(tasks.QueueDefault, "blk", asynq.TaskStateActive)
	s.waitState(tasks.QueueDefault, "f1", asynq.TaskStateRetry)
	s.waitState(tasks.QueueDefault, "f2", asynq.TaskStateArchived)
}

func (s *system) waitState(queue, id string, want asynq.TaskState) {
	s.t.Helper()
	var got string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		info, err := s.insp.GetTaskInfo(queue, id)
		if err == nil && info.State == want {
			return
		}
		got = "missing"
		if err == nil {
			got = info.State.String()
		}
	}
	s.t.Fatalf("task %s/%s is %s, want %s", queue, id, got, want)
}

// audited returns "actor action target" of every task and queue audit record.
func (s *system) audited() []string {
	s.t.Helper()
	var out []string
	for _, prefix := range []string{"task.*", "queue.*"} {
		recs, _, err := s.store.ListAudit(context.Background(), store.AuditFilter{Action: prefix, Limit: 100})
		testenv.Must(s.t, "list audit", err)
		for _, r := range recs {
			out = append(out, r.Via+" "+r.Action+" "+r.TargetID)
		}
	}
	return out
}

func tasksNoop() *asynq.Task { return asynq.NewTask("test:noop", nil) }

func queueOpt(q string) asynq.Option { return asynq.Queue(q) }
