package store_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/device"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jackc/pgx/v5"

	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

// pingDay is the UTC day the ping tests write into; its partitions are created by newPingStore.
var pingDay = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// newPingStore is a store on a fresh database with the partitions of pingDay and the day after.
func newPingStore(t *testing.T) *store.Store {
	t.Helper()
	st := store.New(testenv.NewDB(t), 10*time.Second, nil)
	testenv.Must(t, "create partitions", st.EnsurePingPartitions(testenv.Ctx(t, 10*time.Second), pingDay, 2))
	return st
}

// slotAt is the start of the n-th 30 s slot of pingDay's noon.
func slotAt(n int) time.Time { return pingDay.Add(12*time.Hour + time.Duration(n)*30*time.Second) }

func f64(v float64) *float64 { return &v }

// result builds the outcome of one device in slot n: up with rtt, degraded (1 of 3 lost), down.
func result(id int64, n int, status string, rtt float64) store.PingResult {
	r := store.PingResult{DeviceID: id, SlotAt: slotAt(n), MeasuredAt: slotAt(n).Add(time.Second), Sent: 3, Status: device.Status(status)}
	switch device.Status(status) {
	case store.StatusDown:
		r.LossPct = 100
	case store.StatusDegraded:
		r.Received, r.LossPct = 2, 100.0/3
		r.RTTMinMS, r.RTTAvgMS, r.RTTMaxMS, r.JitterMS = f64(rtt), f64(rtt), f64(rtt), f64(0)
	default:
		r.Received = 3
		r.RTTMinMS, r.RTTAvgMS, r.RTTMaxMS, r.JitterMS = f64(rtt/2), f64(rtt), f64(rtt*2), f64(rtt/4)
	}
	return r
}

func mkDevice(t *testing.T, st *store.Store, name, ip string) store.Device {
	t.Helper()
	d, err := st.CreateDevice(context.Background(), store.DeviceInput{Name: name, IP: netip.MustParseAddr(ip), Enabled: true})
	testenv.Must(t, "create device "+name, err)
	return d
}

// ignoreVersion leaves status versions out of comparisons; TestStatusVersion checks them.
var ignoreVersion = cmp.Options{cmpopts.IgnoreFields(store.StatusChange{}, "Version"), cmpopts.IgnoreFields(store.Status{}, "Version")}

func change(id int64, from, to device.Status, n int) store.StatusChange {
	return store.StatusChange{DeviceID: id, From: from, To: to, At: slotAt(n).Add(time.Second)}
}

func write(t *testing.T, st *store.Store, rs ...store.PingResult) []store.StatusChange {
	t.Helper()
	ch, err := st.WritePingResults(context.Background(), rs)
	testenv.Must(t, "write ping results", err)
	return ch
}

// eventTrail is a device's status events, oldest first, as "from>to@slot-second".
func eventTrail(t *testing.T, st *store.Store, id int64) []string {
	t.Helper()
	evs, err := st.DeviceEvents(context.Background(), id, 100)
	testenv.Must(t, "read events", err)
	var out []string
	for i := len(evs) - 1; i >= 0; i-- {
		e := evs[i]
		if e.Kind != "status" || e.FromStatus == nil || e.ToStatus == nil {
			t.Errorf("event %+v is not a status change", e)
			continue
		}
		out = append(out, fmt.Sprintf("%s>%s@%s", *e.FromStatus, *e.ToStatus, e.At.Format("15:04:05")))
	}
	return out
}

// TestStatusTransitions: every status change of a device produces exactly one change and one
// event; repeating a status produces none.
func TestStatusTransitions(t *testing.T) {
	st := newPingStore(t)
	a := mkDevice(t, st, "a", "127.40.0.1")
	b := mkDevice(t, st, "b", "127.40.0.2")
	steps := []struct {
		name    string
		batch   []store.PingResult
		changes []store.StatusChange
	}{
		{"first results", []store.PingResult{result(a.ID, 0, "up", 1), result(b.ID, 0, "down", 0)},
			[]store.StatusChange{change(a.ID, "unknown", "up", 0), change(b.ID, "unknown", "down", 0)}},
		{"same again", []store.PingResult{result(a.ID, 1, "up", 1.5), result(b.ID, 1, "down", 0)}, nil},
		{"both change", []store.PingResult{result(a.ID, 2, "degraded", 3), result(b.ID, 2, "up", 2)},
			[]store.StatusChange{change(a.ID, "up", "degraded", 2), change(b.ID, "down", "up", 2)}},
		{"one device only", []store.PingResult{result(a.ID, 3, "down", 0)},
			[]store.StatusChange{change(a.ID, "degraded", "down", 3)}},
		{"down stays down", []store.PingResult{result(a.ID, 4, "down", 0), result(b.ID, 4, "up", 2)}, nil},
	}
	for _, s := range steps {
		got := write(t, st, s.batch...)
		if diff := cmp.Diff(s.changes, got, cmpopts.EquateEmpty(), ignoreVersion); diff != "" {
			t.Errorf("%s: changes (-want +got):\n%s", s.name, diff)
		}
	}
	if diff := cmp.Diff([]string{"unknown>up@12:00:01", "up>degraded@12:01:01", "degraded>down@12:01:31"}, eventTrail(t, st, a.ID)); diff != "" {
		t.Errorf("events of a (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"unknown>down@12:00:01", "down>up@12:01:01"}, eventTrail(t, st, b.ID)); diff != "" {
		t.Errorf("events of b (-want +got):\n%s", diff)
	}

	ds, err := st.DeviceWithStatusByID(context.Background(), a.ID)
	testenv.Must(t, "read status", err)
	lastSeen := slotAt(2).Add(time.Second) // the last slot it answered in
	want := store.Status{Status: "down", LossPct: f64(100), LastSeen: &lastSeen, LastChange: slotAt(3).Add(time.Second)}
	if diff := cmp.Diff(want, ds.Status, ignoreVersion); diff != "" {
		t.Errorf("status of a (-want +got):\n%s", diff)
	}
}

// TestRetriedBatchReplacesRows: writing the same slot again (an asynq retry) replaces the
// history rows and the status values, adds no row and no event.
func TestRetriedBatchReplacesRows(t *testing.T) {
	st := newPingStore(t)
	a := mkDevice(t, st, "a", "127.40.0.1")
	b := mkDevice(t, st, "b", "127.40.0.2")
	write(t, st, result(a.ID, 0, "up", 1), result(b.ID, 0, "up", 1))
	if got := write(t, st, result(a.ID, 0, "up", 7), result(b.ID, 0, "up", 8)); len(got) != 0 {
		t.Errorf("retry reported changes %+v", got)
	}
	// a third attempt of only part of the batch
	write(t, st, result(a.ID, 0, "up", 9))

	rows := pingRows(t, st)
	want := []pingRow{{a.ID, slotAt(0), 9, "up"}, {b.ID, slotAt(0), 8, "up"}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("ping_results (-want +got):\n%s", diff)
	}
	for _, id := range []int64{a.ID, b.ID} {
		if n := len(eventTrail(t, st, id)); n != 1 {
			t.Errorf("device %d has %d events, want 1", id, n)
		}
	}
	ds, err := st.DeviceWithStatusByID(context.Background(), a.ID)
	testenv.Must(t, "read status", err)
	if ds.RTTAvgMS == nil || *ds.RTTAvgMS != 9 {
		t.Errorf("status rtt after retry = %v, want 9", ds.RTTAvgMS)
	}
}

type pingRow struct {
	DeviceID int64
	SlotAt   time.Time
	RTTAvg   float64
	Status   string
}

func pingRows(t *testing.T, st *store.Store) []pingRow {
	t.Helper()
	rows, err := st.Pool().Query(context.Background(),
		`SELECT device_id, slot_at, coalesce(rtt_avg_ms, -1), status FROM ping_results ORDER BY device_id, slot_at`)
	testenv.Must(t, "read ping rows", err)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pingRow, error) {
		var p pingRow
		err := r.Scan(&p.DeviceID, &p.SlotAt, &p.RTTAvg, &p.Status)
		p.SlotAt = p.SlotAt.UTC()
		return p, err
	})
	testenv.Must(t, "read ping rows", err)
	return out
}

// TestOlderSlotNeverOverwritesNewer: a late retry of an older slot is kept in the history but
// does not move the latest status backwards or record an event.
func TestOlderSlotNeverOverwritesNewer(t *testing.T) {
	st := newPingStore(t)
	a := mkDevice(t, st, "a", "127.40.0.1")
	write(t, st, result(a.ID, 0, "up", 1))
	write(t, st, result(a.ID, 2, "down", 0))
	if got := write(t, st, result(a.ID, 1, "up", 5)); len(got) != 0 {
		t.Errorf("late older slot reported changes %+v", got)
	}
	ds, err := st.DeviceWithStatusByID(context.Background(), a.ID)
	testenv.Must(t, "read status", err)
	if ds.Status.Status != "down" || ds.RTTAvgMS != nil || !ds.LastChange.Equal(slotAt(2).Add(time.Second)) {
		t.Errorf("status after a late older slot = %+v, want down since slot 2", ds.Status)
	}
	if diff := cmp.Diff([]string{"unknown>up@12:00:01", "up>down@12:01:01"}, eventTrail(t, st, a.ID)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if n := len(pingRows(t, st)); n != 3 {
		t.Errorf("%d history rows, want 3 (the late slot is still history)", n)
	}
}

// TestMaintenanceStatusIsKept: a device in maintenance keeps that status whatever the pings
// say, and no event is recorded, while its measurements are still updated.
func TestMaintenanceStatusIsKept(t *testing.T) {
	st := newPingStore(t)
	a := mkDevice(t, st, "a", "127.40.0.1")
	write(t, st, result(a.ID, 0, "up", 1))
	_, err := st.Pool().Exec(context.Background(), `UPDATE device_status SET status = 'maintenance' WHERE device_id = $1`, a.ID)
	testenv.Must(t, "set maintenance", err)
	before, err := st.DeviceWithStatusByID(context.Background(), a.ID)
	testenv.Must(t, "read status", err)
	for i, s := range []string{"down", "up", "degraded"} {
		if got := write(t, st, result(a.ID, i+1, s, 4)); len(got) != 0 {
			t.Errorf("%s in maintenance reported changes %+v", s, got)
		}
	}
	ds, err := st.DeviceWithStatusByID(context.Background(), a.ID)
	testenv.Must(t, "read status", err)
	if ds.Status.Status != "maintenance" || !ds.LastChange.Equal(before.LastChange) {
		t.Errorf("status = %q changed %s, want maintenance unchanged since %s", ds.Status.Status, ds.LastChange, before.LastChange)
	}
	if ds.RTTAvgMS == nil || *ds.RTTAvgMS != 4 {
		t.Errorf("rtt in maintenance = %v, want the latest measurement 4", ds.RTTAvgMS)
	}
	if diff := cmp.Diff([]string{"unknown>up@12:00:01"}, eventTrail(t, st, a.ID)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// TestResultsOfDeletedDevice: a device deleted while its batch was pinged gets no status change
// and no event (its status row stays as it was), and the rest of the batch is written.
func TestResultsOfDeletedDevice(t *testing.T) {
	st := newPingStore(t)
	a := mkDevice(t, st, "a", "127.40.0.1")
	gone := mkDevice(t, st, "gone", "127.40.0.2")
	testenv.Must(t, "delete", st.DeleteDevice(context.Background(), gone.ID))
	got := write(t, st, result(a.ID, 0, "up", 1), result(gone.ID, 0, "down", 0))
	if diff := cmp.Diff([]store.StatusChange{change(a.ID, "unknown", "up", 0)}, got, ignoreVersion); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	var n int
	testenv.Must(t, "count status rows", st.Pool().QueryRow(context.Background(),
		`SELECT count(*) FROM device_status WHERE device_id = $1 AND (status <> 'unknown' OR last_slot IS NOT NULL)`, gone.ID).Scan(&n))
	if n != 0 {
		t.Errorf("a deleted device's status row was updated")
	}
}

func TestWriteNothing(t *testing.T) {
	st := newPingStore(t)
	got, err := st.WritePingResults(context.Background(), nil)
	if err != nil || got != nil {
		t.Errorf("WritePingResults(nil) = %v, %v", got, err)
	}
}

// TestPartitions: EnsurePingPartitions is idempotent, starts at the UTC day of its argument
// whatever its zone, and each row lands in the partition of its slot's UTC day; a slot without
// a partition is refused, not lost silently.
func TestPartitions(t *testing.T) {
	st := store.New(testenv.NewDB(t), 10*time.Second, nil)
	ctx := testenv.Ctx(t, 30*time.Second)
	// 01:00 in UTC+5:30 on the 2nd is 19:30 UTC on the 1st
	from := time.Date(2026, 3, 2, 1, 0, 0, 0, time.FixedZone("UTC+5:30", 5*3600+1800))
	for range 2 {
		testenv.Must(t, "ensure partitions", st.EnsurePingPartitions(ctx, from, 2))
	}
	testenv.Must(t, "ensure overlapping", st.EnsurePingPartitions(ctx, from.Add(24*time.Hour), 2))
	rows, err := st.Pool().Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'ping_results'::regclass ORDER BY 1`)
	testenv.Must(t, "list partitions", err)
	parts, err := pgx.CollectRows(rows, pgx.RowTo[string])
	testenv.Must(t, "list partitions", err)
	if diff := cmp.Diff([]string{"ping_results_20260301", "ping_results_20260302", "ping_results_20260303"}, parts); diff != "" {
		t.Errorf("partitions (-want +got):\n%s", diff)
	}

	a := mkDevice(t, st, "a", "127.40.0.1")
	b := mkDevice(t, st, "b", "127.40.0.2")
	lastNs := time.Date(2026, 3, 1, 23, 59, 59, 999999000, time.UTC)
	midnight := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	mk := func(id int64, slot time.Time) store.PingResult {
		return store.PingResult{DeviceID: id, SlotAt: slot, MeasuredAt: slot, Sent: 3, Received: 3, LossPct: 0, Status: "up"}
	}
	write(t, st, mk(a.ID, lastNs), mk(b.ID, lastNs))
	write(t, st, mk(a.ID, midnight))
	rows, err = st.Pool().Query(ctx, `SELECT tableoid::regclass::text || ' ' || device_id FROM ping_results ORDER BY 1`)
	testenv.Must(t, "locate rows", err)
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	testenv.Must(t, "locate rows", err)
	want := []string{fmt.Sprintf("ping_results_20260301 %d", a.ID), fmt.Sprintf("ping_results_20260301 %d", b.ID),
		fmt.Sprintf("ping_results_20260302 %d", a.ID)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows by partition (-want +got):\n%s", diff)
	}

	_, err = st.WritePingResults(ctx, []store.PingResult{mk(a.ID, time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC))})
	if err == nil {
		t.Fatal("a slot with no partition was accepted")
	}
	var n int
	testenv.Must(t, "count", st.Pool().QueryRow(ctx, `SELECT count(*) FROM ping_results`).Scan(&n))
	if n != 3 {
		t.Errorf("%d rows after a refused batch, want 3", n)
	}
	if errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing partition reported as not found: %v", err)
	}
}

// TestConcurrentWritersAndPartitions: the same batch written by two transactions at once (a
// rescued batch beside a stalled worker) both succeed and leave one row per (device, slot); and
// workers creating the same partitions at once all succeed.
func TestConcurrentWritersAndPartitions(t *testing.T) {
	st := newPingStore(t)
	ctx := testenv.Ctx(t, 30*time.Second)
	var batch []store.PingResult
	for i := range 20 {
		d := mkDevice(t, st, fmt.Sprintf("dup-%d", i), fmt.Sprintf("127.47.0.%d", i+1))
		batch = append(batch, result(d.ID, 1, "up", 0.5))
	}
	errs := make(chan error, 8)
	for range 4 {
		go func() { _, err := st.WritePingResults(ctx, batch); errs <- err }()
		go func() { errs <- st.EnsurePingPartitions(ctx, pingDay.AddDate(0, 0, 5), 3) }()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent write or partition creation: %v", err)
		}
	}
	var rows, distinct int
	testenv.Must(t, "count", st.Pool().QueryRow(ctx, `SELECT count(*), count(DISTINCT device_id) FROM ping_results WHERE slot_at = $1`, slotAt(1)).Scan(&rows, &distinct))
	if rows != 20 || distinct != 20 {
		t.Errorf("%d rows for %d devices after 4 concurrent writes of one batch, want 20 and 20", rows, distinct)
	}
}
