package store_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

// TestAvailability checks the time by status and the outages computed from status events over
// a window, for a device that was down across the window's start, one created inside it, one
// with no events at all, one in maintenance and one still down at the end.
func TestAvailability(t *testing.T) {
	ctx := testenv.Ctx(t, time.Minute)
	pool := testenv.NewDB(t)
	st := store.New(pool, 10*time.Second, nil)
	to := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	from := to.Add(-10 * time.Hour)
	at := func(h float64) time.Time { return from.Add(time.Duration(h * float64(time.Hour))) }
	type ev struct {
		h        float64
		from, to string
	}
	devices := []struct {
		name    string
		created time.Time
		current string
		events  []ev
	}{
		// down since before the window, up at 1h, down 4h..6h
		{"across-start", from.Add(-48 * time.Hour), "up", []ev{{-30, "unknown", "up"}, {-2, "up", "down"}, {1, "down", "up"}, {4, "up", "down"}, {6, "down", "up"}}},
		// created at 5h: unknown for 30 min, then up
		{"created-inside", at(5), "up", []ev{{5.5, "unknown", "up"}}},
		// no event ever: the current status holds for the whole window
		{"quiet", from.Add(-48 * time.Hour), "up", nil},
		// maintenance 2h..3h, an interface event that is not a status change
		{"maintained", from.Add(-48 * time.Hour), "up", []ev{{-20, "unknown", "up"}, {2, "up", "maintenance"}, {2.5, "", ""}, {3, "maintenance", "up"}}},
		// still down at the end
		{"still-down", from.Add(-48 * time.Hour), "down", []ev{{-20, "unknown", "up"}, {9, "up", "down"}}},
	}
	ids := map[string]int64{}
	for i, d := range devices {
		var id int64
		err := pool.QueryRow(ctx, `INSERT INTO devices (name, ip, branch, region, created_at) VALUES ($1, $2, 'B1', 'R1', $3) RETURNING id`,
			d.name, netip.AddrFrom4([4]byte{127, 62, 0, byte(i + 1)}), d.created).Scan(&id)
		testenv.Must(t, "insert device", err)
		ids[d.name] = id
		_, err = pool.Exec(ctx, `INSERT INTO device_status (device_id, status) VALUES ($1, $2)
			ON CONFLICT (device_id) DO UPDATE SET status = excluded.status`, id, d.current)
		testenv.Must(t, "insert status", err)
		for _, e := range d.events {
			kind := "status"
			if e.to == "" {
				kind = "if_down"
			}
			_, err := pool.Exec(ctx, `INSERT INTO device_events (device_id, at, kind, from_status, to_status) VALUES ($1, $2, $3, nullif($4, ''), nullif($5, ''))`,
				id, at(e.h), kind, e.from, e.to)
			testenv.Must(t, "insert event", err)
		}
	}

	got, err := st.Availability(ctx, from, to, store.DeviceScope{})
	testenv.Must(t, "availability", err)
	h := 3600.0
	want := []store.AvailabilityRow{
		{DeviceID: ids["across-start"], Name: "across-start", Branch: "B1", Region: "R1", MonitoredS: 10 * h, DownS: 3 * h, Outages: 2, CurrentStatus: "up"},
		{DeviceID: ids["created-inside"], Name: "created-inside", Branch: "B1", Region: "R1", MonitoredS: 5 * h, UnknownS: 0.5 * h, CurrentStatus: "up"},
		{DeviceID: ids["quiet"], Name: "quiet", Branch: "B1", Region: "R1", MonitoredS: 10 * h, CurrentStatus: "up"},
		{DeviceID: ids["maintained"], Name: "maintained", Branch: "B1", Region: "R1", MonitoredS: 10 * h, MaintenanceS: h, CurrentStatus: "up"},
		{DeviceID: ids["still-down"], Name: "still-down", Branch: "B1", Region: "R1", MonitoredS: 10 * h, DownS: h, Outages: 1, CurrentStatus: "down"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Availability (-want +got):\n%s", diff)
	}

	outs, more, err := st.Outages(ctx, from, to, 10, store.DeviceScope{})
	testenv.Must(t, "outages", err)
	end := func(h float64) *time.Time { v := at(h); return &v }
	wantOuts := []store.Outage{
		{DeviceID: ids["still-down"], Name: "still-down", Branch: "B1", Region: "R1", Start: at(9)},
		{DeviceID: ids["across-start"], Name: "across-start", Branch: "B1", Region: "R1", Start: at(4), End: end(6)},
		{DeviceID: ids["across-start"], Name: "across-start", Branch: "B1", Region: "R1", Start: at(-2), End: end(1)},
	}
	if diff := cmp.Diff(wantOuts, outs); diff != "" || more {
		t.Errorf("Outages (more=%v) (-want +got):\n%s", more, diff)
	}
	outs, more, err = st.Outages(ctx, from, to, 2, store.DeviceScope{})
	testenv.Must(t, "outages", err)
	if len(outs) != 2 || !more {
		t.Errorf("Outages(limit 2) = %d outages, more=%v; want 2 and more", len(outs), more)
	}
}
