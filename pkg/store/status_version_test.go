package store_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

// versions reads a device's status version from the three places that serve it: the device
// API's row, its page of the device list and the standalone list.
func versions(t *testing.T, st *store.Store, id int64) [3]int64 {
	t.Helper()
	ctx := context.Background()
	one, err := st.DeviceWithStatusByID(ctx, id)
	testenv.Must(t, "read device", err)
	page, _, err := st.ListDevices(ctx, store.DeviceFilter{After: id - 1, Limit: 1})
	testenv.Must(t, "list devices", err)
	all, err := st.StandaloneList(ctx)
	testenv.Must(t, "standalone list", err)
	out := [3]int64{one.Version, page[0].Version, -1}
	for _, r := range all {
		if r.ID == id {
			out[2] = r.Version
		}
	}
	return out
}

// TestStatusVersion: every status change — by a ping write, entering and leaving maintenance —
// gives the device a higher version, the same in the device API, the device list, the
// standalone list and the change the write returns (the live event's payload); a write that
// changes nothing, and a late retry of an older slot, keep it.
func TestStatusVersion(t *testing.T) {
	st := newPingStore(t)
	a := mkDevice(t, st, "a", "127.44.0.1")
	b := mkDevice(t, st, "b", "127.44.0.2")
	last := versions(t, st, a.ID)[0]
	steps := []struct {
		name   string
		slot   int
		status string
		change bool
	}{
		{"first answer", 0, "up", true},
		{"still up", 1, "up", false},
		{"down", 2, "down", true},
		{"still down", 3, "down", false},
		{"late retry of an older slot", 1, "up", false},
		{"up again", 4, "up", true},
		{"degraded", 5, "degraded", true},
		{"down", 6, "down", true},
	}
	for _, s := range steps {
		got := write(t, st, result(a.ID, s.slot, s.status, 1), result(b.ID, s.slot, "up", 1))
		v := versions(t, st, a.ID)
		if v[0] != v[1] || v[0] != v[2] {
			t.Errorf("%s: version by id %d, in the device list %d, in the standalone list %d: want one value", s.name, v[0], v[1], v[2])
		}
		var ev *store.StatusChange
		for i := range got {
			if got[i].DeviceID == a.ID {
				ev = &got[i]
			}
		}
		switch {
		case s.change && (ev == nil || v[0] <= last || ev.Version != v[0]):
			t.Errorf("%s: change %+v, stored version %d after %d: want a change carrying a higher version", s.name, ev, v[0], last)
		case !s.change && (ev != nil || v[0] != last):
			t.Errorf("%s: change %+v, version %d after %d: want no change and the same version", s.name, ev, v[0], last)
		}
		last = v[0]
	}

	ctx := context.Background()
	pass := func(name string, maint map[int64]int64) {
		t.Helper()
		saved, err := st.SaveAlertPass(ctx, &alert.Result{Source: alert.SourcePing, Now: slotAt(7), Maintenance: maint})
		testenv.Must(t, name, err)
		v := versions(t, st, a.ID)
		if v[0] <= last || v[0] != v[1] || v[0] != v[2] {
			t.Errorf("%s: versions %v after %d, want one higher value", name, v, last)
		}
		if len(saved.Status) != 1 || saved.Status[0].DeviceID != a.ID || saved.Status[0].Version != v[0] {
			t.Errorf("%s: the pass returned status changes %+v, want one of device %d with version %d (the live event)", name, saved.Status, a.ID, v[0])
		}
		last = v[0]
	}
	pass("enter maintenance", map[int64]int64{a.ID: 1})
	if got := write(t, st, result(a.ID, 8, "up", 1)); len(got) != 0 || versions(t, st, a.ID)[0] != last {
		t.Errorf("a ping in maintenance changed %+v or the version", got)
	}
	pass("leave maintenance", map[int64]int64{})
}

// TestBlockedBy: blocked_by is the topmost down ancestor along the whole parent chain, the
// same in the standalone list, the device list, the device API and the status changes of a
// write; null when no ancestor is down.
func TestBlockedBy(t *testing.T) {
	st := newPingStore(t)
	ctx := context.Background()
	mk := func(name, ip string, parent *store.Device) store.Device {
		in := store.DeviceInput{Name: name, IP: netip.MustParseAddr(ip), Enabled: true}
		if parent != nil {
			in.ParentID = &parent.ID
		}
		d, err := st.CreateDevice(ctx, in)
		testenv.Must(t, "create "+name, err)
		return d
	}
	gp := mk("core", "127.45.0.1", nil)
	p := mk("branch-router", "127.45.0.2", &gp)
	c := mk("branch-switch", "127.45.0.3", &p)
	gc := mk("atm", "127.45.0.4", &c)
	other := mk("lone", "127.45.0.5", nil)
	names := map[int64]string{gp.ID: "core", p.ID: "branch-router", c.ID: "branch-switch", gc.ID: "atm", other.ID: "lone"}
	ids := []int64{gp.ID, p.ID, c.ID, gc.ID, other.ID}

	steps := []struct {
		name     string
		statuses [5]string // gp, p, c, gc, other
		want     map[string]string
	}{
		{"all up", [5]string{"up", "up", "up", "up", "up"}, map[string]string{}},
		{"parent down", [5]string{"up", "up", "down", "down", "up"},
			map[string]string{"atm": "branch-switch"}},
		{"grandparent down, the rest still answering", [5]string{"up", "down", "up", "up", "down"},
			map[string]string{"branch-switch": "branch-router", "atm": "branch-router"}},
		{"parent and grandparent down: the topmost", [5]string{"up", "down", "down", "down", "up"},
			map[string]string{"branch-switch": "branch-router", "atm": "branch-router"}},
		{"the whole chain down: the root", [5]string{"down", "down", "down", "down", "up"},
			map[string]string{"branch-router": "core", "branch-switch": "core", "atm": "core"}},
		{"parent up again, grandparent still down", [5]string{"down", "up", "up", "down", "up"},
			map[string]string{"branch-router": "core", "branch-switch": "core", "atm": "core"}},
		{"all up again", [5]string{"up", "up", "up", "up", "up"}, map[string]string{}},
	}
	for n, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			var rs []store.PingResult
			for i, id := range ids {
				rs = append(rs, result(id, n, s.statuses[i], 1))
			}
			changes := write(t, st, rs...)
			named := func(id int64, b *int64) (string, string) {
				if b == nil {
					return names[id], ""
				}
				return names[id], names[*b]
			}
			collect := func(add func(func(id int64, b *int64))) map[string]string {
				m := map[string]string{}
				add(func(id int64, b *int64) {
					if k, v := named(id, b); v != "" {
						m[k] = v
					}
				})
				return m
			}
			all, err := st.StandaloneList(ctx)
			testenv.Must(t, "standalone list", err)
			page, _, err := st.ListDevices(ctx, store.DeviceFilter{Limit: 100})
			testenv.Must(t, "list devices", err)
			got := map[string]map[string]string{
				"standalone list": collect(func(f func(int64, *int64)) {
					for _, r := range all {
						f(r.ID, r.BlockedBy)
					}
				}),
				"device list": collect(func(f func(int64, *int64)) {
					for _, r := range page {
						f(r.ID, r.BlockedBy)
					}
				}),
				"device by id": collect(func(f func(int64, *int64)) {
					for _, id := range ids {
						d, err := st.DeviceWithStatusByID(ctx, id)
						testenv.Must(t, "read device", err)
						f(d.ID, d.BlockedBy)
					}
				}),
			}
			want := map[string]map[string]string{"standalone list": s.want, "device list": s.want, "device by id": s.want}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("blocked_by, device → root (-want +got):\n%s", diff)
			}
			for _, ch := range changes {
				k, v := named(ch.DeviceID, ch.BlockedBy)
				if v != s.want[k] {
					t.Errorf("status change of %s: blocked_by %q, want %q", k, v, s.want[k])
				}
			}
		})
	}
}
