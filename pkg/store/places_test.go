package store_test

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/store"
	sqlfiles "github.com/wardops/wardops/sql"
	"github.com/wardops/wardops/testinfra/testenv"
)

// migrationParts returns the Up and Down statements of one migration file.
func migrationParts(t *testing.T, file string) (up, down string) {
	t.Helper()
	raw, err := sqlfiles.FS.ReadFile(file)
	testenv.Must(t, "read migration", err)
	up, down, _ = strings.Cut(strings.TrimPrefix(string(raw), "-- +goose Up"), "-- +goose Down")
	return up, down
}

// TestPlacesMigration runs migration 00013 over free-text places as earlier versions stored
// them: spellings that differ only in case or spaces become one region or branch, in their most
// used spelling; a branch name in two regions is two branches; nothing loses its place, and
// user scopes follow the canonical spelling.
func TestPlacesMigration(t *testing.T) {
	st := store.New(testenv.NewDB(t), 5*time.Second, nil)
	ctx := t.Context()
	up, down := migrationParts(t, "00013_places.sql")
	_, err := st.Pool().Exec(ctx, down)
	testenv.Must(t, "undo migration 00013", err)
	type dev struct{ name, region, branch string }
	old := []dev{
		{"s1", "South", "zrh"}, {"s2", "South", "zrh"}, {"s3", " south ", "ZRH "}, {"n1", "North", "zrh"},
		{"l1", "", "lonely"}, {"e1", "East", ""}, {"x1", "", ""},
	}
	for i, d := range old {
		_, err := st.Pool().Exec(ctx, `INSERT INTO devices (name, ip, region, branch) VALUES ($1, $2, $3, $4)`,
			d.name, "127.46.0."+string(rune('1'+i)), d.region, d.branch)
		testenv.Must(t, "insert old device", err)
	}
	_, err = st.Pool().Exec(ctx, `INSERT INTO users (username, role, password_hash, scope_regions, scope_branches)
		VALUES ('scoped', 'viewer', 'x', '{south,Atlantis}', '{Zrh}')`)
	testenv.Must(t, "insert scoped user", err)
	_, err = st.Pool().Exec(ctx, up)
	testenv.Must(t, "run migration 00013", err)

	var got []dev
	rows, err := st.Pool().Query(ctx, `SELECT d.name, d.region, d.branch FROM devices d ORDER BY d.name`)
	testenv.Must(t, "read devices", err)
	for rows.Next() {
		var d dev
		testenv.Must(t, "scan", rows.Scan(&d.name, &d.region, &d.branch))
		got = append(got, d)
	}
	want := []dev{{"e1", "East", ""}, {"l1", "", "lonely"}, {"n1", "North", "zrh"}, {"s1", "South", "zrh"},
		{"s2", "South", "zrh"}, {"s3", "South", "zrh"}, {"x1", "", ""}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(dev{})); diff != "" {
		t.Errorf("devices after the migration (-want +got):\n%s", diff)
	}
	regions, err := st.ListRegions(ctx)
	testenv.Must(t, "list regions", err)
	var rnames []string
	for _, r := range regions {
		rnames = append(rnames, r.Name)
	}
	if diff := cmp.Diff([]string{"East", "North", "South"}, rnames); diff != "" {
		t.Errorf("regions (-want +got):\n%s", diff)
	}
	branches, err := st.ListBranches(ctx, 0)
	testenv.Must(t, "list branches", err)
	var bnames []string
	for _, b := range branches {
		bnames = append(bnames, b.Region+"/"+b.Name+"/"+itoa(b.Devices))
	}
	if diff := cmp.Diff([]string{"/lonely/1", "North/zrh/1", "South/zrh/3"}, bnames); diff != "" {
		t.Errorf("branches region/name/devices (-want +got):\n%s", diff)
	}
	var unlinked int
	testenv.Must(t, "count unlinked", st.Pool().QueryRow(ctx,
		`SELECT count(*) FROM devices WHERE branch <> '' AND branch_id IS NULL`).Scan(&unlinked))
	if unlinked != 0 {
		t.Errorf("%d devices with a branch name and no branch row", unlinked)
	}
	var sr, sb []string
	testenv.Must(t, "read scope", st.Pool().QueryRow(ctx, `SELECT scope_regions, scope_branches FROM users WHERE username = 'scoped'`).Scan(&sr, &sb))
	if diff := cmp.Diff([]string{"South", "Atlantis"}, sr); diff != "" {
		t.Errorf("user scope regions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"zrh"}, sb); diff != "" {
		t.Errorf("user scope branches (-want +got):\n%s", diff)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func mustIP(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	testenv.Must(t, "parse address", err)
	return a
}

// TestDevicePlaces covers device writes against the objects: strict writes refuse unknown
// names (field "branch"/"region"), names match whatever their case, a region follows from the
// branch, renames reach the devices, and a non-strict write creates what is missing.
func TestDevicePlaces(t *testing.T) {
	st := store.New(testenv.NewDB(t), 5*time.Second, nil)
	ctx := context.Background()
	ip := mustIP(t, "127.46.1.1")
	_, err := st.CreateDevice(ctx, store.DeviceInput{Name: "typo", IP: ip, Branch: "Zurcih", Strict: true})
	var ce *store.ConstraintError
	if !errors.As(err, &ce) || ce.Field() != "branch" || !strings.Contains(ce.ClientMessage("device"), "api branch create") {
		t.Fatalf("strict create with an unknown branch: %v", err)
	}
	south, err := st.SaveRegion(ctx, 0, store.RegionInput{Name: "South"})
	testenv.Must(t, "create region", err)
	br, err := st.SaveBranch(ctx, 0, store.BranchInput{Name: "Lugano", RegionID: &south.ID, TimeZone: "Europe/Zurich"})
	testenv.Must(t, "create branch", err)
	d, err := st.CreateDevice(ctx, store.DeviceInput{Name: "lug-rtr", IP: ip, Branch: " lugano", Strict: true})
	testenv.Must(t, "create device in a known branch", err)
	if d.Branch != "Lugano" || d.Region != "South" || d.BranchID == nil || *d.BranchID != br.ID {
		t.Errorf("device placed at %q/%q (branch %v), want South/Lugano (%d)", d.Region, d.Branch, d.BranchID, br.ID)
	}
	if _, err := st.SaveRegion(ctx, 0, store.RegionInput{Name: "south"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second region differing in case: %v, want a conflict", err)
	}
	_, err = st.SaveRegion(ctx, south.ID, store.RegionInput{Name: "Ticino"})
	testenv.Must(t, "rename region", err)
	got, err := st.GetDevice(ctx, d.ID)
	testenv.Must(t, "read device", err)
	if got.Region != "Ticino" {
		t.Errorf("after the rename the device's region is %q, want Ticino", got.Region)
	}
	if err := st.DeleteBranch(ctx, br.ID); !errors.Is(err, store.ErrConflict) {
		t.Errorf("delete a branch with devices: %v, want a conflict", err)
	}
	d2, err := st.CreateDevice(ctx, store.DeviceInput{Name: "new-place", IP: ip, Branch: "Bern", Region: "Mittelland"})
	testenv.Must(t, "non-strict create", err)
	if d2.BranchID == nil || d2.Region != "Mittelland" {
		t.Errorf("non-strict create placed the device at %q/%q (%v)", d2.Region, d2.Branch, d2.BranchID)
	}
}

// TestImportPlaces: an import matches branches and regions whatever their case, creates the
// missing ones, and reports each on the first line that named it.
func TestImportPlaces(t *testing.T) {
	st := store.New(testenv.NewDB(t), 5*time.Second, nil)
	ctx := context.Background()
	north, err := st.SaveRegion(ctx, 0, store.RegionInput{Name: "North"})
	testenv.Must(t, "create region", err)
	_, err = st.SaveBranch(ctx, 0, store.BranchInput{Name: "Basel", RegionID: &north.ID, TimeZone: "UTC"})
	testenv.Must(t, "create branch", err)
	row := func(line int, name, branch, region string) store.ImportDevice {
		return store.ImportDevice{Line: line, DeviceInput: store.DeviceInput{Name: name, IP: mustIP(t, "127.46.2.1"),
			Branch: branch, Region: region, Enabled: true}}
	}
	res, err := st.ImportDevices(ctx, []store.ImportDevice{
		row(2, "bsl-rtr", "basel", "north"), row(3, "bsl-sw", "BASEL", ""), row(4, "lug-rtr", "Lugano", "South"),
		row(5, "lug-sw", "lugano", "south"), row(6, "olt-rtr", "Olten", "north"), row(7, "gva-rtr", "Geneva", "West"),
	})
	testenv.Must(t, "import", err)
	want := []string{"line 4: created region South", "line 4: created branch Lugano in region South",
		"line 6: created branch Olten in region North", "line 7: created region West", "line 7: created branch Geneva in region West"}
	if diff := cmp.Diff(want, res.Places); diff != "" {
		t.Errorf("import report (-want +got):\n%s", diff)
	}
	list, _, err := st.ListDevices(ctx, store.DeviceFilter{Limit: 100})
	testenv.Must(t, "list", err)
	var got []string
	for _, d := range list {
		got = append(got, d.Name+" "+d.Region+"/"+d.Branch)
	}
	wantDevs := []string{"bsl-rtr North/Basel", "bsl-sw North/Basel", "lug-rtr South/Lugano", "lug-sw South/Lugano",
		"olt-rtr North/Olten", "gva-rtr West/Geneva"}
	if diff := cmp.Diff(wantDevs, got); diff != "" {
		t.Errorf("devices after the import (-want +got):\n%s", diff)
	}
}
