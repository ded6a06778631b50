package alert_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

// recorder is a fake Enqueuer and Publisher that records what it is given.
type recorder struct {
	mu    sync.Mutex
	keys  []string
	live  []alert.LiveEvent
	tasks map[string]bool
}

func (r *recorder) EnqueueContext(_ context.Context, t *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var p alert.DeliveryPayload
	if err := decodeJSON(t.Payload(), &p); err != nil {
		return nil, err
	}
	if r.tasks == nil {
		r.tasks = map[string]bool{}
	}
	if r.tasks[p.DeliveryKey] {
		return nil, asynq.ErrTaskIDConflict
	}
	r.tasks[p.DeliveryKey] = true
	r.keys = append(r.keys, p.DeliveryKey)
	return &asynq.TaskInfo{}, nil
}

func (r *recorder) Publish(_ context.Context, typ string, data any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ev, ok := data.(alert.LiveEvent); ok && typ == "alert" {
		r.live = append(r.live, ev)
	}
	return nil
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := r.keys
	r.keys = nil
	return k
}

// env is a migrated database with a store, an evaluator on it and a clock the test moves.
type env struct {
	t    *testing.T
	st   *store.Store
	rec  *recorder
	ev   *alert.Evaluator
	now  time.Time
	slot time.Time
}

func newEnv(t *testing.T) *env {
	pool := testenv.NewDB(t)
	st := store.New(pool, 10*time.Second, nil)
	e := &env{t: t, st: st, rec: &recorder{}, now: time.Now().UTC().Truncate(time.Second)}
	e.slot = e.now.Add(-time.Hour)
	testenv.Must(t, "partitions", st.EnsurePingPartitions(t.Context(), e.slot.Add(-24*time.Hour), 3))
	rules := alert.NewRuleCache(testenv.NewRedis(t), st.EnabledAlertRules)
	e.ev = alert.NewEvaluator(alert.EvaluatorParams{Repo: st, Rules: rules, Enqueuer: e.rec, Publisher: e.rec,
		Now: func() time.Time { return e.now }})
	return e
}

// device creates a device (parent 0: none).
func (e *env) device(name, branch string, parent int64) int64 {
	in := store.DeviceInput{Name: name, Branch: branch, Enabled: true}
	in.IP = mustAddr("127.0.0.1")
	if parent != 0 {
		in.ParentID = &parent
	}
	d, err := e.st.CreateDevice(e.t.Context(), in)
	testenv.Must(e.t, "create device "+name, err)
	return d.ID
}

// ping writes one slot of ping results: the listed devices down, the others up.
func (e *env) ping(ids []int64, down ...int64) {
	e.slot = e.slot.Add(30 * time.Second)
	var rs []store.PingResult
	for _, id := range ids {
		r := store.PingResult{DeviceID: id, SlotAt: e.slot, MeasuredAt: e.slot, Sent: 3, Received: 3, Status: "up"}
		rtt := 1.5
		r.RTTMinMS, r.RTTAvgMS, r.RTTMaxMS, r.JitterMS = &rtt, &rtt, &rtt, &rtt
		if slices.Contains(down, id) {
			r = store.PingResult{DeviceID: id, SlotAt: e.slot, MeasuredAt: e.slot, Sent: 3, LossPct: 100, Status: "down"}
		}
		rs = append(rs, r)
	}
	_, err := e.st.WritePingResults(e.t.Context(), rs)
	testenv.Must(e.t, "write ping results", err)
}

// pass runs one ping evaluation and moves the clock one cycle on.
func (e *env) pass() *alert.Result {
	e.t.Helper()
	res, err := e.ev.Run(e.t.Context(), alert.SourcePing, nil)
	testenv.Must(e.t, "evaluate", err)
	e.now = e.now.Add(30 * time.Second)
	return res
}

func (e *env) webhookChannel(name string) int64 {
	var id int64
	err := e.st.Pool().QueryRow(e.t.Context(), `INSERT INTO channels (name, type, config) VALUES ($1, 'webhook',
		'{"url":"http://127.0.0.1:1/hook"}') RETURNING id`, name).Scan(&id)
	testenv.Must(e.t, "create channel", err)
	return id
}

func (e *env) alerts(state string) []alert.Alert {
	as, _, err := e.st.ListAlerts(e.t.Context(), store.AlertFilter{State: state, Limit: 1000})
	testenv.Must(e.t, "list alerts", err)
	return as
}

func TestEvaluatorBranchOutage(t *testing.T) {
	e := newEnv(t)
	e.webhookChannel("noc")
	router := e.device("br1-router", "BR1", 0)
	ids := []int64{router}
	for i := 1; i <= 5; i++ {
		ids = append(ids, e.device(fmt.Sprintf("br1-atm%d", i), "BR1", router))
	}
	e.ping(ids)
	e.pass()
	if k := e.rec.take(); len(k) != 0 {
		t.Fatalf("healthy network sent %v", k)
	}
	e.ping(ids, ids...)
	e.pass()
	e.ping(ids, ids...)
	e.pass() // device_down fires after 2 cycles
	keys := e.rec.take()
	if len(keys) != 1 {
		t.Fatalf("deliveries after the outage = %v, want exactly one (the router)", keys)
	}
	d := deliveryOf(t, e, keys[0])
	if d.Message.Device != "br1-router" || d.Message.Incident == nil || d.Message.Incident.Affected != 5 ||
		d.Message.Incident.ID == 0 || d.Message.AlertID == 0 {
		t.Fatalf("router delivery message = %+v incident %+v", d.Message, d.Message.Incident)
	}
	if n := len(e.alerts("suppressed")); n != 5 {
		t.Errorf("suppressed alerts = %d, want 5", n)
	}
	incs, err := e.st.ListIncidents(t.Context(), "open", 0, 10)
	testenv.Must(t, "list incidents", err)
	if len(incs) != 1 || incs[0].AffectedCount != 5 || incs[0].AlertID == 0 {
		t.Fatalf("open incidents = %+v", incs)
	}
	under, _, err := e.st.ListAlerts(t.Context(), store.AlertFilter{IncidentID: incs[0].ID})
	testenv.Must(t, "alerts of incident", err)
	if len(under) != 6 {
		t.Errorf("alerts under the incident = %d, want 6 (router + 5)", len(under))
	}
	e.pass() // still down: nothing new
	if k := e.rec.take(); len(k) != 0 {
		t.Fatalf("steady outage sent %v", k)
	}
	e.ping(ids)
	e.pass()
	keys = e.rec.take()
	if len(keys) != 1 || deliveryOf(t, e, keys[0]).Message.Event != alert.NotifyResolved {
		t.Fatalf("deliveries on recovery = %v, want the router's resolve", keys)
	}
	e.pass()
	if open := e.alerts("open"); len(open) != 0 {
		t.Errorf("open alerts after recovery: %+v", open)
	}
	if incs, _ := e.st.ListIncidents(t.Context(), "open", 0, 10); len(incs) != 0 {
		t.Errorf("incident still open after the grace cycle: %+v", incs)
	}
	if len(e.rec.live) == 0 {
		t.Error("no live alert events published")
	}
}

func deliveryOf(t *testing.T, e *env, key string) deliveryView {
	t.Helper()
	ds, err := e.st.ListDeliveries(t.Context(), store.DeliveryFilter{Limit: 1000})
	testenv.Must(t, "list deliveries", err)
	for _, d := range ds {
		if d.Key == key {
			return deliveryView{Message: d.Message, State: d.State}
		}
	}
	t.Fatalf("no delivery %s", key)
	return deliveryView{}
}

type deliveryView struct {
	Message alert.Message
	State   string
}
