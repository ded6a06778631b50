package workerhealth_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/pkg/notify"
	"github.com/wardops/wardops/pkg/notify/notifytest"
	"github.com/wardops/wardops/pkg/secrets"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/workerhealth"
	"github.com/wardops/wardops/testinfra/testenv"
)

// clock is a settable time for the watchdog's grace.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// TestWatchdogPagesWhenNoWorker: with no asynq server at all (every worker dead), nothing runs
// the worker-health task, so the API's watchdog must: after its grace it stores a sample and
// runs the system pass itself, and the seeded "No workers" rule pages the webhook once, sent
// from the API with no worker to take the notify task. A later check while still none does not
// page again; once a worker is back, one more pass resolves the alert.
func TestWatchdogPagesWhenNoWorker(t *testing.T) {
	t.Parallel()
	pool := testenv.NewDB(t)
	rdb := testenv.NewRedis(t)
	st := store.New(pool, 10*time.Second, nil)
	client := asynq.NewClientFromRedisClient(rdb)
	t.Cleanup(func() { _ = client.Close() })
	insp := asynq.NewInspectorFromRedisClient(rdb)
	t.Cleanup(func() { _ = insp.Close() })
	key := make([]byte, secrets.KeySize)
	_, _ = rand.Read(key)
	box, err := secrets.New(key)
	testenv.Must(t, "secret box", err)

	hook := notifytest.NewWebhook(t, 0)
	_, err = notify.NewService(notify.ServiceParams{Channels: st, Deliveries: st, Sealer: box, Policy: notifytest.AllowLoopback()}).Create(t.Context(),
		notify.ChannelInput{Name: ptr("noc-webhook"), Type: ptr(notify.TypeWebhook), Config: &notify.Config{URL: hook.URL + "/page"}})
	testenv.Must(t, "create webhook channel", err)

	pass := alert.NewEvaluator(alert.EvaluatorParams{Repo: st, Rules: alert.NewRuleCache(rdb, st.EnabledAlertRules),
		Publisher: events.NewPublisher(rdb),
		Enqueuer:  workerhealth.InlineDelivery{Handler: notify.NewHandler(notify.HandlerParams{Store: st, Sealer: box, Policy: notifytest.AllowLoopback()}), Queue: client}})
	clk := &clock{now: time.Now()}
	wd := workerhealth.NewWatchdog(workerhealth.WatchdogParams{Inspector: insp, Store: st, Pass: pass,
		Grace: 2 * time.Minute, Now: clk.Now})
	ctx := testenv.Ctx(t, time.Minute)

	wd.Check(ctx)
	clk.Add(time.Minute)
	wd.Check(ctx)
	if n := len(hook.Requests()); n != 0 {
		t.Fatalf("%d pages within the grace, want 0", n)
	}
	if _, err := st.LatestWorkerHealth(ctx); err == nil {
		t.Fatalf("a sample was stored within the grace")
	}

	clk.Add(90 * time.Second)
	wd.Check(ctx)
	got := hook.WaitAccepted(1, 10*time.Second)
	if len(got) != 1 {
		t.Fatalf("pages after the grace: %d, want 1", len(got))
	}
	var msg alert.Message
	testenv.Must(t, "decode page", json.Unmarshal(got[0].Body, &msg))
	if msg.Rule != "No workers" || msg.Event != alert.NotifyFiring {
		t.Errorf("page = rule %q event %q, want the firing of \"No workers\"", msg.Rule, msg.Event)
	}
	w, err := st.LatestWorkerHealth(ctx)
	testenv.Must(t, "latest sample", err)
	if w.Servers != 0 {
		t.Errorf("stored sample has %d servers, want 0", w.Servers)
	}

	clk.Add(time.Minute)
	wd.Check(ctx)
	if n := len(hook.Requests()); n != 1 {
		t.Errorf("%d pages after another check with no worker, want still 1", n)
	}

	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: 1, Queues: map[string]int{"nothing": 1},
		LogLevel: asynq.FatalLevel, ShutdownTimeout: time.Second})
	testenv.Must(t, "start a worker", srv.Start(asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return nil })))
	t.Cleanup(srv.Shutdown)
	waitFor(t, "the worker's heartbeat", func() bool { s, err := insp.Servers(); return err == nil && len(s) == 1 })
	wd.Check(ctx)
	got = hook.WaitAccepted(2, 10*time.Second)
	if len(got) != 2 {
		t.Fatalf("pages after a worker came back: %d, want 2 (firing, resolved)", len(got))
	}
	testenv.Must(t, "decode resolve", json.Unmarshal(got[1].Body, &msg))
	if msg.Rule != "No workers" || msg.Event != alert.NotifyResolved {
		t.Errorf("second page = rule %q event %q, want the resolve of \"No workers\"", msg.Rule, msg.Event)
	}
}

func ptr[T any](v T) *T { return &v }
