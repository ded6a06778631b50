package alert_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/pkg/notify"
	"github.com/wardops/wardops/pkg/notify/notifytest"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/testinfra/harness"
	"github.com/wardops/wardops/testinfra/testenv"
)

// lateHandler lets the test hand the worker handlers that need the system the harness builds.
type lateHandler struct{ h atomic.Pointer[asynq.Handler] }

func (l *lateHandler) set(h asynq.Handler) { l.h.Store(&h) }

func (l *lateHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	h := l.h.Load()
	if h == nil {
		return errors.New("handler not wired yet")
	}
	return (*h).ProcessTask(ctx, t)
}

// TestBranchOutageEndToEnd runs the real pipeline (scheduler, ping worker, alert evaluation,
// notify queue) over a "branch router" and five devices behind it in a network namespace.
// When the namespace link goes down, exactly one notification — the router's, carrying the
// incident — reaches each channel (an SMTP server and a webhook receiver that fails twice
// before accepting); the five devices are suppressed under the incident. When the link comes
// back, exactly the router's resolve is delivered.
func TestBranchOutageEndToEnd(t *testing.T) {
	testenv.RequireICMP(t)
	const interval = 2 * time.Second
	host := testenv.NewHost(t, 77)
	var eval, deliver lateHandler
	sys := harness.Start(t, harness.Options{PingInterval: interval, Handlers: map[string]asynq.Handler{
		tasks.TypeAlertEval: &eval, tasks.TypeNotify: &deliver}})
	box := newBoxForTest(t)
	eval.set(alert.NewEvaluator(alert.EvaluatorParams{Repo: sys.Store, Enqueuer: sys.Client,
		Rules: alert.NewRuleCache(sys.Redis, sys.Store.EnabledAlertRules), Publisher: events.NewPublisher(sys.Redis),
		Logger: sys.Logger}))
	deliver.set(notify.NewHandler(notify.HandlerParams{Store: sys.Store, Sealer: box, Policy: notifytest.AllowLoopback(), Logger: sys.Logger}))

	hook := notifytest.NewWebhook(t, 2)
	mail := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{})
	channels := notify.NewService(notify.ServiceParams{Channels: sys.Store, Deliveries: sys.Store, Sealer: box, Policy: notifytest.AllowLoopback()})
	_, err := channels.Create(t.Context(), notify.ChannelInput{Name: ptr("noc-webhook"), Type: ptr(notify.TypeWebhook),
		Config: &notify.Config{URL: hook.URL + "/wardops"}, Secrets: &notify.Secrets{HMACSecret: "e2e"}})
	testenv.Must(t, "create webhook channel", err)
	_, err = channels.Create(t.Context(), notify.ChannelInput{Name: ptr("noc-mail"), Type: ptr(notify.TypeEmail),
		Config: &notify.Config{Host: mail.Host, Port: mail.Port, From: "wardops@bank.test", To: []string{"noc@bank.test"}}})
	testenv.Must(t, "create email channel", err)

	router := createDevice(t, sys, "br9-router", host.IP, 0)
	ids := []int64{router}
	for i := 1; i <= 5; i++ {
		ip := fmt.Sprintf("10.200.77.%d", 10+i)
		host.AddAddr(t, ip)
		ids = append(ids, createDevice(t, sys, fmt.Sprintf("br9-atm%d", i), ip, router))
	}
	waitUntil(t, 6*interval, "all six devices up", func() bool { return countStatus(t, sys, ids, "up") == 6 })

	host.Down(t)
	got := hook.WaitAccepted(1, 40*time.Second)
	mails := mail.Wait(1, 10*time.Second)
	time.Sleep(3 * interval) // room for anything else that would be sent
	if got, mails = hook.Accepted(), mail.Messages(); len(got) != 1 || len(mails) != 1 {
		t.Fatalf("notifications during the outage: webhook %d, email %d, want exactly 1 each", len(got), len(mails))
	}
	var msg alert.Message
	testenv.Must(t, "decode webhook body", json.Unmarshal(got[0].Body, &msg))
	if msg.Event != alert.NotifyFiring || msg.Device != "br9-router" || msg.Incident == nil || msg.Incident.Affected != 5 {
		t.Fatalf("webhook message = %+v (incident %+v), want the router's firing with 5 devices affected", msg, msg.Incident)
	}
	if sig := got[0].Header.Get(notify.HeaderSignature); sig != notify.Sign([]byte("e2e"), got[0].Body) {
		t.Errorf("webhook signature %q does not verify", sig)
	}
	if n := len(hook.Requests()); n != 3 {
		t.Errorf("webhook requests = %d, want 3 (two refused, one accepted)", n)
	}
	if !strings.Contains(mails[0].Data, "br9-router down") || !strings.Contains(mails[0].Data, "5 devices unreachable") {
		t.Errorf("email = %s", mails[0].Data)
	}
	suppressed, _, err := sys.Store.ListAlerts(t.Context(), store.AlertFilter{State: "suppressed"})
	testenv.Must(t, "list suppressed", err)
	if len(suppressed) != 5 {
		t.Fatalf("suppressed alerts = %d, want the 5 devices behind the router", len(suppressed))
	}

	host.Up(t)
	hook.WaitAccepted(2, 30*time.Second)
	mail.Wait(2, 10*time.Second)
	waitUntil(t, 10*interval, "no open alert and no open incident", func() bool {
		open, _, err := sys.Store.ListAlerts(t.Context(), store.AlertFilter{State: "open"})
		testenv.Must(t, "list open", err)
		incs, err := sys.Store.ListIncidents(t.Context(), "open", 0, 10)
		testenv.Must(t, "list incidents", err)
		return len(open) == 0 && len(incs) == 0
	})
	time.Sleep(2 * interval)
	got, mails = hook.Accepted(), mail.Messages()
	if len(got) != 2 || len(mails) != 2 {
		t.Fatalf("notifications after recovery: webhook %d, email %d, want exactly 2 each (firing + resolve)", len(got), len(mails))
	}
	testenv.Must(t, "decode resolve", json.Unmarshal(got[1].Body, &msg))
	if msg.Event != alert.NotifyResolved || msg.Device != "br9-router" {
		t.Errorf("second webhook message = %+v, want the router's resolve", msg)
	}
}

func newBoxForTest(t *testing.T) notify.Sealer { return newSealer(t) }

func createDevice(t *testing.T, sys *harness.System, name, ip string, parent int64) int64 {
	in := store.DeviceInput{Name: name, IP: netip.MustParseAddr(ip), Branch: "BR9", Region: "north", Enabled: true}
	if parent != 0 {
		in.ParentID = &parent
	}
	d, err := sys.Store.CreateDevice(t.Context(), in)
	testenv.Must(t, "create device "+name, err)
	return d.ID
}

func countStatus(t *testing.T, sys *harness.System, ids []int64, status string) int {
	n := 0
	for _, id := range ids {
		d, err := sys.Store.DeviceWithStatusByID(t.Context(), id)
		testenv.Must(t, "read status", err)
		if string(d.Status.Status) == status {
			n++
		}
	}
	return n
}

func waitUntil(t *testing.T, within time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
