package store_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

var addrEqual = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

func id64(v int64) *int64 { return &v }

// TestDeviceCRUD covers create (with its 'unknown' status row), read, update, delete and the
// constraint errors the API maps to 409/400/404.
func TestDeviceCRUD(t *testing.T) {
	st := newPingStore(t)
	ctx := testenv.Ctx(t, 30*time.Second)
	in := store.DeviceInput{Name: "br01-rtr", IP: netip.MustParseAddr("127.41.0.1"), Branch: "zrh", Region: "north",
		Type: "router", Vendor: "cisco", Labels: map[string]string{"tier": "1"}, Enabled: true}
	rtr, err := st.CreateDevice(ctx, in)
	testenv.Must(t, "create", err)
	if rtr.ID <= 0 || rtr.CreatedAt.IsZero() || rtr.CreatedAt.Location() != time.UTC {
		t.Errorf("created device %+v: want an id and UTC timestamps", rtr)
	}
	got, err := st.GetDevice(ctx, rtr.ID)
	testenv.Must(t, "get", err)
	if diff := cmp.Diff(rtr, got, addrEqual); diff != "" {
		t.Errorf("get after create (-want +got):\n%s", diff)
	}
	ds, err := st.DeviceWithStatusByID(ctx, rtr.ID)
	testenv.Must(t, "get with status", err)
	if ds.Status.Status != store.StatusUnknown {
		t.Errorf("new device status %q, want unknown", ds.Status.Status)
	}

	_, err = st.CreateDevice(ctx, store.DeviceInput{Name: "br01-rtr", IP: netip.MustParseAddr("127.41.0.9")})
	var ce *store.ConstraintError
	if !errors.Is(err, store.ErrConflict) || !errors.As(err, &ce) || ce.Field() != "name" {
		t.Errorf("duplicate name: %v, want ErrConflict on field name", err)
	}

	sw, err := st.CreateDevice(ctx, store.DeviceInput{Name: "br01-sw", IP: netip.MustParseAddr("127.41.0.2"), ParentID: &rtr.ID, Enabled: true})
	testenv.Must(t, "create child", err)
	if sw.ParentID == nil || *sw.ParentID != rtr.ID || sw.Labels == nil {
		t.Errorf("child %+v: want parent %d and non-nil labels", sw, rtr.ID)
	}

	refCases := []struct {
		name      string
		in        store.DeviceInput
		wantKind  error
		wantField string
	}{
		{"own parent", store.DeviceInput{Name: "br01-sw", IP: sw.IP, ParentID: &sw.ID}, store.ErrInvalidReference, "parent_id"},
		{"missing parent", store.DeviceInput{Name: "br01-sw", IP: sw.IP, ParentID: id64(999999)}, store.ErrInvalidReference, "parent_id"},
		{"missing profile", store.DeviceInput{Name: "br01-sw", IP: sw.IP, ProfileID: id64(999999)}, store.ErrInvalidReference, "profile_id"},
		{"rename onto another", store.DeviceInput{Name: "br01-rtr", IP: sw.IP}, store.ErrConflict, "name"},
	}
	for _, tc := range refCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := st.UpdateDevice(ctx, sw.ID, tc.in)
			var ce *store.ConstraintError
			if !errors.Is(err, tc.wantKind) || !errors.As(err, &ce) || ce.Field() != tc.wantField {
				t.Errorf("update: %v, want %v on field %s", err, tc.wantKind, tc.wantField)
			}
		})
	}

	upd := store.DeviceInput{Name: "br01-switch", IP: netip.MustParseAddr("::1"), Branch: "zrh", Labels: nil, Enabled: false}
	after, err := st.UpdateDevice(ctx, sw.ID, upd)
	testenv.Must(t, "update", err)
	if after.Name != "br01-switch" || after.IP != upd.IP || after.ParentID != nil || after.Enabled || len(after.Labels) != 0 ||
		!after.UpdatedAt.After(sw.UpdatedAt) {
		t.Errorf("after update %+v", after)
	}
	if _, err := st.UpdateDevice(ctx, 999999, upd); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update of a missing device: %v, want ErrNotFound", err)
	}

	ids, err := st.EnabledDeviceIDs(ctx)
	testenv.Must(t, "enabled ids", err)
	if diff := cmp.Diff([]int64{rtr.ID}, ids); diff != "" {
		t.Errorf("enabled ids (-want +got):\n%s", diff)
	}
	byID, err := st.DevicesByID(ctx, []int64{sw.ID, 999999, rtr.ID})
	testenv.Must(t, "by id", err)
	if len(byID) != 2 || byID[0].ID != rtr.ID || byID[1].ID != sw.ID {
		t.Errorf("DevicesByID = %+v, want rtr then sw", byID)
	}

	// deleting a parent unlinks its children; a deleted device keeps its status and events
	// (history) but leaves every lookup, and its name can be taken again
	_, err = st.UpdateDevice(ctx, sw.ID, store.DeviceInput{Name: "br01-switch", IP: upd.IP, ParentID: &rtr.ID})
	testenv.Must(t, "relink", err)
	write(t, st, result(rtr.ID, 0, "up", 1))
	testenv.Must(t, "delete parent", st.DeleteDevice(ctx, rtr.ID))
	child, err := st.GetDevice(ctx, sw.ID)
	testenv.Must(t, "get child", err)
	if child.ParentID != nil {
		t.Errorf("child keeps parent %d after the parent was deleted", *child.ParentID)
	}
	var left int
	testenv.Must(t, "count leftovers", st.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM device_status WHERE device_id = $1)
		+ (SELECT count(*) FROM device_events WHERE device_id = $1)`, rtr.ID).Scan(&left))
	if left < 2 {
		t.Errorf("%d status/event rows left of a deleted device, want its status and event kept", left)
	}
	if byID, _ := st.DevicesByID(ctx, []int64{rtr.ID}); len(byID) != 0 {
		t.Errorf("DevicesByID returns the deleted device: %+v", byID)
	}
	if ids, _ := st.EnabledDeviceIDs(ctx); slices.Contains(ids, rtr.ID) {
		t.Errorf("EnabledDeviceIDs %v holds the deleted device %d", ids, rtr.ID)
	}
	again, err := st.CreateDevice(ctx, store.DeviceInput{Name: rtr.Name, IP: rtr.IP, Enabled: true})
	testenv.Must(t, "create again with the deleted device's name", err)
	if again.ID == rtr.ID {
		t.Errorf("re-created device reuses id %d", rtr.ID)
	}
	if _, err := st.GetDevice(ctx, rtr.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("get deleted: %v, want ErrNotFound", err)
	}
	if err := st.DeleteDevice(ctx, rtr.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete twice: %v, want ErrNotFound", err)
	}
}

// fleet creates the list-filter fixture: 12 devices over 3 branches, 2 regions, 3 types, with
// statuses set by ping results. It returns the devices by name.
func fleet(t *testing.T, st *store.Store) map[string]store.Device {
	t.Helper()
	out := map[string]store.Device{}
	specs := []struct{ name, ip, branch, region, typ, status string }{
		{"zrh-rtr", "127.42.1.1", "zrh", "north", "router", "up"},
		{"zrh-sw1", "127.42.1.2", "zrh", "north", "switch", "up"},
		{"zrh-atm_1", "127.42.1.3", "zrh", "north", "atm", "down"},
		{"zrh-atm%2", "127.42.1.4", "zrh", "north", "atm", "degraded"},
		{"bsl-rtr", "127.42.2.1", "bsl", "north", "router", "up"},
		{"bsl-sw1", "127.42.2.2", "bsl", "north", "switch", ""},
		{"BSL-ATM", "127.42.2.3", "bsl", "north", "atm", "down"},
		{"gva-rtr", "127.42.10.1", "gva", "south", "router", "up"},
		{"gva-sw1", "127.42.10.2", "gva", "south", "switch", "up"},
		{"gva-atm", "127.42.10.3", "gva", "south", "atm", "maintenance"},
		{"o'brien-pc", "127.42.10.4", "gva", "south", "server", "up"},
		{"v6-host", "::1", "gva", "south", "server", "degraded"},
	}
	var results []store.PingResult
	for _, s := range specs {
		d, err := st.CreateDevice(context.Background(), store.DeviceInput{Name: s.name, IP: netip.MustParseAddr(s.ip),
			Branch: s.branch, Region: s.region, Type: s.typ, Enabled: true})
		testenv.Must(t, "create "+s.name, err)
		out[s.name] = d
		switch s.status {
		case "":
		case "maintenance":
			_, err := st.Pool().Exec(context.Background(), `UPDATE device_status SET status='maintenance' WHERE device_id=$1`, d.ID)
			testenv.Must(t, "maintenance", err)
		default:
			results = append(results, result(d.ID, 0, s.status, 1))
		}
	}
	write(t, st, results...)
	return out
}

// TestListDevicesFilters runs each filter (and combinations) over the fleet; SQL metacharacters
// in a filter are plain text.
func TestListDevicesFilters(t *testing.T) {
	st := newPingStore(t)
	fl := fleet(t, st)
	cases := []struct {
		name string
		f    store.DeviceFilter
		want []string
	}{
		{"all", store.DeviceFilter{}, []string{"zrh-rtr", "zrh-sw1", "zrh-atm_1", "zrh-atm%2", "bsl-rtr", "bsl-sw1", "BSL-ATM",
			"gva-rtr", "gva-sw1", "gva-atm", "o'brien-pc", "v6-host"}},
		{"branch", store.DeviceFilter{Branch: "bsl"}, []string{"bsl-rtr", "bsl-sw1", "BSL-ATM"}},
		{"region", store.DeviceFilter{Region: "south"}, []string{"gva-rtr", "gva-sw1", "gva-atm", "o'brien-pc", "v6-host"}},
		{"type", store.DeviceFilter{Type: "atm"}, []string{"zrh-atm_1", "zrh-atm%2", "BSL-ATM", "gva-atm"}},
		{"status up", store.DeviceFilter{Status: "up"}, []string{"zrh-rtr", "zrh-sw1", "bsl-rtr", "gva-rtr", "gva-sw1", "o'brien-pc"}},
		{"status down", store.DeviceFilter{Status: "down"}, []string{"zrh-atm_1", "BSL-ATM"}},
		{"status unknown", store.DeviceFilter{Status: "unknown"}, []string{"bsl-sw1"}},
		{"status maintenance", store.DeviceFilter{Status: "maintenance"}, []string{"gva-atm"}},
		{"branch and type and status", store.DeviceFilter{Branch: "zrh", Type: "atm", Status: "degraded"}, []string{"zrh-atm%2"}},
		{"q substring, any case", store.DeviceFilter{Query: "atm"}, []string{"zrh-atm_1", "zrh-atm%2", "BSL-ATM", "gva-atm"}},
		{"q upper case", store.DeviceFilter{Query: "RTR"}, []string{"zrh-rtr", "bsl-rtr", "gva-rtr"}},
		{"q IP prefix", store.DeviceFilter{Query: "127.42.1."}, []string{"zrh-rtr", "zrh-sw1", "zrh-atm_1", "zrh-atm%2"}},
		{"q IP prefix without the dot", store.DeviceFilter{Query: "127.42.1"}, []string{"zrh-rtr", "zrh-sw1", "zrh-atm_1", "zrh-atm%2",
			"gva-rtr", "gva-sw1", "gva-atm", "o'brien-pc"}},
		{"q full IP", store.DeviceFilter{Query: "127.42.2.3"}, []string{"BSL-ATM"}},
		{"q IPv6", store.DeviceFilter{Query: "::1"}, []string{"v6-host"}},
		{"q percent is literal", store.DeviceFilter{Query: "%"}, []string{"zrh-atm%2"}},
		{"q underscore is literal", store.DeviceFilter{Query: "_"}, []string{"zrh-atm_1"}},
		{"q quote", store.DeviceFilter{Query: "o'b"}, []string{"o'brien-pc"}},
		{"q injection", store.DeviceFilter{Query: "' OR '1'='1"}, nil},
		{"branch injection", store.DeviceFilter{Branch: "zrh' OR 'a'='a"}, nil},
		{"q backslash", store.DeviceFilter{Query: `\`}, nil},
		{"q and branch", store.DeviceFilter{Query: "sw1", Branch: "gva"}, []string{"gva-sw1"}},
		{"no match", store.DeviceFilter{Branch: "nowhere"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.f.Limit = 100
			list, next, err := st.ListDevices(context.Background(), tc.f)
			testenv.Must(t, "list", err)
			var got []string
			for _, d := range list {
				got = append(got, d.Name)
				if d.ID != fl[d.Name].ID {
					t.Errorf("%s has id %d, want %d", d.Name, d.ID, fl[d.Name].ID)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
			if next != 0 {
				t.Errorf("next cursor %d on a single page", next)
			}
		})
	}
}

// TestListDevicesPagination walks every page size over the fleet: each device appears exactly
// once, in id order, and the last page has no cursor.
func TestListDevicesPagination(t *testing.T) {
	st := newPingStore(t)
	fl := fleet(t, st)
	for _, size := range []int{1, 5, 11, 12, 13} {
		t.Run(fmt.Sprintf("limit %d", size), func(t *testing.T) {
			seen := map[int64]int{}
			var order []int64
			f := store.DeviceFilter{Limit: size}
			for pages := 0; ; pages++ {
				if pages > len(fl)+1 {
					t.Fatal("pagination does not end")
				}
				list, next, err := st.ListDevices(context.Background(), f)
				testenv.Must(t, "page", err)
				if len(list) > size {
					t.Fatalf("page of %d, limit %d", len(list), size)
				}
				for _, d := range list {
					seen[d.ID]++
					order = append(order, d.ID)
				}
				if next == 0 {
					break
				}
				if next != list[len(list)-1].ID {
					t.Fatalf("cursor %d is not the last id of the page %d", next, list[len(list)-1].ID)
				}
				f.After = next
			}
			if len(seen) != len(fl) || len(order) != len(fl) {
				t.Errorf("saw %d distinct / %d total devices, want %d each", len(seen), len(order), len(fl))
			}
			for i := 1; i < len(order); i++ {
				if order[i] <= order[i-1] {
					t.Errorf("ids out of order: %v", order)
					break
				}
			}
		})
	}
	// a filtered walk
	f := store.DeviceFilter{Region: "north", Limit: 2}
	var names []string
	for {
		list, next, err := st.ListDevices(context.Background(), f)
		testenv.Must(t, "page", err)
		for _, d := range list {
			names = append(names, d.Name)
		}
		if next == 0 {
			break
		}
		f.After = next
	}
	if diff := cmp.Diff([]string{"zrh-rtr", "zrh-sw1", "zrh-atm_1", "zrh-atm%2", "bsl-rtr", "bsl-sw1", "BSL-ATM"}, names); diff != "" {
		t.Errorf("filtered walk (-want +got):\n%s", diff)
	}
}

// TestStandaloneList: every device, in id order, with its latest status in the SPEC's shape.
func TestStandaloneList(t *testing.T) {
	st := newPingStore(t)
	ctx := context.Background()
	empty, err := st.StandaloneList(ctx)
	testenv.Must(t, "empty list", err)
	if empty == nil || len(empty) != 0 {
		t.Errorf("empty inventory: %v, want an empty non-nil list", empty)
	}
	rtr := mkDevice(t, st, "rtr", "127.43.0.1")
	atm, err := st.CreateDevice(ctx, store.DeviceInput{Name: "atm", IP: netip.MustParseAddr("127.43.0.2"), Branch: "zrh",
		Region: "north", Type: "atm", ParentID: &rtr.ID})
	testenv.Must(t, "create atm", err)
	fresh := mkDevice(t, st, "fresh", "::1")
	write(t, st, result(rtr.ID, 0, "up", 2), result(atm.ID, 0, "down", 0))

	got, err := st.StandaloneList(ctx)
	testenv.Must(t, "list", err)
	seen := slotAt(0).Add(time.Second)
	want := []store.StandaloneRow{
		{ID: rtr.ID, Name: "rtr", IP: "127.43.0.1", Status: "up", RTTMS: f64(2), LossPct: f64(0), JitterMS: f64(0.5), LastSeen: &seen, LastChange: seen},
		{ID: atm.ID, Name: "atm", IP: "127.43.0.2", Branch: "zrh", Region: "north", Type: "atm", ParentID: &rtr.ID, Status: "down",
			LossPct: f64(100), LastChange: seen},
		{ID: fresh.ID, Name: "fresh", IP: "::1", Status: "unknown"},
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(store.StandaloneRow{}, "LastChange", "Version")); diff != "" {
		t.Errorf("standalone list (-want +got):\n%s", diff)
	}
	for i, r := range got[:2] {
		if !r.LastChange.Equal(want[i].LastChange) {
			t.Errorf("%s last_change %s, want %s", r.Name, r.LastChange, want[i].LastChange)
		}
	}
	if got[2].LastChange.IsZero() || got[2].LastChange.Location() != time.UTC {
		t.Errorf("a fresh device's last_change %v: want its creation time in UTC", got[2].LastChange)
	}
}
