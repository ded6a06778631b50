package inventory_test

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/inventory"
	"github.com/wardops/wardops/pkg/store"
)

var addrEqual = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

func dev(name, ip, branch, region, typ, vendor string, labels map[string]string, enabled bool) store.DeviceInput {
	if labels == nil {
		labels = map[string]string{}
	}
	return store.DeviceInput{Name: name, IP: netip.MustParseAddr(ip), Branch: branch, Region: region, Type: typ,
		Vendor: vendor, Labels: labels, Enabled: enabled}
}

// TestParseCSVGoodFile reads testdata/devices.csv: a BOM, CRLF line ends, a blank line, a
// quoted name with doubled quotes, padded fields, a short record, an IPv6 address, every
// spelling of enabled; each row keeps the number of its line in the file.
func TestParseCSVGoodFile(t *testing.T) {
	f, err := os.Open("testdata/devices.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, errs := inventory.ParseCSV(f)
	if len(errs) > 0 {
		t.Fatalf("line errors in a good file: %v", errs)
	}
	want := []inventory.ImportRow{
		{Line: 2, Device: dev("br01-rtr", "127.30.0.1", "Zurich", "north", "router", "cisco", map[string]string{"site": "zrh", "tier": "1"}, true)},
		{Line: 3, Device: dev("br01-sw1", "127.30.0.2", "Zurich", "north", "switch", "hp", nil, true), Parent: "br01-rtr"},
		{Line: 4, Device: dev(`br01-atm "lobby"`, "127.30.0.3", "Zurich", "north", "atm", "ncr", map[string]string{"floor": "0"}, false), Parent: "br01-sw1"},
		{Line: 6, Device: dev("br02-rtr", "::1", "Basel", "north", "router", "juniper", nil, true), Parent: "core-rtr"},
		{Line: 7, Device: dev("br02-srv", "127.30.0.5", "Basel", "north", "server", "", nil, true)},
	}
	if diff := cmp.Diff(want, rows, addrEqual); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"core-rtr"}, inventory.ExternalParents(rows)); diff != "" {
		t.Errorf("ExternalParents (-want +got):\n%s", diff)
	}
}

// TestParseCSVColumnsInAnyOrder: only name and ip are required, and the header decides the order.
func TestParseCSVColumnsInAnyOrder(t *testing.T) {
	rows, errs := inventory.ParseCSV(strings.NewReader(" IP , Name\n127.0.0.9,solo\n"))
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	want := []inventory.ImportRow{{Line: 2, Device: dev("solo", "127.0.0.9", "", "", "", "", nil, true)}}
	if diff := cmp.Diff(want, rows, addrEqual); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

// TestParseCSVBadLines feeds one kind of bad line per case and asserts every line error (with
// its line number) and which rows are still valid.
func TestParseCSVBadLines(t *testing.T) {
	const hdr = "name,ip,branch,enabled,labels\n"
	cases := []struct {
		name     string
		csv      string
		wantErrs []inventory.LineError
		wantRows []string
	}{
		{name: "empty file", csv: "",
			wantErrs: []inventory.LineError{{Line: 1, Reason: "cannot read the header line: EOF"}}},
		{name: "unknown column", csv: "name,ip,colour\nx,127.0.0.1,red\n",
			wantErrs: []inventory.LineError{{Line: 1, Field: "colour", Reason: `unknown column "colour" (known: name, ip, branch, region, type, vendor, parent, labels, enabled)`}}},
		{name: "empty column name", csv: "name,ip,\nx,127.0.0.1,\n",
			wantErrs: []inventory.LineError{{Line: 1, Field: "", Reason: `unknown column "" (known: name, ip, branch, region, type, vendor, parent, labels, enabled)`}}},
		{name: "missing ip column", csv: "name,branch\nx,b\n",
			wantErrs: []inventory.LineError{{Line: 1, Field: "ip", Reason: "required column missing"}}},
		{name: "missing name column", csv: "ip\n127.0.0.1\n",
			wantErrs: []inventory.LineError{{Line: 1, Field: "name", Reason: "required column missing"}}},
		{name: "column named twice", csv: "name,ip,Name\nx,127.0.0.1,y\n",
			wantErrs: []inventory.LineError{{Line: 1, Field: "name", Reason: "column named twice"}}},
		{name: "bad IP", csv: hdr + "a,127.0.0.1,,,\nb,127.0.0.300,,,\nc,127.0.0.3,,,\n",
			wantErrs: []inventory.LineError{{Line: 3, Field: "ip", Reason: `"127.0.0.300" is not an IPv4 or IPv6 address`}},
			wantRows: []string{"a", "c"}},
		{name: "missing IP value", csv: hdr + "a\n",
			wantErrs: []inventory.LineError{{Line: 2, Field: "ip", Reason: `"" is not an IPv4 or IPv6 address`}}},
		{name: "blank name", csv: hdr + " ,127.0.0.1,,,\n",
			wantErrs: []inventory.LineError{{Line: 2, Field: "name", Reason: "is required"}}},
		{name: "bad enabled", csv: hdr + "a,127.0.0.1,,maybe,\nb,127.0.0.2,,f,\n",
			wantErrs: []inventory.LineError{{Line: 2, Field: "enabled", Reason: `"maybe" is not true/false`}},
			wantRows: []string{"b"}},
		{name: "bad labels", csv: hdr + "a,127.0.0.1,,,site\n",
			wantErrs: []inventory.LineError{{Line: 2, Field: "labels", Reason: `"site" is not key=value`}}},
		{name: "branch too long", csv: hdr + "a,127.0.0.1," + strings.Repeat("b", 101) + ",,\n",
			wantErrs: []inventory.LineError{{Line: 2, Field: "branch", Reason: "longer than 100 characters"}}},
		{name: "duplicate names", csv: hdr + "a,127.0.0.1,,,\nb,127.0.0.2,,,\n a ,127.0.0.3,,,\na,127.0.0.4,,,\n",
			wantErrs: []inventory.LineError{
				{Line: 4, Field: "name", Reason: "duplicate of line 2"},
				{Line: 5, Field: "name", Reason: "duplicate of line 2"},
			},
			wantRows: []string{"a", "b"}},
		{name: "bare quote in the first field", csv: hdr + "a,127.0.0.1,,,\nb\"x,127.0.0.2,,,\nc,127.0.0.3,,,\n",
			wantErrs: []inventory.LineError{{Line: 3, Reason: `bare " in non-quoted-field`}},
			wantRows: []string{"a", "c"}},
		{name: "bare quote in a later field", csv: hdr + "a,127.0.0.1,br\"x,,\nc,127.0.0.3,,,\n",
			wantErrs: []inventory.LineError{{Line: 2, Reason: `bare " in non-quoted-field`}},
			wantRows: []string{"c"}},
		{name: "stray quote after a quoted field", csv: hdr + "\"a\"x,127.0.0.1,,,\nc,127.0.0.3,,,\n",
			wantErrs: []inventory.LineError{{Line: 2, Reason: `extraneous or missing " in quoted-field`}},
			wantRows: []string{"c"}},
		{name: "quoted field spanning lines keeps later numbers right", csv: hdr + "a,127.0.0.1,\"two\nlines\",,\nb,127.0.0.x,,,\n",
			wantErrs: []inventory.LineError{
				{Line: 2, Field: "branch", Reason: "contains control characters or invalid UTF-8"},
				{Line: 4, Field: "ip", Reason: `"127.0.0.x" is not an IPv4 or IPv6 address`},
			}},
		{name: "unterminated quote at the end", csv: hdr + "a,127.0.0.1,,,\n\"b,127.0.0.2,,,\n",
			wantErrs: []inventory.LineError{{Line: 3, Reason: `extraneous or missing " in quoted-field`}},
			wantRows: []string{"a"}},
		{name: "every error reported, not just the first", csv: hdr + "a,x,,,\n,127.0.0.2,,,\nc,127.0.0.3,,no,\n",
			wantErrs: []inventory.LineError{
				{Line: 2, Field: "ip", Reason: `"x" is not an IPv4 or IPv6 address`},
				{Line: 3, Field: "name", Reason: "is required"},
				{Line: 4, Field: "enabled", Reason: `"no" is not true/false`},
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rows, errs := inventory.ParseCSV(strings.NewReader(tc.csv))
			if diff := cmp.Diff(tc.wantErrs, errs); diff != "" {
				t.Errorf("line errors (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantRows, rowNames(rows)); diff != "" {
				t.Errorf("valid rows (-want +got):\n%s", diff)
			}
		})
	}
}

func rowNames(rows []inventory.ImportRow) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Device.Name)
	}
	return out
}

func TestLineErrorText(t *testing.T) {
	cases := []struct {
		e    inventory.LineError
		want string
	}{
		{inventory.LineError{Line: 7, Field: "ip", Reason: "bad"}, "line 7: ip: bad"},
		{inventory.LineError{Line: 1, Reason: "cannot read"}, "line 1: cannot read"},
	}
	for _, tc := range cases {
		if diff := cmp.Diff(tc.want, tc.e.Error()); diff != "" {
			t.Errorf("Error (-want +got):\n%s", diff)
		}
	}
}

func row(line int, name, parent string) inventory.ImportRow {
	return inventory.ImportRow{Line: line, Device: store.DeviceInput{Name: name}, Parent: parent}
}

func TestExternalParents(t *testing.T) {
	cases := []struct {
		name string
		rows []inventory.ImportRow
		want []string
	}{
		{name: "none", rows: []inventory.ImportRow{row(2, "a", ""), row(3, "b", "a")}},
		{name: "parent defined later in the file", rows: []inventory.ImportRow{row(2, "b", "a"), row(3, "a", "")}},
		{name: "outside, listed once, in file order", rows: []inventory.ImportRow{
			row(2, "a", "core2"), row(3, "b", "core1"), row(4, "c", "core2"), row(5, "d", "a")},
			want: []string{"core2", "core1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, inventory.ExternalParents(tc.rows)); diff != "" {
				t.Errorf("ExternalParents (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckParents(t *testing.T) {
	rows := []inventory.ImportRow{
		row(2, "rtr", ""),
		row(3, "sw", "rtr"),         // in the file
		row(4, "atm", "core"),       // in the inventory
		row(5, "loop", "loop"),      // itself
		row(6, "orphan", "nowhere"), // neither
		row(7, "fwd", "late"),       // defined on a later line
		row(8, "late", ""),
	}
	got := inventory.CheckParents(rows, map[string]bool{"core": true})
	want := []inventory.LineError{
		{Line: 5, Field: "parent", Reason: "a device cannot be its own parent"},
		{Line: 6, Field: "parent", Reason: `no device named "nowhere" in the file or the inventory`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CheckParents (-want +got):\n%s", diff)
	}
	// a nil inventory map means "nothing outside the file exists"
	got = inventory.CheckParents(rows[:3], nil)
	want = []inventory.LineError{{Line: 4, Field: "parent", Reason: `no device named "core" in the file or the inventory`}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CheckParents with nil inventory (-want +got):\n%s", diff)
	}
}

// TestCheckParentsLoops checks that loops the file closes are refused, once per loop, on the
// line of the loop's first device; chains into a loop and self-parents are not reported twice.
func TestCheckParentsLoops(t *testing.T) {
	tests := []struct {
		name string
		rows []inventory.ImportRow
		want []inventory.LineError
	}{
		{"chain", []inventory.ImportRow{row(2, "a", ""), row(3, "b", "a"), row(4, "c", "b")}, nil},
		{"two", []inventory.ImportRow{row(2, "a", "b"), row(3, "b", "a")},
			[]inventory.LineError{{Line: 2, Field: "parent", Reason: "parent loop: a → b → a"}}},
		{"three, entered from a tail", []inventory.ImportRow{row(2, "tail", "x"), row(3, "x", "y"), row(4, "y", "z"), row(5, "z", "x")},
			[]inventory.LineError{{Line: 3, Field: "parent", Reason: "parent loop: x → y → z → x"}}},
		{"two loops", []inventory.ImportRow{row(2, "a", "b"), row(3, "b", "a"), row(4, "c", "d"), row(5, "d", "c")},
			[]inventory.LineError{{Line: 2, Field: "parent", Reason: "parent loop: a → b → a"}, {Line: 4, Field: "parent", Reason: "parent loop: c → d → c"}}},
		{"self only", []inventory.ImportRow{row(2, "a", "a")},
			[]inventory.LineError{{Line: 2, Field: "parent", Reason: "a device cannot be its own parent"}}},
		{"through the inventory is not the file's", []inventory.ImportRow{row(2, "a", "core")}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := inventory.CheckParents(tc.rows, map[string]bool{"core": true})
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("CheckParents (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseCSVRowLimit checks that an import over MaxImportRows stops with one error naming
// the first line over the limit instead of reading on.
func TestParseCSVRowLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("name,ip\n")
	for i := range inventory.MaxImportRows + 5 {
		fmt.Fprintf(&b, "d%d,127.%d.%d.%d\n", i, i>>16&255, i>>8&255, i&255)
	}
	rows, errs := inventory.ParseCSV(strings.NewReader(b.String()))
	want := []inventory.LineError{{Line: inventory.MaxImportRows + 2, Reason: fmt.Sprintf("more than %d rows; split the file", inventory.MaxImportRows)}}
	if diff := cmp.Diff(want, errs); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if len(rows) != inventory.MaxImportRows {
		t.Errorf("%d rows, want %d", len(rows), inventory.MaxImportRows)
	}
}
