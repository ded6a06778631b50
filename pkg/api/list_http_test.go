package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/device"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/harness"
	"github.com/wardops/wardops/testinfra/testenv"
)

type listPage struct {
	Devices    []deviceView `json:"devices"`
	NextCursor *string      `json:"next_cursor"`
}

// listFleet creates 10 devices over 3 branches and 2 regions and gives them statuses through
// the store, as the worker would.
func listFleet(t *testing.T, sys *harness.System) map[string]int64 {
	t.Helper()
	specs := []struct{ name, ip, branch, region, typ, status string }{
		{"zrh-rtr", "127.51.1.1", "zrh", "north", "router", "up"},
		{"zrh-sw", "127.51.1.2", "zrh", "north", "switch", "up"},
		{"zrh-atm", "127.51.1.3", "zrh", "north", "atm", "down"},
		{"bsl-rtr", "127.51.2.1", "bsl", "north", "router", "degraded"},
		{"bsl-atm", "127.51.2.2", "bsl", "north", "atm", ""},
		{"gva-rtr", "127.51.3.1", "gva", "south", "router", "up"},
		{"gva-sw", "127.51.3.2", "gva", "south", "switch", "down"},
		{"gva-atm", "127.51.3.3", "gva", "south", "atm", "up"},
		{"GVA-Server", "127.51.3.4", "gva", "south", "server", "up"},
		{"lab_pc%1", "::1", "lab", "south", "server", ""},
	}
	ids := map[string]int64{}
	slot := time.Now().UTC().Truncate(time.Second)
	var results []store.PingResult
	seedPlaces(t, sys, "north/zrh", "north/bsl", "south/gva", "south/lab")
	for _, s := range specs {
		d := createDevice(t, sys, fmt.Sprintf(`{"name":%q,"ip":%q,"branch":%q,"region":%q,"type":%q}`, s.name, s.ip, s.branch, s.region, s.typ))
		ids[s.name] = d.ID
		if s.status == "" {
			continue
		}
		r := store.PingResult{DeviceID: d.ID, SlotAt: slot, MeasuredAt: slot, Sent: 3, Received: 3, Status: device.Status(s.status)}
		switch s.status {
		case "down":
			r.Received, r.LossPct = 0, 100
		case "degraded":
			r.Received, r.LossPct = 2, 100.0/3
		}
		results = append(results, r)
	}
	_, err := sys.Store.WritePingResults(context.Background(), results)
	testenv.Must(t, "write statuses", err)
	return ids
}

func listNames(t *testing.T, sys *harness.System, query string) (int, []string, apiError) {
	t.Helper()
	a := jsonCall(t, sys, http.MethodGet, "/api/v1/devices?"+query, "")
	if a.Status != http.StatusOK {
		return a.Status, nil, a.Err
	}
	var p listPage
	a.decode(t, &p)
	names := []string{}
	for _, d := range p.Devices {
		names = append(names, d.Name)
	}
	return a.Status, names, a.Err
}

// TestListFilters: each filter of GET /devices alone and combined.
func TestListFilters(t *testing.T) {
	sys := startAPI(t)
	listFleet(t, sys)
	cases := []struct {
		name  string
		query url.Values
		want  []string
	}{
		{"no filter", url.Values{}, []string{"zrh-rtr", "zrh-sw", "zrh-atm", "bsl-rtr", "bsl-atm", "gva-rtr", "gva-sw", "gva-atm", "GVA-Server", "lab_pc%1"}},
		{"branch", url.Values{"branch": {"bsl"}}, []string{"bsl-rtr", "bsl-atm"}},
		{"region", url.Values{"region": {"south"}}, []string{"gva-rtr", "gva-sw", "gva-atm", "GVA-Server", "lab_pc%1"}},
		{"type", url.Values{"type": {"atm"}}, []string{"zrh-atm", "bsl-atm", "gva-atm"}},
		{"status up", url.Values{"status": {"up"}}, []string{"zrh-rtr", "zrh-sw", "gva-rtr", "gva-atm", "GVA-Server"}},
		{"status down", url.Values{"status": {"down"}}, []string{"zrh-atm", "gva-sw"}},
		{"status degraded", url.Values{"status": {"degraded"}}, []string{"bsl-rtr"}},
		{"status unknown", url.Values{"status": {"unknown"}}, []string{"bsl-atm", "lab_pc%1"}},
		{"status maintenance", url.Values{"status": {"maintenance"}}, []string{}},
		{"q name substring any case", url.Values{"q": {"gva"}}, []string{"gva-rtr", "gva-sw", "gva-atm", "GVA-Server"}},
		{"q IP prefix", url.Values{"q": {"127.51.2."}}, []string{"bsl-rtr", "bsl-atm"}},
		{"q literal percent", url.Values{"q": {"%"}}, []string{"lab_pc%1"}},
		{"q literal underscore", url.Values{"q": {"_"}}, []string{"lab_pc%1"}},
		{"region and type and status", url.Values{"region": {"south"}, "type": {"atm"}, "status": {"up"}}, []string{"gva-atm"}},
		{"branch and q", url.Values{"branch": {"zrh"}, "q": {"sw"}}, []string{"zrh-sw"}},
		{"nothing matches", url.Values{"branch": {"nowhere"}}, []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, got, e := listNames(t, sys, tc.query.Encode())
			if status != http.StatusOK {
				t.Fatalf("HTTP %d %+v", status, e.Error)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
		})
	}
}

// TestListPagination walks every page with next_cursor for several page sizes and filters:
// every matching device exactly once, in id order, and a null cursor on the last page.
func TestListPagination(t *testing.T) {
	sys := startAPI(t)
	ids := listFleet(t, sys)
	cases := []struct {
		name   string
		filter url.Values
		want   int
	}{
		{"limit 1", url.Values{"limit": {"1"}}, 10},
		{"limit 3", url.Values{"limit": {"3"}}, 10},
		{"limit 10", url.Values{"limit": {"10"}}, 10},
		{"limit 1000", url.Values{"limit": {"1000"}}, 10},
		{"filtered, limit 2", url.Values{"limit": {"2"}, "region": {"south"}}, 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			seen := map[int64]int{}
			var last int64
			q := tc.filter
			for pages := 0; ; pages++ {
				if pages > 12 {
					t.Fatal("pagination does not end")
				}
				var p listPage
				a := jsonCall(t, sys, http.MethodGet, "/api/v1/devices?"+q.Encode(), "")
				a.decode(t, &p)
				if a.Status != http.StatusOK {
					t.Fatalf("HTTP %d %s", a.Status, a.Body)
				}
				for _, d := range p.Devices {
					seen[d.ID]++
					if d.ID <= last {
						t.Errorf("id %d after %d", d.ID, last)
					}
					last = d.ID
				}
				if p.NextCursor == nil {
					break
				}
				if len(p.Devices) == 0 {
					t.Fatal("an empty page with a cursor")
				}
				q.Set("cursor", *p.NextCursor)
			}
			if len(seen) != tc.want {
				t.Errorf("walked %d distinct devices, want %d", len(seen), tc.want)
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("device %d seen %d times", id, n)
				}
			}
		})
	}
	_ = ids
}

// TestListBadParameters: malformed limit, cursor and status are 400 naming the parameter.
func TestListBadParameters(t *testing.T) {
	sys := startAPI(t)
	cases := []struct {
		query, field string
	}{
		{"limit=0", "limit"}, {"limit=1001", "limit"}, {"limit=-5", "limit"}, {"limit=ten", "limit"}, {"limit=1.5", "limit"},
		{"limit=1%20OR%201=1", "limit"},
		{"cursor=abc", "cursor"}, {"cursor=-1", "cursor"}, {"cursor=99999999999999999999", "cursor"}, {"cursor=1%3BDROP", "cursor"},
		{"status=online", "status"}, {"status=UP", "status"}, {"status=up'--", "status"},
		{"branch=a%00b", "branch"}, {"region=%ff", "region"}, {"q=" + url.QueryEscape("x\x07y"), "q"},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			jsonCall(t, sys, http.MethodGet, "/api/v1/devices?"+tc.query, "").wantError(t, tc.query, 400, "invalid_"+tc.field, tc.field)
		})
	}
}

// TestListSQLInjection puts SQL-injection strings in every filter: each answer is 200 with the
// normal (here: empty or literal-match) result, or 400 — never 500 — and the inventory is intact.
func TestListSQLInjection(t *testing.T) {
	sys := startAPI(t)
	listFleet(t, sys)
	payloads := []string{
		`' OR '1'='1`, `' OR 1=1 --`, `'; DROP TABLE devices; --`, `1; DELETE FROM devices`, `" OR ""="`,
		`%' OR name LIKE '%`, `\'; SELECT pg_sleep(5); --`, `) OR (1=1`, `' UNION SELECT * FROM device_status --`,
		`$1`, `%`, `_`, `\`, `*`, `'||(SELECT version())||'`, `1' AND '1'='1`, "x\u200b", `%ff`,
	}
	params := []string{"branch", "region", "type", "status", "q", "limit", "cursor"}
	for _, p := range params {
		for _, v := range payloads {
			q := url.Values{p: {v}}.Encode()
			status, got, e := listNames(t, sys, q)
			switch {
			case status == http.StatusBadRequest:
				if e.Error == nil || e.Error.Field != p {
					t.Errorf("%s: 400 not naming %s: %+v", q, p, e.Error)
				}
			case status == http.StatusOK:
				for _, n := range got {
					if p != "q" || (v != "%" && v != "_") {
						t.Errorf("%s matched %q", q, n)
					}
				}
			default:
				t.Errorf("%s: HTTP %d", q, status)
			}
		}
	}
	_, all, _ := listNames(t, sys, "")
	if len(all) != 10 {
		t.Errorf("%d devices after the injection attempts, want 10", len(all))
	}
}

// TestListsGzipped: a long list answer is gzipped for a client that accepts it (5,000 firing
// alerts are 2 MB of JSON otherwise) and plain for one that does not; both decode to the same.
func TestListsGzipped(t *testing.T) {
	sys := startAPI(t)
	seedPlaces(t, sys, "/a branch with a long name")
	for i := range 30 {
		createDevice(t, sys, fmt.Sprintf(`{"name":"gz-%02d","ip":"127.54.0.%d","branch":"a branch with a long name"}`, i, i+1))
	}
	get := func(acceptGzip bool) (*http.Response, []byte) {
		req, err := http.NewRequest(http.MethodGet, sys.URL+"/api/v1/devices?limit=100", nil)
		testenv.Must(t, "build request", err)
		req.Header.Set("Authorization", "Bearer "+sys.Token)
		if acceptGzip {
			req.Header.Set("Accept-Encoding", "gzip") // set by hand: the client then leaves the body alone
		}
		resp, err := http.DefaultClient.Do(req)
		testenv.Must(t, "GET devices", err)
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		testenv.Must(t, "read", err)
		return resp, raw
	}
	zr, zbody := get(true)
	pr, plain := get(false)
	if zr.Header.Get("Content-Encoding") != "gzip" || pr.Header.Get("Content-Encoding") != "" {
		t.Fatalf("Content-Encoding %q with gzip accepted, %q without; want gzip and none", zr.Header.Get("Content-Encoding"), pr.Header.Get("Content-Encoding"))
	}
	r, err := gzip.NewReader(bytes.NewReader(zbody))
	testenv.Must(t, "gunzip", err)
	unzipped, err := io.ReadAll(r)
	testenv.Must(t, "gunzip", err)
	if !bytes.Equal(unzipped, plain) || len(zbody) >= len(plain) {
		t.Errorf("gzipped answer (%d bytes) does not decode to the plain one (%d bytes), or is not smaller", len(zbody), len(plain))
	}
}
