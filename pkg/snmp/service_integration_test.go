package snmp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wardops/wardops/pkg/secrets"
	"github.com/wardops/wardops/pkg/snmp"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/pkg/tsdb"
	"github.com/wardops/wardops/testinfra/testenv"
)

// recordingWriter is a SampleWriter that keeps what it was given.
type recordingWriter struct {
	mu      sync.Mutex
	samples []tsdb.Sample
	calls   int
}

var _ snmp.SampleWriter = (*recordingWriter)(nil)

func (w *recordingWriter) Write(_ context.Context, s []tsdb.Sample) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls++
	w.samples = append(w.samples, s...)
	return nil
}

func (w *recordingWriter) reset() []tsdb.Sample {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.samples
	w.samples = nil
	return s
}

// env is one test's database, simulated agents and service.
type env struct {
	t    *testing.T
	pool *pgxpool.Pool
	st   *store.Store
	sim  *testenv.SNMPSim
	box  *secrets.Box
	out  *recordingWriter
	svc  *snmp.Service
	now  func() time.Time
}

func newEnv(t *testing.T) *env {
	t.Helper()
	pool := testenv.NewDB(t)
	box, err := secrets.New(bytes.Repeat([]byte{7}, secrets.KeySize))
	testenv.Must(t, "secrets box", err)
	e := &env{t: t, pool: pool, st: store.New(pool, 0, nil), sim: testenv.NewSNMPSim(t), box: box, out: &recordingWriter{}, now: time.Now}
	e.svc, err = snmp.New(snmp.Params{Devices: e.st, Store: e.st, Samples: e.out, Secrets: box, Concurrency: 50,
		Now: func() time.Time { return e.now() }})
	testenv.Must(t, "new service", err)
	return e
}

func (e *env) device(name string) store.Device {
	e.t.Helper()
	d, err := e.st.CreateDevice(testenv.Ctx(e.t, 10*time.Second), store.DeviceInput{Name: name, IP: loopback,
		Branch: "HQ", Region: "North", Type: "router", Enabled: true})
	testenv.Must(e.t, "create device "+name, err)
	return d
}

// simDevice creates a device polled through the shared snmpsim as the given simulated device.
func (e *env) simDevice(name, community string) store.Device {
	e.t.Helper()
	d := e.device(name)
	_, err := e.svc.PutDeviceSettings(testenv.Ctx(e.t, 10*time.Second), d.ID, snmp.Settings{Version: snmp.Version2c,
		Community: snmp.NewSecret(community), Host: "127.0.0.1", Port: e.sim.Port, Timeout: 3 * time.Second, Retries: 1})
	testenv.Must(e.t, "put settings of "+name, err)
	return d
}

func (e *env) deadDevice(name string, port int, timeout time.Duration) store.Device {
	e.t.Helper()
	d := e.device(name)
	_, err := e.svc.PutDeviceSettings(testenv.Ctx(e.t, 10*time.Second), d.ID, snmp.Settings{Version: snmp.Version2c,
		Community: snmp.NewSecret("public"), Port: port, Timeout: timeout, Retries: 0})
	testenv.Must(e.t, "put settings of "+name, err)
	return d
}

func (e *env) poll(ids ...int64) snmp.BatchReport {
	e.t.Helper()
	rep, err := e.svc.PollBatch(testenv.Ctx(e.t, 60*time.Second), ids)
	testenv.Must(e.t, "poll batch", err)
	return rep
}

func (e *env) interfaces(id int64) []snmp.Interface {
	e.t.Helper()
	ifs, err := e.svc.Interfaces(testenv.Ctx(e.t, 10*time.Second), id)
	testenv.Must(e.t, "interfaces", err)
	return ifs
}

func (e *env) events(id int64) []string {
	e.t.Helper()
	rows, err := e.pool.Query(testenv.Ctx(e.t, 10*time.Second),
		`SELECT kind || coalesce(' ' || (detail->>'if_index'), '') FROM device_events WHERE device_id = $1 ORDER BY id`, id)
	testenv.Must(e.t, "read events", err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		testenv.Must(e.t, "scan event", rows.Scan(&s))
		out = append(out, s)
	}
	return out
}

func TestBatchPollsStoresAndWritesSeries(t *testing.T) {
	e := newEnv(t)
	hc := e.simDevice("branch-1-rtr", "sim-0001")
	legacy := e.simDevice("branch-10-rtr", "sim-0010")
	unconfigured := e.device("branch-2-atm")
	ids := []int64{hc.ID, legacy.ID, unconfigured.ID}

	rep := e.poll(ids...)
	if rep.OK != 2 || rep.Failed != 0 || rep.Unconfigured != 1 {
		t.Fatalf("first poll report %+v, want 2 ok, 1 unconfigured", rep)
	}
	first := e.interfaces(hc.ID)
	if len(first) != 20 || first[0].CounterBits != 64 || first[0].InBps != nil {
		t.Fatalf("after one poll: %d interfaces, bits %d, in_bps %v; want 20, 64, no rate yet", len(first), first[0].CounterBits, first[0].InBps)
	}
	if l := e.interfaces(legacy.ID); len(l) != 20 || l[0].CounterBits != 32 {
		t.Fatalf("legacy device: %d interfaces, %d bits; want 20 with 32-bit counters", len(l), l[0].CounterBits)
	}
	e.out.reset()

	time.Sleep(1100 * time.Millisecond) // counters must move between the two polls
	e.poll(ids...)
	for _, d := range []store.Device{hc, legacy} {
		for _, i := range e.interfaces(d.ID) {
			if i.OperStatus != "up" {
				continue
			}
			if i.InBps == nil || *i.InBps <= 0 || *i.InBps > float64(i.SpeedBps) || i.OutBps == nil {
				t.Errorf("device %s interface %s: in %v out %v bits/s at speed %d; want a rate within the speed",
					d.Name, i.Name, i.InBps, i.OutBps, i.SpeedBps)
			}
		}
	}
	assertSeries(t, e.out.reset(), hc)
	st, err := e.svc.State(testenv.Ctx(t, 10*time.Second), hc.ID)
	testenv.Must(t, "state", err)
	if st == nil || st.SysName != "sim-0001" || st.CPUPercent == nil || st.MemoryPercent == nil || st.LastErrorKind != "" {
		t.Errorf("device state = %+v", st)
	}
}

func assertSeries(t *testing.T, samples []tsdb.Sample, d store.Device) {
	t.Helper()
	byMetric := map[string]int{}
	for _, s := range samples {
		byMetric[s.Metric]++
		if s.Metric == tsdb.MetricIfInBits && labelValue(s, "device_id") == "" {
			t.Errorf("sample without device_id: %+v", s)
		}
	}
	for _, m := range []string{tsdb.MetricIfInBits, tsdb.MetricIfOutBits, tsdb.MetricIfInErrors, tsdb.MetricIfOutErrors,
		tsdb.MetricIfOperStatus, tsdb.MetricCPU, tsdb.MetricMemory, tsdb.MetricUptime, tsdb.MetricSNMPUp} {
		if byMetric[m] == 0 {
			t.Errorf("no %s sample (got %v)", m, byMetric)
		}
	}
	for _, s := range samples {
		if s.Metric == tsdb.MetricIfInBits && labelValue(s, "device") == d.Name {
			want := map[string]string{"device": d.Name, "branch": "HQ", "region": "North", "type": "router"}
			for k, v := range want {
				if labelValue(s, k) != v {
					t.Errorf("label %s = %q, want %q (%+v)", k, labelValue(s, k), v, s.Labels)
				}
			}
			if labelValue(s, "ifName") == "" {
				t.Errorf("interface sample without ifName: %+v", s.Labels)
			}
			return
		}
	}
	t.Errorf("no interface series of %s", d.Name)
}

func labelValue(s tsdb.Sample, name string) string {
	for _, l := range s.Labels {
		if l.Name == name {
			return l.Value
		}
	}
	return ""
}

func TestRebootAndInterfaceEventsAreRecordedOnce(t *testing.T) {
	e := newEnv(t)
	d := e.simDevice("branch-3-rtr", "sim-0003")
	e.poll(d.ID)
	ctx := testenv.Ctx(t, 10*time.Second)
	// Make the stored baseline say the device was up for longer than it is now (as after a
	// reboot) and that interface 1 was down.
	_, err := e.pool.Exec(ctx, `UPDATE device_snmp_state SET uptime_ticks = uptime_ticks + 100000000 WHERE device_id = $1`, d.ID)
	testenv.Must(t, "fake a longer uptime", err)
	_, err = e.pool.Exec(ctx, `UPDATE snmp_interfaces SET oper_status = 'down' WHERE device_id = $1 AND if_index = 1`, d.ID)
	testenv.Must(t, "fake interface 1 down", err)

	e.poll(d.ID)
	want := []string{"reboot", "if_up 1"}
	if got := e.events(d.ID); !equal(got, want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	for _, i := range e.interfaces(d.ID) {
		if i.InBps != nil {
			t.Fatalf("interface %d has a rate across a reboot: %v", i.IfIndex, *i.InBps)
		}
	}
	// The same poll again (as a retried task would) records nothing new.
	time.Sleep(1100 * time.Millisecond)
	e.poll(d.ID)
	if got := e.events(d.ID); !equal(got, want) {
		t.Fatalf("after another poll, events = %v, want still %v", got, want)
	}
	if i := e.interfaces(d.ID)[0]; i.InBps == nil {
		t.Errorf("rates did not resume after the reboot")
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestDeadAgentCostsOneTimeout: an agent that never answers fails after its own timeout, the
// other devices of the batch are polled meanwhile, and it gets exactly one request.
func TestDeadAgentCostsOneTimeout(t *testing.T) {
	e := newEnv(t)
	hole := testenv.NewBlackhole(t)
	const timeout = 1500 * time.Millisecond
	dead := e.deadDevice("branch-9-dead", hole.Port, timeout)
	ids := []int64{dead.ID} // first in the batch: it must not hold the others back
	for i, c := range []string{"sim-0004", "sim-0005", "sim-0006", "sim-0007", "sim-0008"} {
		ids = append(ids, e.simDevice("branch-alive-"+string(rune('a'+i)), c).ID)
	}
	rep := e.poll(ids...)
	if rep.OK != 5 || rep.Failed != 1 {
		t.Fatalf("report %+v, want 5 ok and 1 failed", rep)
	}
	ctx := testenv.Ctx(t, 10*time.Second)
	ds, err := e.st.SNMPDeviceState(ctx, dead.ID)
	testenv.Must(t, "dead state", err)
	if ds.LastErrorKind != string(snmp.KindTimeout) || ds.PollMS == nil || *ds.PollMS < float64(timeout.Milliseconds()) {
		t.Fatalf("dead device state: kind %q, poll %v ms; want a timeout after at least %v", ds.LastErrorKind, ds.PollMS, timeout)
	}
	for _, id := range ids[1:] {
		s, err := e.st.SNMPDeviceState(ctx, id)
		testenv.Must(t, "state", err)
		if s.LastErrorKind != "" || !s.LastPoll.Before(ds.LastPoll) {
			t.Errorf("device %d finished at %s, not before the dead agent's timeout at %s (error %q)", id, s.LastPoll, ds.LastPoll, s.LastError)
		}
	}
	if got := hole.Received(); got != 1 {
		t.Errorf("the dead agent got %d requests, want 1 (retries 0: one request, then give up)", got)
	}
}

func TestProcessBatchSkipsLateSlots(t *testing.T) {
	e := newEnv(t)
	d := e.simDevice("branch-4-rtr", "sim-0001")
	slot := time.Now().Add(-2 * time.Minute).Truncate(time.Minute)
	late := tasks.BatchPayload{CyclePayload: tasks.CyclePayload{Slot: slot.Unix() / 60, SlotStart: slot, Interval: time.Minute}, DeviceIDs: []int64{d.ID}}
	testenv.Must(t, "late batch", e.svc.ProcessBatch(testenv.Ctx(t, 30*time.Second), asynq.NewTask(tasks.TypeSNMPBatch, tasks.Encode(late))))
	if _, err := e.st.SNMPDeviceState(testenv.Ctx(t, 5*time.Second), d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a late batch polled anyway (state err %v)", err)
	}
	now := time.Now()
	onTime := late
	onTime.SlotStart, onTime.Interval = now, time.Minute
	testenv.Must(t, "on-time batch", e.svc.ProcessBatch(testenv.Ctx(t, 30*time.Second), asynq.NewTask(tasks.TypeSNMPBatch, tasks.Encode(onTime))))
	if _, err := e.st.SNMPDeviceState(testenv.Ctx(t, 5*time.Second), d.ID); err != nil {
		t.Fatalf("on-time batch: %v", err)
	}
	err := e.svc.ProcessBatch(context.Background(), asynq.NewTask(tasks.TypeSNMPBatch, []byte("{not json")))
	if !errors.Is(err, asynq.SkipRetry) {
		t.Errorf("bad payload error = %v, want SkipRetry", err)
	}
}

func TestSNMPTest(t *testing.T) {
	e := newEnv(t)
	ok := e.simDevice("branch-5-rtr", "sim-0002")
	dead := e.deadDevice("branch-5-dead", testenv.NewBlackhole(t).Port, 300*time.Millisecond)
	none := e.device("branch-5-atm")
	ctx := testenv.Ctx(t, 30*time.Second)

	res, err := e.svc.Test(ctx, ok.ID)
	testenv.Must(t, "test ok device", err)
	if !res.OK || res.System == nil || res.System.SysName != "sim-0002" || len(res.Interfaces) != 20 || res.Interfaces[0].OperStatus == "" {
		t.Errorf("test result %+v", res)
	}
	res, err = e.svc.Test(ctx, dead.ID)
	testenv.Must(t, "test dead device", err)
	if res.OK || res.Error == nil || res.Error.Kind != snmp.KindTimeout {
		t.Errorf("dead device test = %+v, want a timeout", res)
	}
	if _, err := e.svc.Test(ctx, none.ID); !errors.Is(err, snmp.ErrNotConfigured) {
		t.Errorf("unconfigured test error = %v, want ErrNotConfigured", err)
	}
	if _, err := e.svc.Test(ctx, 987654); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown device test error = %v, want store.ErrNotFound", err)
	}
	// The asynq handler: a result for a real device, SkipRetry for an unknown one.
	testenv.Must(t, "process test", e.svc.ProcessTest(ctx, asynq.NewTask(tasks.TypeSNMPTest, tasks.Encode(tasks.DevicePayload{DeviceID: ok.ID}))))
	if err := e.svc.ProcessTest(ctx, asynq.NewTask(tasks.TypeSNMPTest, tasks.Encode(tasks.DevicePayload{DeviceID: none.ID}))); !errors.Is(err, asynq.SkipRetry) {
		t.Errorf("unconfigured ProcessTest error = %v, want SkipRetry", err)
	}
	b, _ := json.Marshal(res)
	if !bytes.Contains(b, []byte(`"kind":"timeout"`)) {
		t.Errorf("test result JSON %s lacks the error kind", b)
	}
}

func TestSettingsAreSealedAndWriteOnly(t *testing.T) {
	e := newEnv(t)
	d := e.simDevice("branch-6-rtr", "sim-0001")
	ctx := testenv.Ctx(t, 30*time.Second)
	var sealed string
	testenv.Must(t, "read sealed", e.pool.QueryRow(ctx, `SELECT community_sealed FROM device_snmp WHERE device_id = $1`, d.ID).Scan(&sealed))
	if !secrets.IsSealed(sealed) || bytes.Contains([]byte(sealed), []byte("sim-0001")) {
		t.Fatalf("stored community %q is not sealed", sealed)
	}
	got, err := e.svc.DeviceSettings(ctx, d.ID)
	testenv.Must(t, "device settings", err)
	b, _ := json.Marshal(got)
	if bytes.Contains(b, []byte("sim-0001")) || !bytes.Contains(b, []byte(`"community_set":true`)) {
		t.Fatalf("settings JSON %s shows the community or lacks community_set", b)
	}
	// An update without the community keeps it: the device still polls.
	var upd snmp.Settings
	testenv.Must(t, "decode update", json.Unmarshal([]byte(`{"version":"2c","host":"127.0.0.1","port":`+strconv.Itoa(e.sim.Port)+`,"retries":0}`), &upd))
	_, err = e.svc.PutDeviceSettings(ctx, d.ID, upd)
	testenv.Must(t, "update without community", err)
	if rep := e.poll(d.ID); rep.OK != 1 {
		t.Fatalf("poll after update: %+v", rep)
	}
	// Invalid settings name their field; a missing device is ErrNotFound.
	var fe *snmp.FieldError
	_, err = e.svc.PutDeviceSettings(ctx, d.ID, snmp.Settings{Version: snmp.Version3, Username: "noc"})
	if !errors.As(err, &fe) || fe.Field != "auth_protocol" {
		t.Errorf("invalid v3 settings error = %v, want a FieldError on auth_protocol first", err)
	}
	if _, err := e.svc.PutDeviceSettings(ctx, 987654, snmp.Settings{Version: snmp.Version2c, Community: snmp.NewSecret("x")}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("settings for a missing device: error %v, want store.ErrNotFound", err)
	}
	// Without the key nothing new can be sealed, and the binaries must refuse to start.
	noKey, _ := snmp.New(snmp.Params{Devices: e.st, Store: e.st})
	other := e.device("branch-6-sw")
	if _, err := noKey.PutDeviceSettings(ctx, other.ID, snmp.Settings{Version: snmp.Version2c, Community: snmp.NewSecret("x")}); !errors.Is(err, secrets.ErrNoKey) {
		t.Errorf("put without key error = %v, want ErrNoKey", err)
	}
	if err := snmp.CheckSecretKey(ctx, e.st, nil); !errors.Is(err, secrets.ErrNoKey) {
		t.Errorf("CheckSecretKey without key = %v, want ErrNoKey", err)
	}
	testenv.Must(t, "CheckSecretKey with key", snmp.CheckSecretKey(ctx, e.st, e.box))
}

func TestProfileSettingsAndExtraOIDs(t *testing.T) {
	e := newEnv(t)
	ctx := testenv.Ctx(t, 30*time.Second)
	var profileID int64
	testenv.Must(t, "create profile", e.pool.QueryRow(ctx, `INSERT INTO monitoring_profiles (name) VALUES ('sim-routers') RETURNING id`).Scan(&profileID))
	extra, err := snmp.ParseExtraOIDs("sim_cpu 1.3.6.1.2.1.25.3.3.1.2 role=cpu agg=max\nif_count 1.3.6.1.2.1.2.1.0")
	testenv.Must(t, "parse extra OIDs", err)
	creds := snmp.Settings{Version: snmp.Version2c, Community: snmp.NewSecret("sim-0001"), Host: "127.0.0.1", Port: e.sim.Port, Timeout: 3 * time.Second}
	_, err = e.svc.PutProfileSettings(ctx, profileID, snmp.ProfileSettings{Credentials: &creds, ExtraOIDs: extra})
	testenv.Must(t, "put profile settings", err)
	d, err := e.st.CreateDevice(ctx, store.DeviceInput{Name: "branch-7-rtr", IP: loopback, ProfileID: &profileID, Enabled: true})
	testenv.Must(t, "create device", err)
	if rep := e.poll(d.ID); rep.OK != 1 {
		t.Fatalf("poll with profile credentials: %+v", rep)
	}
	st, err := e.svc.State(ctx, d.ID)
	testenv.Must(t, "state", err)
	if st.Extra["if_count"] != 20 || st.Extra["sim_cpu"] <= 0 || st.CPUPercent == nil || *st.CPUPercent != st.Extra["sim_cpu"] {
		t.Errorf("extra %v cpu %v: want if_count 20 and cpu from the profile's max", st.Extra, st.CPUPercent)
	}
	p, err := e.svc.ProfileSettings(ctx, profileID)
	testenv.Must(t, "profile settings", err)
	b, _ := json.Marshal(p)
	if bytes.Contains(b, []byte(`"sim-0001"`)) || len(p.ExtraOIDs) != 2 {
		t.Errorf("profile settings JSON %s", b)
	}
}
