package store_test

import (
	"context"
	"errors"
	"net/netip"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

func imp(name, ip, parent string) store.ImportDevice {
	return store.ImportDevice{DeviceInput: store.DeviceInput{Name: name, IP: netip.MustParseAddr(ip), Branch: "zrh", Enabled: true,
		Labels: map[string]string{"src": "csv"}}, ParentName: parent}
}

// inventorySnapshot is every device as "name ip parent-name enabled", sorted, plus the number of
// status rows: what an import may change.
func inventorySnapshot(t *testing.T, st *store.Store) ([]string, int) {
	t.Helper()
	rows, err := st.Pool().Query(context.Background(), `SELECT d.name || ' ' || host(d.ip) || ' ' || coalesce(p.name, '-') || ' ' || d.enabled
		FROM devices d LEFT JOIN devices p ON p.id = d.parent_id`)
	testenv.Must(t, "snapshot", err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		testenv.Must(t, "scan", rows.Scan(&s))
		out = append(out, s)
	}
	sort.Strings(out)
	var n int
	testenv.Must(t, "count status", st.Pool().QueryRow(context.Background(), `SELECT count(*) FROM device_status`).Scan(&n))
	return out, n
}

// TestImportDevices: an import creates devices with status rows and links parents by name
// (children may come before their parent); running it again updates the same rows.
func TestImportDevices(t *testing.T) {
	st := newPingStore(t)
	ctx := context.Background()
	core := mkDevice(t, st, "core", "127.44.0.254")
	devs := []store.ImportDevice{
		imp("zrh-atm", "127.44.0.3", "zrh-sw"), // parent later in the file
		imp("zrh-sw", "127.44.0.2", "zrh-rtr"),
		imp("zrh-rtr", "127.44.0.1", "core"), // parent already in the inventory
	}
	res, err := st.ImportDevices(ctx, devs)
	testenv.Must(t, "import", err)
	if diff := cmp.Diff(store.ImportResult{Created: 3, Places: []string{"line 0: created branch zrh (no region)"}}, res); diff != "" {
		t.Errorf("first import (-want +got):\n%s", diff)
	}
	want := []string{"core 127.44.0.254 - true", "zrh-atm 127.44.0.3 zrh-sw true", "zrh-rtr 127.44.0.1 core true", "zrh-sw 127.44.0.2 zrh-rtr true"}
	got, statusRows := inventorySnapshot(t, st)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("inventory after import (-want +got):\n%s", diff)
	}
	if statusRows != 4 {
		t.Errorf("%d status rows, want 4", statusRows)
	}
	ids := func() map[string]int64 {
		list, _, err := st.ListDevices(ctx, store.DeviceFilter{Limit: 100})
		testenv.Must(t, "list", err)
		m := map[string]int64{}
		for _, d := range list {
			m[d.Name] = d.ID
			if d.Name != "core" && d.Labels["src"] != "csv" {
				t.Errorf("%s labels %v", d.Name, d.Labels)
			}
		}
		return m
	}
	before := ids()

	res, err = st.ImportDevices(ctx, devs)
	testenv.Must(t, "import again", err)
	if diff := cmp.Diff(store.ImportResult{Updated: 3, Places: []string{}}, res); diff != "" {
		t.Errorf("second import (-want +got):\n%s", diff)
	}
	got, statusRows = inventorySnapshot(t, st)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("inventory after the second import (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, ids()); diff != "" || statusRows != 4 {
		t.Errorf("ids changed by a re-import (-before +after):\n%s (status rows %d)", diff, statusRows)
	}

	// a re-import is a full update: a changed IP and a dropped parent land too
	res, err = st.ImportDevices(ctx, []store.ImportDevice{imp("zrh-rtr", "127.44.0.11", ""), imp("zrh-new", "127.44.0.4", "zrh-rtr")})
	testenv.Must(t, "third import", err)
	if diff := cmp.Diff(store.ImportResult{Created: 1, Updated: 1, Places: []string{}}, res); diff != "" {
		t.Errorf("third import (-want +got):\n%s", diff)
	}
	got, _ = inventorySnapshot(t, st)
	want = []string{"core 127.44.0.254 - true", "zrh-atm 127.44.0.3 zrh-sw true", "zrh-new 127.44.0.4 zrh-rtr true",
		"zrh-rtr 127.44.0.11 - true", "zrh-sw 127.44.0.2 zrh-rtr true"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("inventory after the third import (-want +got):\n%s", diff)
	}
	_ = core

	if res, err := st.ImportDevices(ctx, nil); err != nil || res.Created+res.Updated != 0 || len(res.Places) != 0 {
		t.Errorf("empty import = %+v, %v", res, err)
	}
	exist, err := st.DeviceNamesExist(ctx, []string{"core", "zrh-sw", "nope"})
	testenv.Must(t, "names exist", err)
	if diff := cmp.Diff(map[string]bool{"core": true, "zrh-sw": true}, exist); diff != "" {
		t.Errorf("DeviceNamesExist (-want +got):\n%s", diff)
	}
}

// TestImportAllOrNothing: one bad row (a constraint the database enforces, or two rows with the
// same name) fails the whole import, and nothing of it is written — neither new devices nor
// updates of existing ones.
func TestImportAllOrNothing(t *testing.T) {
	st := newPingStore(t)
	ctx := context.Background()
	mkDevice(t, st, "existing", "127.45.0.1")
	before, beforeStatus := inventorySnapshot(t, st)
	cases := []struct {
		name string
		devs []store.ImportDevice
	}{
		{"blank name violates a CHECK", []store.ImportDevice{
			imp("new-1", "127.45.0.2", ""), imp("existing", "127.45.0.99", "new-1"), imp("   ", "127.45.0.3", "")}},
		{"same name twice", []store.ImportDevice{
			imp("new-1", "127.45.0.2", ""), imp("existing", "127.45.0.99", ""), imp("new-1", "127.45.0.4", "")}},
		{"parent loop through the inventory", []store.ImportDevice{
			imp("new-1", "127.45.0.2", "existing"), imp("existing", "127.45.0.99", "new-1")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := st.ImportDevices(ctx, tc.devs)
			if err == nil {
				t.Fatalf("import succeeded with %+v", res)
			}
			if res.Created+res.Updated != 0 || res.Places != nil {
				t.Errorf("failed import reported %+v", res)
			}
			if errors.Is(err, store.ErrNotFound) {
				t.Errorf("error %v", err)
			}
			after, afterStatus := inventorySnapshot(t, st)
			if diff := cmp.Diff(before, after); diff != "" || afterStatus != beforeStatus {
				t.Errorf("a failed import changed the inventory (-before +after):\n%s (status rows %d → %d)", diff, beforeStatus, afterStatus)
			}
		})
	}
}

// TestParentLoopRefused: neither an update nor an import may close a parent loop; the error
// names the loop and the refused write leaves the inventory as it was.
func TestParentLoopRefused(t *testing.T) {
	st := newPingStore(t)
	ctx := context.Background()
	a := mkDevice(t, st, "loop-a", "127.46.0.1")
	b := mkDevice(t, st, "loop-b", "127.46.0.2")
	c := mkDevice(t, st, "loop-c", "127.46.0.3")
	set := func(d store.Device, parent *int64) error {
		_, err := st.UpdateDevice(ctx, d.ID, store.DeviceInput{Name: d.Name, IP: d.IP, Enabled: true, ParentID: parent})
		return err
	}
	testenv.Must(t, "b under a", set(b, &a.ID))
	testenv.Must(t, "c under b", set(c, &b.ID))
	err := set(a, &c.ID)
	var ce *store.ConstraintError
	if !errors.As(err, &ce) || !errors.Is(err, store.ErrInvalidReference) {
		t.Fatalf("a under c: err %v, want a parent-loop ConstraintError", err)
	}
	if want := "parent loop: loop-a → loop-c → loop-b → loop-a"; ce.ClientMessage("device") != want || ce.Field() != "parent_id" {
		t.Errorf("message %q field %q, want %q parent_id", ce.ClientMessage("device"), ce.Field(), want)
	}
	got, err := st.GetDevice(ctx, a.ID)
	testenv.Must(t, "read a", err)
	if got.ParentID != nil {
		t.Errorf("refused update left parent %d", *got.ParentID)
	}
	testenv.Must(t, "a under nothing again", set(a, nil))
}
