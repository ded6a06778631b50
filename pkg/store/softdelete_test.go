package store_test

import (
	"math"
	"net/netip"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

// TestDeletedDeviceKeepsHistory: a device deleted an hour ago is gone from the device list and
// the standalone list, but its events stay, the availability report of the last two hours
// counts it for the hour it existed (down the last half of it) with its outage ending at the
// deletion, a report of the last half hour leaves it out, and retention purges it (events
// included) only once the cut-off passes its deletion.
func TestDeletedDeviceKeepsHistory(t *testing.T) {
	st := store.New(testenv.NewDB(t), 10*time.Second, nil)
	ctx := testenv.Ctx(t, 20*time.Second)
	now := time.Now().UTC().Truncate(time.Second)
	mk := func(name string) store.Device {
		d, err := st.CreateDevice(ctx, store.DeviceInput{Name: name, IP: netip.MustParseAddr("127.41.0.1"), Enabled: true})
		testenv.Must(t, "create "+name, err)
		return d
	}
	keep, gone := mk("keep"), mk("gone")
	exec := func(what, q string, args ...any) {
		_, err := st.Pool().Exec(ctx, q, args...)
		testenv.Must(t, what, err)
	}
	exec("age devices", `UPDATE devices SET created_at = $1`, now.Add(-3*time.Hour))
	exec("events", `INSERT INTO device_events (device_id, at, kind, from_status, to_status) VALUES
		($1, $2, 'status', 'unknown', 'up'), ($1, $3, 'status', 'up', 'down')`, gone.ID, now.Add(-3*time.Hour), now.Add(-90*time.Minute))
	testenv.Must(t, "delete", st.DeleteDevice(ctx, gone.ID))
	exec("date the deletion", `UPDATE devices SET deleted_at = $2 WHERE id = $1`, gone.ID, now.Add(-time.Hour))

	list, _, err := st.ListDevices(ctx, store.DeviceFilter{Limit: 10})
	testenv.Must(t, "list", err)
	sl, err := st.StandaloneList(ctx)
	testenv.Must(t, "standalone", err)
	if len(list) != 1 || list[0].ID != keep.ID || len(sl) != 1 || sl[0].ID != keep.ID {
		t.Errorf("lists hold %d / %d devices, want only %q", len(list), len(sl), keep.Name)
	}
	if evs, err := st.DeviceEvents(ctx, gone.ID, 10); err != nil || len(evs) != 2 {
		t.Errorf("events of the deleted device: %d (%v), want 2", len(evs), err)
	}
	rows, err := st.Availability(ctx, now.Add(-2*time.Hour), now, store.DeviceScope{})
	testenv.Must(t, "availability", err)
	byID := map[int64]store.AvailabilityRow{}
	for _, r := range rows {
		byID[r.DeviceID] = r
	}
	g, ok := byID[gone.ID]
	if !ok || math.Abs(g.MonitoredS-3600) > 1 || math.Abs(g.DownS-1800) > 1 || len(rows) != 2 {
		t.Errorf("availability of the deleted device: %+v (found %v), want 3600 s monitored, 1800 s down", g, ok)
	}
	outs, _, err := st.Outages(ctx, now.Add(-2*time.Hour), now, 10, store.DeviceScope{})
	testenv.Must(t, "outages", err)
	if len(outs) != 1 || outs[0].End == nil || !outs[0].End.Equal(now.Add(-time.Hour)) {
		t.Errorf("outages %+v, want one ending at the deletion", outs)
	}
	if rows, _ := st.Availability(ctx, now.Add(-30*time.Minute), now, store.DeviceScope{}); len(rows) != 1 {
		t.Errorf("a report after the deletion lists %d devices, want 1", len(rows))
	}
	for _, tc := range []struct {
		before time.Time
		want   int64
	}{{now.Add(-2 * time.Hour), 0}, {now, 1}} {
		n, err := st.PurgeBatch(ctx, store.PurgeDevices, tc.before, 100)
		testenv.Must(t, "purge", err)
		if n != tc.want {
			t.Errorf("purge before %s removed %d devices, want %d", tc.before, n, tc.want)
		}
	}
	if evs, _ := st.DeviceEvents(ctx, gone.ID, 10); len(evs) != 0 {
		t.Errorf("%d events left of a purged device", len(evs))
	}
}
