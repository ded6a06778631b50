package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/inventory"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/harness"
	"github.com/wardops/wardops/testinfra/testenv"
)

type importResult struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
	Rows    int `json:"rows"`
}

func importCSV(t *testing.T, sys *harness.System, csv string) answer {
	t.Helper()
	return call(t, sys, http.MethodPost, "/api/v1/devices/import", "text/csv", strings.NewReader(csv))
}

// inventoryLines returns every device as "name ip branch parent-name", sorted, read from the
// uncached paginated list.
func inventoryLines(t *testing.T, sys *harness.System) []string {
	t.Helper()
	var l listPage
	jsonCall(t, sys, http.MethodGet, "/api/v1/devices?limit=1000", "").decode(t, &l)
	names := map[int64]string{}
	for _, d := range l.Devices {
		names[d.ID] = d.Name
	}
	out := []string{}
	for _, d := range l.Devices {
		parent := "-"
		if d.ParentID != nil {
			parent = names[*d.ParentID]
		}
		out = append(out, d.Name+" "+d.IP.String()+" "+d.Branch+" "+parent)
	}
	sort.Strings(out)
	return out
}

const goodImport = `name,ip,branch,region,type,parent,labels,enabled
zrh-atm,127.52.0.3,zrh,north,atm,zrh-sw,floor=0,true
zrh-sw,127.52.0.2,zrh,north,switch,zrh-rtr,,
zrh-rtr,127.52.0.1,zrh,north,router,core,tier=1,true
bsl-rtr,127.52.1.1,bsl,north,router,core,,false
`

// TestImportCSV: a CSV import creates devices and links parents by name (from the file, in any
// order, or from the inventory); running it twice changes nothing but the counts; a multipart
// upload works the same.
func TestImportCSV(t *testing.T) {
	sys := startAPI(t)
	createDevice(t, sys, `{"name":"core","ip":"127.52.9.9"}`)

	var res importResult
	a := importCSV(t, sys, goodImport)
	a.decode(t, &res)
	if diff := cmp.Diff(importResult{Created: 4, Rows: 4}, res); a.Status != http.StatusOK || diff != "" {
		t.Fatalf("first import: HTTP %d (-want +got):\n%s", a.Status, diff)
	}
	want := []string{"bsl-rtr 127.52.1.1 bsl core", "core 127.52.9.9  -", "zrh-atm 127.52.0.3 zrh zrh-sw",
		"zrh-rtr 127.52.0.1 zrh core", "zrh-sw 127.52.0.2 zrh zrh-rtr"}
	if diff := cmp.Diff(want, inventoryLines(t, sys)); diff != "" {
		t.Errorf("inventory after import (-want +got):\n%s", diff)
	}
	var bsl listPage
	jsonCall(t, sys, http.MethodGet, "/api/v1/devices?branch=bsl", "").decode(t, &bsl)
	if len(bsl.Devices) != 1 || bsl.Devices[0].Enabled || bsl.Devices[0].Type != "router" || bsl.Devices[0].Status != "unknown" {
		t.Errorf("bsl-rtr = %+v, want a disabled router with status unknown", bsl.Devices)
	}

	res = importResult{}
	a = importCSV(t, sys, goodImport)
	a.decode(t, &res)
	if diff := cmp.Diff(importResult{Updated: 4, Rows: 4}, res); a.Status != http.StatusOK || diff != "" {
		t.Errorf("second import: HTTP %d (-want +got):\n%s", a.Status, diff)
	}
	// each import is audited with the file's devices before (none the first time) and after
	recs, _, err := sys.Store.ListAudit(context.Background(), store.AuditFilter{Action: "device.import"})
	testenv.Must(t, "audit", err)
	if len(recs) != 2 || string(recs[1].Before) != `{"devices":[]}` && string(recs[1].Before) != `{"devices": []}` ||
		strings.Count(string(recs[0].Before), `"name"`) != 4 || strings.Count(string(recs[0].After), `"name"`) != 4 {
		t.Errorf("import audit rows: %+v", recs)
	}
	if diff := cmp.Diff(want, inventoryLines(t, sys)); diff != "" {
		t.Errorf("inventory after the second import (-want +got):\n%s", diff)
	}

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", "devices.csv")
	testenv.Must(t, "form file", err)
	_, _ = io.WriteString(fw, "name,ip,branch\nzrh-sw,127.52.0.22,zrh\nnew-one,127.52.0.5,zrh\n")
	testenv.Must(t, "close form", mw.Close())
	res = importResult{}
	a = call(t, sys, http.MethodPost, "/api/v1/devices/import", mw.FormDataContentType(), &buf)
	a.decode(t, &res)
	if diff := cmp.Diff(importResult{Created: 1, Updated: 1, Rows: 2}, res); a.Status != http.StatusOK || diff != "" {
		t.Errorf("multipart import: HTTP %d (-want +got):\n%s", a.Status, diff)
	}
	// the multipart file has no parent column: zrh-sw's parent is cleared, as a full update
	want = []string{"bsl-rtr 127.52.1.1 bsl core", "core 127.52.9.9  -", "new-one 127.52.0.5 zrh -", "zrh-atm 127.52.0.3 zrh zrh-sw",
		"zrh-rtr 127.52.0.1 zrh core", "zrh-sw 127.52.0.22 zrh -"}
	if diff := cmp.Diff(want, inventoryLines(t, sys)); diff != "" {
		t.Errorf("inventory after the multipart import (-want +got):\n%s", diff)
	}
}

// TestImportCSVErrors: a file with any bad line is refused with 422 and every line error, and
// nothing of it is written, not even its good lines.
func TestImportCSVErrors(t *testing.T) {
	sys := startAPI(t)
	seedPlaces(t, sys, "/hq")
	core := createDevice(t, sys, `{"name":"core","ip":"127.52.9.9","branch":"hq"}`)
	createDevice(t, sys, fmt.Sprintf(`{"name":"hub","ip":"127.52.9.8","branch":"hq","parent_id":%d}`, core.ID))
	before := inventoryLines(t, sys)
	cases := []struct {
		name, csv string
		want      []inventory.LineError
	}{
		{"bad lines among good ones", "name,ip,enabled,parent\n" +
			"good-1,127.52.0.1,true,\n" +
			"bad-ip,127.52.0.256,true,\n" +
			"core,127.52.0.99,maybe,\n" + // would update core: must not
			",127.52.0.4,,\n" +
			"good-1,127.52.0.5,,\n" +
			"orphan,127.52.0.6,,nowhere\n" +
			"selfish,127.52.0.7,,selfish\n",
			[]inventory.LineError{
				{Line: 3, Field: "ip", Reason: `"127.52.0.256" is not an IPv4 or IPv6 address`},
				{Line: 4, Field: "enabled", Reason: `"maybe" is not true/false`},
				{Line: 5, Field: "name", Reason: "is required"},
				{Line: 6, Field: "name", Reason: "duplicate of line 2"},
				{Line: 7, Field: "parent", Reason: `no device named "nowhere" in the file or the inventory`},
				{Line: 8, Field: "parent", Reason: "a device cannot be its own parent"},
			}},
		{"parent loop in the file", "name,ip,parent\nloop-a,127.52.1.1,loop-b\nloop-b,127.52.1.2,loop-a\n",
			[]inventory.LineError{{Line: 2, Field: "parent", Reason: "parent loop: loop-a → loop-b → loop-a"}}},
		{"unknown column", "name,ip,colour\nx,127.52.0.1,red\n",
			[]inventory.LineError{{Line: 1, Field: "colour", Reason: `unknown column "colour" (known: name, ip, branch, region, type, vendor, parent, labels, enabled)`}}},
		{"missing required column", "name,branch\nx,zrh\n",
			[]inventory.LineError{{Line: 1, Field: "ip", Reason: "required column missing"}}},
		{"malformed first field", "name,ip\ngood,127.52.0.1\nb\"ad,127.52.0.2\n",
			[]inventory.LineError{{Line: 3, Reason: `bare " in non-quoted-field`}}},
		{"empty body", "",
			[]inventory.LineError{{Line: 1, Reason: "cannot read the header line: EOF"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := importCSV(t, sys, tc.csv)
			a.wantError(t, tc.name, http.StatusUnprocessableEntity, "invalid_csv", "file")
			if diff := cmp.Diff(tc.want, a.Err.Lines); diff != "" {
				t.Errorf("line errors (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, inventoryLines(t, sys)); diff != "" {
				t.Errorf("a refused import changed the inventory (-before +after):\n%s", diff)
			}
		})
	}
	// a loop closed through a device already in the inventory is refused by the store, whole
	importCSV(t, sys, "name,ip,branch,parent\nedge,127.52.2.1,hq,hub\ncore,127.52.9.9,hq,edge\n").
		wantError(t, "parent loop through the inventory", http.StatusBadRequest, "invalid_reference", "parent_id")
	if diff := cmp.Diff(before, inventoryLines(t, sys)); diff != "" {
		t.Errorf("a refused loop changed the inventory (-before +after):\n%s", diff)
	}
	importCSV(t, sys, "name,ip\n").wantError(t, "header only", http.StatusBadRequest, "invalid_file", "file")
	call(t, sys, http.MethodPost, "/api/v1/devices/import", "multipart/form-data; boundary=x", strings.NewReader("--x--\r\n")).
		wantError(t, "multipart without file", http.StatusBadRequest, "invalid_file", "file")
}
