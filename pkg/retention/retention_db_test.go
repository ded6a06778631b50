package retention_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wardops/wardops/pkg/retention"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/testinfra/testenv"
)

// now is the fixed clock of these tests: the daily run of 15 March 2026.
var now = time.Date(2026, 3, 15, 3, 0, 0, 0, time.UTC)

func day(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }

func f64(v float64) *float64 { return &v }

type fixture struct {
	pool *pgxpool.Pool
	st   *store.Store
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	pool := testenv.NewDB(t)
	return fixture{pool: pool, st: store.New(pool, 10*time.Second, nil)}
}

func (f fixture) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if _, err := f.pool.Exec(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func (f fixture) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := f.pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// ping inserts one ping_results row.
func (f fixture) ping(t *testing.T, dev int64, at time.Time, status string, sent, recv int, mn, avg, mx, jit *float64) {
	t.Helper()
	loss := 100 * float64(sent-recv) / float64(sent)
	f.exec(t, `INSERT INTO ping_results (device_id, slot_at, measured_at, sent, received, rtt_min_ms, rtt_avg_ms,
		rtt_max_ms, jitter_ms, loss_pct, status) VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		dev, at, sent, recv, mn, avg, mx, jit, loss, status)
}

// hourOf writes an up, a degraded (1 of 3 lost) and a down round in the hour starting at h:
// device 1 up then degraded, device 2 down.
func (f fixture) hourOf(t *testing.T, h time.Time) {
	t.Helper()
	f.ping(t, 1, h, "up", 3, 3, f64(1), f64(2), f64(4), f64(0.5))
	f.ping(t, 1, h.Add(30*time.Second), "degraded", 3, 2, f64(3), f64(5), f64(8), f64(1.5))
	f.ping(t, 2, h, "down", 3, 0, nil, nil, nil, nil)
}

// wantHour is the roll-up of hourOf.
func wantHour(h time.Time) []store.HourlyPing {
	return []store.HourlyPing{
		{DeviceID: 1, Hour: h, Slots: 2, UpSlots: 2, Sent: 6, Received: 5, RTTMinMS: f64(1), RTTAvgMS: f64(3.2),
			RTTMaxMS: f64(8), JitterAvgMS: f64(1), LossPct: 100.0 / 6},
		{DeviceID: 2, Hour: h, Slots: 1, UpSlots: 0, Sent: 3, Received: 0, LossPct: 100},
	}
}

func (f fixture) hourly(t *testing.T, h time.Time) []store.HourlyPing {
	t.Helper()
	var out []store.HourlyPing
	for _, dev := range []int64{1, 2} {
		rows, err := f.st.HourlyPings(context.Background(), dev, h, h.Add(time.Hour))
		testenv.Must(t, "read hourly", err)
		out = append(out, rows...)
	}
	return out
}

var approx = cmpopts.EquateApprox(0, 1e-9)

// TestRollupIdempotent: an hour rolled up twice gives the same rows; a late row rolled up again
// replaces the hour's row instead of adding one.
func TestRollupIdempotent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testenv.Ctx(t, time.Minute)
	h := day(3, 1).Add(10 * time.Hour)
	testenv.Must(t, "partitions", f.st.EnsurePingPartitions(ctx, h, 1))
	testenv.Must(t, "hourly partitions", f.st.EnsureHourlyPartitions(ctx, h, h.Add(time.Hour)))
	f.hourOf(t, h)
	for run := 1; run <= 2; run++ {
		n, err := f.st.RollupPing(ctx, h, h.Add(time.Hour), time.Minute)
		testenv.Must(t, "roll up", err)
		if n != 2 {
			t.Errorf("run %d wrote %d rows, want 2", run, n)
		}
		if diff := cmp.Diff(wantHour(h), f.hourly(t, h), approx); diff != "" {
			t.Errorf("run %d: roll-up (-want +got):\n%s", run, diff)
		}
	}
	f.ping(t, 2, h.Add(59*time.Minute), "up", 3, 3, f64(10), f64(10), f64(10), f64(0)) // a late retry lands
	_, err := f.st.RollupPing(ctx, h, h.Add(time.Hour), time.Minute)
	testenv.Must(t, "roll up again", err)
	want := wantHour(h)
	want[1] = store.HourlyPing{DeviceID: 2, Hour: h, Slots: 2, UpSlots: 1, Sent: 6, Received: 3, RTTMinMS: f64(10),
		RTTAvgMS: f64(10), RTTMaxMS: f64(10), JitterAvgMS: f64(0), LossPct: 50}
	if diff := cmp.Diff(want, f.hourly(t, h), approx); diff != "" {
		t.Errorf("after a late row (-want +got):\n%s", diff)
	}
	if n := f.count(t, `SELECT count(*) FROM ping_hourly`); n != 2 {
		t.Errorf("%d roll-up rows, want 2", n)
	}
}

func names(parts []store.Partition) []string {
	out := []string{}
	for _, p := range parts {
		out = append(out, p.Name)
	}
	return out
}

func dayNames(from, to time.Time) []string {
	var out []string
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		out = append(out, "ping_results_"+d.Format("20060102"))
	}
	return out
}

// TestDailyRunPartitions: the daily run drops exactly the partitions wholly older than the
// retention (rolling their hours up first), keeps the rest, creates the days ahead, and drops
// roll-up months older than the roll-up retention.
func TestDailyRunPartitions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		ping        time.Duration
		ahead       int
		settle      time.Duration
		wantDropped []string
		wantKept    []string
		wantWM      time.Time
		rolledHours int // how many of pingHours are rolled up (oldest first)
	}{
		{"30 days", 30 * retention.Day, 7, 0,
			dayNames(day(2, 1), day(2, 12)), dayNames(day(2, 13), day(3, 22)), now.Add(-time.Hour), 4},
		{"35 days, 3 ahead", 35 * retention.Day, 3, 0,
			dayNames(day(2, 1), day(2, 7)), dayNames(day(2, 8), day(3, 18)), now.Add(-time.Hour), 4},
		// the roll-ups lag behind the partitions to drop: each is rolled up before its drop
		{"watermark behind", 30 * retention.Day, 7, 40 * retention.Day,
			dayNames(day(2, 1), day(2, 12)), dayNames(day(2, 13), day(3, 22)), day(2, 3).Add(3 * time.Hour), 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			ctx := testenv.Ctx(t, 2*time.Minute)
			testenv.Must(t, "partitions", f.st.EnsurePingPartitions(ctx, day(2, 1), 43)) // through 15 March
			testenv.Must(t, "old roll-up month", f.st.EnsureHourlyPartitions(ctx, day(1, 1).AddDate(-1, 0, 0), day(1, 1).AddDate(-1, 1, 0)))
			f.exec(t, `CREATE TABLE ping_results_20260105 (LIKE ping_results)`) // left over by an interrupted drop
			f.exec(t, `CREATE TABLE ping_results_archive (LIKE ping_results)`)  // not ours: never touched
			pingHours := []time.Time{day(2, 1).Add(10 * time.Hour), day(2, 12).Add(23 * time.Hour), day(2, 13).Add(time.Hour), day(3, 14).Add(22 * time.Hour)}
			for _, h := range pingHours {
				f.hourOf(t, h)
			}
			c := retention.DefaultConfig()
			c.Ping, c.PartitionsAhead = tc.ping, tc.ahead
			r := retention.New(retention.Params{Store: f.st, Config: c, Settle: tc.settle, Now: func() time.Time { return now }})
			rep, err := r.Run(ctx, true)
			testenv.Must(t, "run", err)

			wantDropped := append([]string{"ping_results_20260105"}, tc.wantDropped...)
			if diff := cmp.Diff(wantDropped, rep.DroppedPing); diff != "" {
				t.Errorf("dropped (-want +got):\n%s", diff)
			}
			parts, err := f.st.ListPartitions(ctx, store.PingResultsTable)
			testenv.Must(t, "list", err)
			if diff := cmp.Diff(tc.wantKept, names(parts)); diff != "" {
				t.Errorf("partitions left (-want +got):\n%s", diff)
			}
			if n := f.count(t, `SELECT count(*) FROM pg_class WHERE relname = 'ping_results_archive'`); n != 1 {
				t.Error("a table not named by the partition scheme was dropped")
			}
			for i, h := range pingHours { // dropped days are always rolled up
				var want []store.HourlyPing
				if i < tc.rolledHours {
					want = wantHour(h)
				}
				if diff := cmp.Diff(want, f.hourly(t, h), approx); diff != "" {
					t.Errorf("roll-up of %s (-want +got):\n%s", h, diff)
				}
			}
			hourly, err := f.st.ListPartitions(ctx, store.PingHourlyTable)
			testenv.Must(t, "list hourly", err)
			if diff := cmp.Diff([]string{"ping_hourly_202602", "ping_hourly_202603", "ping_hourly_202604"}, names(hourly)); diff != "" {
				t.Errorf("roll-up partitions (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"ping_hourly_202501"}, rep.DroppedHourly); diff != "" {
				t.Errorf("dropped roll-up months (-want +got):\n%s", diff)
			}
			wm, found, err := f.st.OpsState(ctx, store.OpsRollupWatermark, nil)
			testenv.Must(t, "watermark", err)
			if !found || !wm.Equal(tc.wantWM) {
				t.Errorf("watermark %s (found %v), want %s", wm, found, tc.wantWM)
			}
		})
	}
}

// TestHourlyRunOnlyRollsUp: a run that is not the daily one creates partitions and rolls up
// but drops and purges nothing; the next run rolls up only the hours since, plus the rewind.
func TestHourlyRunOnlyRollsUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testenv.Ctx(t, time.Minute)
	testenv.Must(t, "partitions", f.st.EnsurePingPartitions(ctx, day(2, 20), 24))
	f.hourOf(t, day(2, 20).Add(time.Hour))
	f.hourOf(t, day(3, 14).Add(20*time.Hour))
	clock := now.Add(-10 * 24 * time.Hour) // 5 March
	r := retention.New(retention.Params{Store: f.st, Config: retention.DefaultConfig(), Now: func() time.Time { return clock }})
	rep, err := r.Run(ctx, false)
	testenv.Must(t, "first run", err)
	if len(rep.DroppedPing) != 0 || len(rep.Purged) != 0 {
		t.Errorf("an hourly run dropped %v, purged %v", rep.DroppedPing, rep.Purged)
	}
	if diff := cmp.Diff(day(2, 20), rep.RolledFrom); diff != "" {
		t.Errorf("first run starts at the oldest partition (-want +got):\n%s", diff)
	}
	clock = now
	rep, err = r.Run(ctx, false)
	testenv.Must(t, "second run", err)
	wantFrom := day(3, 5).Add(2*time.Hour - retention.DefaultRewind) // the first run's watermark was 02:00 on 5 March
	if diff := cmp.Diff([]time.Time{wantFrom, now.Add(-time.Hour)}, []time.Time{rep.RolledFrom, rep.RolledTo}); diff != "" {
		t.Errorf("second run's range (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantHour(day(3, 14).Add(20*time.Hour)), f.hourly(t, day(3, 14).Add(20*time.Hour)), approx); diff != "" {
		t.Errorf("roll-up (-want +got):\n%s", diff)
	}
	if n := f.count(t, `SELECT count(*) FROM ping_results_20260220`); n != 3 {
		t.Errorf("an hourly run touched old pings: %d rows left, want 3", n)
	}
}

// TestPurge: the daily run deletes, in batches, the rows older than each table's retention and
// nothing else: open alerts and recent rows stay; a resolved alert takes its events and
// deliveries with it; a device deleted longer ago than every history retention goes, one
// deleted recently stays; a retention of 0 keeps a table whole.
func TestPurge(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testenv.Ctx(t, time.Minute)
	f.exec(t, `INSERT INTO devices (id, name, ip) VALUES (1, 'r1', '127.0.0.1')`)
	old, recent := now.Add(-200*retention.Day), now.Add(-10*retention.Day)
	f.exec(t, `INSERT INTO devices (id, name, ip, deleted_at) VALUES (2, 'gone-long-ago', '127.0.0.2', $1), (3, 'gone-lately', '127.0.0.3', $2)`,
		now.Add(-400*retention.Day), recent)
	for i := range 5 { // more than a batch
		f.exec(t, `INSERT INTO device_events (device_id, at, kind) VALUES (1, $1, 'status')`, old.Add(time.Duration(i)*time.Minute))
	}
	f.exec(t, `INSERT INTO device_events (device_id, at, kind) VALUES (1, $1, 'status')`, recent)
	alert := func(id int, state string, started time.Time, resolved *time.Time) {
		f.exec(t, `INSERT INTO alerts (id, rule_id, rule_name, kind, device_id, subject, severity, state, started_at,
			updated_at, resolved_at) VALUES ($1, 1, 'Device down', 'device_down', 1, $2, 'critical', $3, $4, $4, $5)`,
			id, fmt.Sprint(id), state, started, resolved)
		f.exec(t, `INSERT INTO alert_events (alert_id, at, kind) VALUES ($1, $2, 'fired')`, id, started)
		f.exec(t, `INSERT INTO deliveries (delivery_key, alert_id, channel_id, message, state) VALUES ($1, $2, 1, '{}', 'delivered')`,
			fmt.Sprint("k", id), id)
	}
	alert(1, "resolved", old, &old)    // gone, with its event and delivery
	alert(2, "firing", old, nil)       // open: stays however old
	alert(3, "resolved", old, &recent) // resolved recently: stays
	f.exec(t, `INSERT INTO incidents (root_device_id, title, state, opened_at, resolved_at) VALUES
		(1, 'old', 'resolved', $1, $1), (1, 'open', 'open', $1, NULL)`, old)
	f.exec(t, `INSERT INTO deliveries (delivery_key, channel_id, message, state, created_at) VALUES
		('test-old', 1, '{}', 'failed', $1), ('test-pending', 1, '{}', 'pending', $1)`, old)
	f.exec(t, `INSERT INTO audit_log (at, action) VALUES ($1, 'device.create'), ($2, 'device.create')`, now.Add(-800*retention.Day), recent)
	f.exec(t, `INSERT INTO worker_health (at, sampled_at, servers, concurrency, busy, pending, max_pending, active, retry,
		archived, max_latency_ms) VALUES ($1, $1, 1, 50, 0, 0, 0, 0, 0, 0, 0), ($2, $2, 1, 50, 0, 0, 0, 0, 0, 0, 0)`,
		now.Add(-40*retention.Day), recent)

	c := retention.DefaultConfig()
	c.Audit = 0 // kept forever
	r := retention.New(retention.Params{Store: f.st, Config: c, PurgeBatch: 2, Now: func() time.Time { return now }})
	rep, err := r.Run(ctx, true)
	testenv.Must(t, "run", err)
	wantPurged := map[store.PurgeTarget]int64{store.PurgeDeviceEvents: 5, store.PurgeAlerts: 1, store.PurgeIncidents: 1,
		store.PurgeDeliveries: 1, store.PurgeWorkerHealth: 1, store.PurgeDevices: 1}
	if diff := cmp.Diff(wantPurged, rep.Purged, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("purged (-want +got):\n%s", diff)
	}
	left := map[string]int{}
	for _, q := range []string{"device_events", "alerts", "alert_events", "deliveries", "incidents", "audit_log", "worker_health", "devices"} {
		left[q] = f.count(t, `SELECT count(*) FROM `+q)
	}
	wantLeft := map[string]int{"device_events": 1, "alerts": 2, "alert_events": 2, "deliveries": 3, "incidents": 1,
		"audit_log": 2, "worker_health": 1, "devices": 2}
	if diff := cmp.Diff(wantLeft, left); diff != "" {
		t.Errorf("rows left (-want +got):\n%s", diff)
	}
	var last retention.Report
	at, found, err := f.st.OpsState(ctx, store.OpsRetentionLastRun, &last)
	testenv.Must(t, "last run", err)
	if !found || !at.Equal(now) || !last.Daily || last.Purged[store.PurgeDeviceEvents] != 5 {
		t.Errorf("last run recorded as %s %+v (found %v)", at, last, found)
	}
}

// TestLockKeepsRunsApart: while another session holds the retention lock, a run does nothing.
func TestLockKeepsRunsApart(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testenv.Ctx(t, time.Minute)
	release, ok, err := f.st.TryOpsLock(ctx, "retention")
	if err != nil || !ok {
		t.Fatalf("take lock: ok=%v err=%v", ok, err)
	}
	r := retention.New(retention.Params{Store: f.st, Config: retention.DefaultConfig(), Now: func() time.Time { return now }})
	if _, err := r.Run(ctx, true); !errors.Is(err, retention.ErrBusy) {
		t.Errorf("run under another's lock: %v, want ErrBusy", err)
	}
	if n := f.count(t, `SELECT count(*) FROM pg_class WHERE relname LIKE 'ping\_results\_2%'`); n != 0 {
		t.Errorf("a refused run created %d partitions", n)
	}
	release()
	if _, err := r.Run(ctx, true); err != nil {
		t.Errorf("run after release: %v", err)
	}
}

// TestProcessTask: the slot on At is the daily run; another slot is daily only when the last
// daily run is more than a day old.
func TestProcessTask(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		slot      time.Time
		lastRun   *time.Time
		wantDaily bool
	}{
		{"on 03:00", now, ptr(now.Add(-Day())), true},
		{"other hour after a recent daily run", now.Add(2 * time.Hour), ptr(now), false},
		{"other hour, never ran", now.Add(2 * time.Hour), nil, true},
		{"other hour, daily run missed", now.Add(2 * time.Hour), ptr(now.Add(-Day() - 2*time.Hour)), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			ctx := testenv.Ctx(t, time.Minute)
			if tc.lastRun != nil {
				testenv.Must(t, "last run", f.st.SetOpsState(ctx, store.OpsRetentionLastRun, *tc.lastRun, retention.Report{}))
			}
			clock := tc.slot.Add(time.Minute)
			r := retention.New(retention.Params{Store: f.st, Config: retention.DefaultConfig(), Now: func() time.Time { return clock }})
			p := tasks.CyclePayload{Slot: tc.slot.Unix() / 3600, SlotStart: tc.slot, Interval: time.Hour}
			testenv.Must(t, "process", r.ProcessTask(ctx, asynq.NewTask(tasks.TypeRetention, tasks.Encode(p))))
			var last retention.Report
			at, found, err := f.st.OpsState(ctx, store.OpsRetentionLastRun, &last)
			testenv.Must(t, "last run", err)
			gotDaily := found && at.Equal(clock)
			if gotDaily != tc.wantDaily {
				t.Errorf("daily run: %v, want %v (last run %s)", gotDaily, tc.wantDaily, at)
			}
		})
	}
	t.Run("bad payload", func(t *testing.T) {
		r := retention.New(retention.Params{})
		err := r.ProcessTask(context.Background(), asynq.NewTask(tasks.TypeRetention, []byte("{")))
		if !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("bad payload: %v, want SkipRetry", err)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// Day is retention.Day as a function, to keep the table above short.
func Day() time.Duration { return retention.Day }
