package notify_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/notify"
	"github.com/wardops/wardops/pkg/notify/notifytest"
	"github.com/wardops/wardops/pkg/secrets"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/testinfra/testenv"
)

var _ notify.Sealer = (*secrets.Box)(nil)

func newBox(t *testing.T) *secrets.Box {
	key := make([]byte, secrets.KeySize)
	_, _ = rand.Read(key)
	b, err := secrets.New(key)
	testenv.Must(t, "secret box", err)
	return b
}

// fixture is a migrated database with the channel service and handler on it.
type fixture struct {
	st      *store.Store
	box     *secrets.Box
	svc     *notify.Service
	handler *notify.Handler
}

func newFixture(t *testing.T) *fixture {
	st := store.New(testenv.NewDB(t), 10*time.Second, nil)
	box := newBox(t)
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return &fixture{st: st, box: box,
		svc:     notify.NewService(notify.ServiceParams{Channels: st, Deliveries: st, Sealer: box, Policy: notifytest.AllowLoopback(), Logger: logger}),
		handler: notify.NewHandler(notify.HandlerParams{Store: st, Sealer: box, Policy: notifytest.AllowLoopback(), Logger: logger})}
}

// delivery writes a pending delivery of msg to channel ch, as an evaluation pass would.
func (f *fixture) delivery(t *testing.T, key string, ch int64) {
	msg := *testMessage()
	msg.DeliveryKey = key
	raw, _ := json.Marshal(msg)
	_, err := f.st.Pool().Exec(t.Context(), `INSERT INTO deliveries (delivery_key, channel_id, channel_name, message)
		VALUES ($1, $2, 'x', $3)`, key, ch, raw)
	testenv.Must(t, "write delivery", err)
}

func (f *fixture) deliveryRow(t *testing.T, key string) notify.Delivery {
	ds, err := f.st.ListDeliveries(t.Context(), store.DeliveryFilter{})
	testenv.Must(t, "list deliveries", err)
	for _, d := range ds {
		if d.Key == key {
			return d
		}
	}
	t.Fatalf("no delivery %s", key)
	return notify.Delivery{}
}

func ptr[T any](v T) *T { return &v }

// TestFailingReceiverGetsTheMessageOnce runs the handler in a real asynq server on Redis: the
// receiver answers 500 twice, then 200; it receives the message exactly once, and a delivered
// key is never sent again.
func TestFailingReceiverGetsTheMessageOnce(t *testing.T) {
	f := newFixture(t)
	hook := notifytest.NewWebhook(t, 2)
	ch, err := f.svc.Create(t.Context(), notify.ChannelInput{Name: ptr("noc-hook"), Type: ptr(notify.TypeWebhook),
		Config: &notify.Config{URL: hook.URL}, Secrets: &notify.Secrets{HMACSecret: "k"}})
	testenv.Must(t, "create channel", err)
	f.delivery(t, "a1-e1-c1", ch.ID)

	addr, db := testenv.RedisOpt(t)
	opt := asynq.RedisClientOpt{Addr: addr, DB: db}
	srv := asynq.NewServer(opt, asynq.Config{Concurrency: 2, Queues: map[string]int{tasks.QueueNotify: 1},
		RetryDelayFunc:           notify.RetryDelayFunc(100*time.Millisecond, time.Second, asynq.DefaultRetryDelayFunc),
		DelayedTaskCheckInterval: 200 * time.Millisecond, TaskCheckInterval: 100 * time.Millisecond, Logger: quietAsynq{}})
	mux := asynq.NewServeMux()
	mux.Handle(tasks.TypeNotify, f.handler)
	testenv.Must(t, "start asynq server", srv.Start(mux))
	t.Cleanup(srv.Shutdown)
	client := asynq.NewClient(opt)
	t.Cleanup(func() { _ = client.Close() })

	testenv.Must(t, "enqueue", alert.EnqueueDelivery(t.Context(), client, "a1-e1-c1"))
	testenv.Must(t, "enqueue again", alert.EnqueueDelivery(t.Context(), client, "a1-e1-c1")) // same task id: no-op
	got := hook.WaitAccepted(1, 20*time.Second)
	if len(got) != 1 {
		t.Fatalf("accepted requests = %d, want 1 (all: %d)", len(got), len(hook.Requests()))
	}
	if sig := got[0].Header.Get(notify.HeaderSignature); sig != notify.Sign([]byte("k"), got[0].Body) {
		t.Errorf("signature %q does not verify", sig)
	}
	waitState(t, f, "a1-e1-c1", notify.DeliveryDelivered)
	if d := f.deliveryRow(t, "a1-e1-c1"); d.Attempts != 3 || d.DeliveredAt == nil {
		t.Errorf("delivery = %+v, want delivered after 3 attempts", d)
	}
	// A delivered key is never sent again, whoever enqueues it.
	err = f.handler.ProcessTask(t.Context(), asynq.NewTask(tasks.TypeNotify, tasks.Encode(alert.DeliveryPayload{DeliveryKey: "a1-e1-c1"})))
	if err != nil {
		t.Fatalf("second run of a delivered key: %v", err)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(hook.Requests()); n != 3 {
		t.Errorf("receiver saw %d requests, want 3 (2 failed + 1 accepted)", n)
	}
}

func asynqTask(key string) *asynq.Task {
	return asynq.NewTask(tasks.TypeNotify, tasks.Encode(alert.DeliveryPayload{DeliveryKey: key}))
}

func waitState(t *testing.T, f *fixture, key, state string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if f.deliveryRow(t, key).State == state {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("delivery %s did not reach %s: %+v", key, state, f.deliveryRow(t, key))
}

func TestHandlerOutcomes(t *testing.T) {
	f := newFixture(t)
	gone := notifytest.NewWebhook(t, 0)
	ch, err := f.svc.Create(t.Context(), notify.ChannelInput{Name: ptr("h"), Type: ptr(notify.TypeWebhook),
		Config: &notify.Config{URL: gone.URL + "/x"}})
	testenv.Must(t, "create channel", err)
	run := func(key string) error {
		return f.handler.ProcessTask(context.Background(), asynq.NewTask(tasks.TypeNotify, tasks.Encode(alert.DeliveryPayload{DeliveryKey: key})))
	}
	t.Run("unknown key is dropped", func(t *testing.T) {
		if err := run("nope"); !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("error = %v, want SkipRetry", err)
		}
	})
	t.Run("deleted channel fails for good", func(t *testing.T) {
		f.delivery(t, "k-deleted", 999999)
		if err := run("k-deleted"); !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("error = %v, want SkipRetry", err)
		}
		if d := f.deliveryRow(t, "k-deleted"); d.State != notify.DeliveryFailed || !strings.Contains(d.LastError, "no such channel") {
			t.Errorf("delivery = %+v", d)
		}
	})
	t.Run("ok", func(t *testing.T) {
		f.delivery(t, "k-ok", ch.ID)
		testenv.Must(t, "run", run("k-ok"))
		if d := f.deliveryRow(t, "k-ok"); d.State != notify.DeliveryDelivered || len(gone.Accepted()) != 1 {
			t.Errorf("delivery = %+v", d)
		}
	})
}

type quietAsynq struct{}

func (quietAsynq) Debug(...any) {}
func (quietAsynq) Info(...any)  {}
func (quietAsynq) Warn(...any)  {}
func (quietAsynq) Error(...any) {}
func (quietAsynq) Fatal(args ...any) {
	panic(args)
}
