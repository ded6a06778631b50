package alert_test

import (
	"errors"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

func (e *env) service() *alert.Service {
	return alert.NewService(alert.ServiceParams{Rules: e.st, Acks: e.st, Enqueuer: e.rec, Publisher: e.rec})
}

// firing brings one device's device_down alert to firing (sent to one channel) and returns it.
func (e *env) firing(id int64) alert.Alert {
	e.t.Helper()
	e.ping([]int64{id}, id)
	e.pass()
	e.ping([]int64{id}, id)
	e.pass()
	open := e.alerts("firing")
	if len(open) != 1 || len(e.rec.take()) != 1 {
		e.t.Fatalf("setup: firing alerts = %+v", open)
	}
	return open[0]
}

func TestCloseByHand(t *testing.T) {
	e := newEnv(t)
	e.webhookChannel("noc")
	id := e.device("sw1", "B", 0)
	a := e.firing(id)
	closed, err := e.service().Close(t.Context(), a.ID, "olga", "known outage, ticket 42")
	testenv.Must(t, "close", err)
	if closed.State != alert.StateResolved || closed.ClosedBy != "olga" || closed.ResolvedAt == nil {
		t.Fatalf("closed alert = %+v", closed)
	}
	keys := e.rec.take()
	if len(keys) != 1 || deliveryOf(t, e, keys[0]).Message.Event != alert.NotifyResolved ||
		deliveryOf(t, e, keys[0]).Message.Comment != "known outage, ticket 42" {
		t.Fatalf("close deliveries = %v, want the resolve with the comment", keys)
	}
	if _, err := e.service().Close(t.Context(), a.ID, "olga", "again"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("closing twice: %v, want ErrConflict", err)
	}
	// still down: the closed alert does not come back until the device has been up once
	for range 3 {
		e.ping([]int64{id}, id)
		e.pass()
	}
	if n := len(e.alerts("open")); n != 0 || len(e.rec.take()) != 0 {
		t.Fatalf("alert re-opened while latched: %d open", n)
	}
	e.ping([]int64{id})
	e.pass()
	e.ping([]int64{id}, id)
	e.pass()
	e.ping([]int64{id}, id)
	e.pass()
	if n := len(e.alerts("firing")); n != 1 || len(e.rec.take()) != 1 {
		t.Fatalf("after up and down again: %d firing, want 1", n)
	}
	events, err := e.st.AlertEvents(t.Context(), a.ID)
	testenv.Must(t, "history", err)
	var kinds []string
	for _, ev := range events {
		kinds = append(kinds, ev.Kind)
	}
	if len(kinds) != 2 || kinds[0] != alert.EventFired || kinds[1] != alert.EventClosed {
		t.Errorf("history = %v, want [fired closed]", kinds)
	}
}

func TestAckWinsOverAConcurrentPass(t *testing.T) {
	e := newEnv(t)
	e.webhookChannel("noc")
	id := e.device("sw1", "B", 0)
	rule, err := e.st.GetAlertRule(t.Context(), 1)
	testenv.Must(t, "rule", err)
	if rule.Kind != alert.KindDeviceDown || rule.RepeatMinutes != 60 {
		t.Fatalf("default rule 1 = %+v", rule)
	}
	a := e.firing(id)
	// an hour later the pass wants to repeat; an operator acknowledges between its load and its save
	e.now = e.now.Add(time.Hour)
	rules, err := e.st.EnabledAlertRules(t.Context())
	testenv.Must(t, "rules", err)
	data, err := e.st.LoadAlertPass(t.Context(), alert.SourcePing, rules, &alert.Inventory{})
	testenv.Must(t, "load", err)
	res := alert.Evaluate(&alert.PassInput{Source: alert.SourcePing, Now: e.now, Snapshot: data.Snapshot, Rules: rules,
		States: data.States, Incidents: data.Incidents, Windows: data.Windows, Routes: data.Routes})
	if res.Stats.Notifications != 1 {
		t.Fatalf("setup: the pass should repeat the alert, stats %+v", res.Stats)
	}
	exp := time.Now().Add(time.Hour)
	_, err = e.service().Ack(t.Context(), a.ID, "ivan", "on it", &exp)
	testenv.Must(t, "ack", err)
	saved, err := e.st.SaveAlertPass(t.Context(), res)
	testenv.Must(t, "save", err)
	if saved.Dropped != 1 || len(saved.DeliveryKeys) != 0 {
		t.Fatalf("saved = %+v, want the repeat dropped", saved)
	}
	got, err := e.st.GetAlert(t.Context(), a.ID)
	testenv.Must(t, "get", err)
	if got.State != alert.StateAcknowledged || got.AckedBy != "ivan" || got.AckExpiresAt == nil {
		t.Fatalf("alert after the race = %+v", got)
	}
	if _, err := e.service().Ack(t.Context(), a.ID, "ivan", "", nil); !errors.Is(err, store.ErrConflict) {
		t.Errorf("acking an acknowledged alert: %v, want ErrConflict", err)
	}
	if _, err := e.service().Ack(t.Context(), 999999, "ivan", "", nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("acking an unknown alert: %v, want ErrNotFound", err)
	}
	var fe *alert.FieldError
	if _, err := e.service().Ack(t.Context(), a.ID, " ", "", nil); !errors.As(err, &fe) || fe.Field != "by" {
		t.Errorf("ack without a name: %v", err)
	}
	// acknowledged: recovery still sends the resolve
	e.ping([]int64{id})
	e.pass()
	if keys := e.rec.take(); len(keys) != 1 || deliveryOf(t, e, keys[0]).Message.Event != alert.NotifyResolved {
		t.Fatalf("resolve of an acknowledged alert: %v", keys)
	}
}

func TestMaintenanceWindowStatus(t *testing.T) {
	e := newEnv(t)
	e.webhookChannel("noc")
	id := e.device("atm1", "B7", 0)
	other := e.device("atm2", "B8", 0)
	ids := []int64{id, other}
	e.ping(ids)
	from, to := e.now.Add(-time.Minute), e.now.Add(time.Hour)
	w, err := e.st.CreateWindow(t.Context(), alert.WindowInput{Name: "B7 works", Kind: alert.WindowOnce, StartsAt: &from,
		EndsAt: &to, Targets: alert.Scope{Branches: []string{"B7"}}, CreatedBy: "olga"})
	testenv.Must(t, "create window", err)
	e.pass()
	if s := statusOf(t, e, id); s != "maintenance" {
		t.Fatalf("status in the window = %q", s)
	}
	if s := statusOf(t, e, other); s != "up" {
		t.Fatalf("status outside the window = %q", s)
	}
	for range 3 {
		e.ping(ids, id)
		e.pass()
	}
	if s := statusOf(t, e, id); s != "maintenance" {
		t.Fatalf("the ping writer overwrote maintenance: %q", s)
	}
	sup := e.alerts("suppressed")
	if len(sup) != 1 || sup[0].SuppressedReason != alert.ReasonMaintenance || sup[0].MaintenanceID != w.ID {
		t.Fatalf("suppressed alerts = %+v", sup)
	}
	if k := e.rec.take(); len(k) != 0 {
		t.Fatalf("sent during maintenance: %v", k)
	}
	testenv.Must(t, "delete window", e.st.DeleteWindow(t.Context(), w.ID))
	e.ping(ids, id)
	e.pass()
	if s := statusOf(t, e, id); s != "down" {
		t.Fatalf("status after the window = %q, want the latest ping's down", s)
	}
	if k := e.rec.take(); len(k) != 1 || deliveryOf(t, e, k[0]).Message.Device != "atm1" {
		t.Fatalf("after the window: %v, want atm1's firing", k)
	}
	var kinds []string
	rows, err := e.st.Pool().Query(t.Context(), `SELECT kind FROM device_events WHERE device_id = $1 AND kind LIKE 'maint%' ORDER BY id`, id)
	testenv.Must(t, "events", err)
	for rows.Next() {
		var k string
		_ = rows.Scan(&k)
		kinds = append(kinds, k)
	}
	if len(kinds) != 2 || kinds[0] != "maintenance" || kinds[1] != "maintenance_end" {
		t.Errorf("device events = %v", kinds)
	}
}

func statusOf(t *testing.T, e *env, id int64) string {
	var s string
	testenv.Must(t, "status", e.st.Pool().QueryRow(t.Context(), `SELECT status FROM device_status WHERE device_id = $1`, id).Scan(&s))
	return s
}

func TestRuleChangesReachTheNextPass(t *testing.T) {
	e := newEnv(t)
	e.webhookChannel("noc")
	cache := alert.NewRuleCache(testenv.NewRedis(t), e.st.EnabledAlertRules)
	e.ev = alert.NewEvaluator(alert.EvaluatorParams{Repo: e.st, Rules: cache, Enqueuer: e.rec, Now: func() time.Time { return e.now }})
	svc := alert.NewService(alert.ServiceParams{Rules: e.st, Acks: e.st, RuleCache: cache, Enqueuer: e.rec})
	id := e.device("r1", "B", 0)
	e.ping([]int64{id}, id)
	e.pass() // caches the default rules: device_down needs 2 cycles
	if len(e.alerts("open")) != 0 {
		t.Fatal("fired after one cycle")
	}
	_, err := svc.UpdateRule(t.Context(), 1, alert.RuleInput{ForCycles: ptr(1), Name: ptr("Device down now")})
	testenv.Must(t, "update rule", err)
	_, err = svc.CreateRule(t.Context(), alert.RuleInput{Name: ptr("Device down now"), Kind: ptr(alert.KindDeviceDown)})
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate rule name: %v, want ErrConflict", err)
	}
	testenv.Must(t, "disable loss rule", svc.DeleteRule(t.Context(), 2))
	e.ping([]int64{id}, id)
	e.pass()
	open := e.alerts("open")
	if len(open) != 1 || open[0].RuleName != "Device down now" {
		t.Fatalf("open alerts after the rule change = %+v", open)
	}
	if err := svc.DeleteRule(t.Context(), 2); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting twice: %v, want ErrNotFound", err)
	}
}

func ptr[T any](v T) *T { return &v }
