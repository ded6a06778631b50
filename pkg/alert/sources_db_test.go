package alert_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hibiken/asynq"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/testinfra/testenv"
)

// TestSNMPPassReadsSNMPTables checks the snapshot query against the SNMP schema: an interface
// down while admin up, high CPU, and an agent that stopped answering.
func TestSNMPPassReadsSNMPTables(t *testing.T) {
	e := newEnv(t)
	e.webhookChannel("noc")
	sw := e.device("sw1", "B", 0)
	dead := e.device("sw2", "B", 0)
	_, err := e.st.Pool().Exec(t.Context(), `
		INSERT INTO device_snmp_state (device_id, cpu_pct, mem_pct, uptime_ticks, last_poll, last_success, last_error)
		VALUES ($1, 97, 40, 9000000, now(), now(), ''), ($2, 10, 10, 9000000, now(), now() - interval '1 hour', 'timeout')`, sw, dead)
	testenv.Must(t, "write snmp state", err)
	_, err = e.st.Pool().Exec(t.Context(), `
		INSERT INTO snmp_interfaces (device_id, if_index, name, admin_status, oper_status, speed_bps, in_bps, out_bps, polled_at, seen_up)
		VALUES ($1, 1, 'Gi0/1', 'up', 'up', 1000000000, 1e6, 2e6, now(), true),
		       ($1, 2, 'Gi0/2', 'up', 'lowerLayerDown', 1000000000, NULL, NULL, now(), true),
		       ($1, 3, '', 'down', 'down', 0, NULL, NULL, now(), false),
		       ($1, 4, 'Gi0/4', 'up', 'down', 1000000000, NULL, NULL, now(), false),
		       ($2, 1, 'Gi0/1', 'up', 'down', 1000000000, NULL, NULL, now(), true)`, sw, dead)
	testenv.Must(t, "write interfaces", err)
	var summaries []string
	for range 3 {
		res, err := e.ev.Run(t.Context(), alert.SourceSNMP, nil)
		testenv.Must(t, "snmp pass", err)
		if res.Stats.Rules != 7 {
			t.Fatalf("snmp pass ran %d rules, want the 7 default SNMP rules", res.Stats.Rules)
		}
		e.now = e.now.Add(60e9)
	}
	for _, a := range e.alerts("open") {
		summaries = append(summaries, a.Summary)
	}
	slices.Sort(summaries)
	want := []string{"sw1 CPU 97% (>= 90%)", "sw1 Gi0/2 down (admin up)", "sw2 SNMP unreachable"}
	if !slices.Equal(summaries, want) {
		t.Fatalf("open alerts = %q, want %q (sw2's stale interface is not judged, Gi0/4 was never up)", summaries, want)
	}
}

func TestSystemPassThroughTheHandler(t *testing.T) {
	e := newEnv(t)
	e.webhookChannel("noc")
	run := func(metrics map[string]float64) error {
		p := alert.EvalPayload{EvalPayload: tasks.EvalPayload{Kind: "system"}, Metrics: metrics}
		return e.ev.ProcessTask(t.Context(), asynq.NewTask(tasks.TypeAlertEval, tasks.Encode(p)))
	}
	testenv.Must(t, "system pass", run(map[string]float64{"workers": 0, "queue_pending": 20}))
	open := e.alerts("firing")
	if len(open) != 1 || open[0].Summary != "workers 0 (<= 0)" || open[0].DeviceID != 0 {
		t.Fatalf("firing = %+v", open)
	}
	if k := e.rec.take(); len(k) != 1 {
		t.Fatalf("deliveries = %v", k)
	}
	testenv.Must(t, "system pass", run(map[string]float64{"workers": 3}))
	if k := e.rec.take(); len(k) != 1 || len(e.alerts("open")) != 0 {
		t.Fatalf("recovery: deliveries %v", k)
	}
	bad := asynq.NewTask(tasks.TypeAlertEval, []byte(`{"kind":"smoke"}`))
	if err := e.ev.ProcessTask(t.Context(), bad); !errors.Is(err, asynq.SkipRetry) {
		t.Errorf("unknown kind: %v, want SkipRetry", err)
	}
}

// TestInventoryFollowsDeviceChanges checks that the cached inventory a pass reuses gives the
// same snapshot as a fresh read after devices are added, renamed, re-parented, disabled and
// deleted.
func TestInventoryFollowsDeviceChanges(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	var ids []int64
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		ids = append(ids, e.device(n, "B", 0))
	}
	e.ping(ids, ids[4])
	rules, err := e.st.EnabledAlertRules(ctx)
	testenv.Must(t, "rules", err)
	var inv alert.Inventory
	load := func(inv *alert.Inventory) []alert.Device {
		d, err := e.st.LoadAlertPass(ctx, alert.SourcePing, rules, inv)
		testenv.Must(t, "load", err)
		return slices.Clone(d.Snapshot.Devices)
	}
	load(&inv)
	b, err := e.st.GetDevice(ctx, ids[1])
	testenv.Must(t, "get", err)
	in := store.DeviceInput{Name: "b-renamed", IP: b.IP, Branch: "B2", Enabled: true, ParentID: &ids[0],
		Labels: map[string]string{"tier": "gold"}}
	_, err = e.st.UpdateDevice(ctx, ids[1], in)
	testenv.Must(t, "rename", err)
	c, _ := e.st.GetDevice(ctx, ids[2])
	_, err = e.st.UpdateDevice(ctx, ids[2], store.DeviceInput{Name: c.Name, IP: c.IP, Enabled: false})
	testenv.Must(t, "disable", err)
	testenv.Must(t, "delete", e.st.DeleteDevice(ctx, ids[0]))
	e.device("f", "B", 0)
	e.ping([]int64{ids[1], ids[3], ids[4]}, ids[3])
	got := load(&inv)
	want := load(&alert.Inventory{})
	if diff := cmp.Diff(want, got, cmpopts.EquateNaNs()); diff != "" {
		t.Fatalf("cached inventory differs from a fresh read (-want +got):\n%s", diff)
	}
	if len(got) != 4 || got[0].Name != "b-renamed" || got[0].ParentID != 0 || got[0].Labels["tier"] != "gold" ||
		got[1].Status != "down" {
		t.Errorf("snapshot = %+v", got)
	}
}

// An extra_oid rule compares a named extra/vendor OID value of the last successful poll; a
// device without the value, or whose poll failed, is not judged.
func TestExtraOIDRule(t *testing.T) {
	e := newEnv(t)
	hot := e.device("ups1", "B", 0)
	cool := e.device("ups2", "B", 0)
	stale := e.device("ups3", "B", 0)
	_, err := e.st.Pool().Exec(t.Context(), `
		INSERT INTO device_snmp_state (device_id, extra, last_poll, last_success, last_error)
		VALUES ($1, '{"battery_temp": 48}', now(), now(), ''), ($2, '{"battery_temp": 31, "load": 99}', now(), now(), ''),
		       ($3, '{"battery_temp": 70}', now(), now() - interval '1 hour', 'timeout')`, hot, cool, stale)
	testenv.Must(t, "write snmp state", err)
	kind, metric, th, sev := alert.KindExtraOID, "battery_temp", 45.0, alert.SeverityMajor
	name := "UPS battery hot"
	if _, err := e.service().CreateRule(t.Context(), alert.RuleInput{Name: &name, Kind: &kind, Metric: &metric, Threshold: &th, Severity: &sev}); err != nil {
		t.Fatalf("create extra_oid rule: %v", err)
	}
	if _, err := e.service().CreateRule(t.Context(), alert.RuleInput{Name: &name, Kind: &kind, Threshold: &th}); !errors.Is(err, alert.ErrInvalid) {
		t.Fatalf("extra_oid rule without metric = %v, want invalid", err)
	}
	for range 2 {
		_, err := e.ev.Run(t.Context(), alert.SourceSNMP, nil)
		testenv.Must(t, "snmp pass", err)
		e.now = e.now.Add(60e9)
	}
	var summaries []string
	for _, a := range e.alerts("open") {
		if a.Kind == alert.KindExtraOID {
			summaries = append(summaries, a.Summary)
		}
	}
	want := []string{"ups1 battery_temp 48 (>= 45)"}
	if !slices.Equal(summaries, want) {
		t.Fatalf("extra_oid alerts = %q, want %q", summaries, want)
	}
}
