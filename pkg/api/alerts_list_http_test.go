package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/testinfra/testenv"
)

// TestAlertListFilters: GET /alerts filters (state, severity, kind, branch, region, free text,
// open incident), sorts (severity then age, age, device; asc and desc) and pages (offset with a
// sort, cursor without) on the server, always giving the total of the matches; a scoped
// caller's list and total stay within its scope whatever the filters; a bad value is a 400
// naming its field.
func TestAlertListFilters(t *testing.T) {
	sys := startAPI(t)
	base := alertingAPI(t, sys)
	dev := listFleet(t, sys)
	ctx := testenv.Ctx(t, 10*time.Second)
	pool := sys.Store.Pool()
	t0 := time.Now().UTC().Add(-time.Hour)
	ids := map[string]int64{}
	names := map[int64]string{}
	insert := func(name, device, kind, sev, state, subject string, at time.Time) {
		var devID *int64
		summary := "No workers"
		if device != "" {
			id := dev[device]
			devID, summary = &id, device+" "+kind
		}
		var id int64
		testenv.Must(t, "insert alert", pool.QueryRow(ctx, `INSERT INTO alerts (rule_id, rule_name, kind, device_id, device_name,
			subject, severity, state, summary, started_at, updated_at) VALUES (1, $2, $2, $1, $3, $4, $5, $6, $7, $8, $8) RETURNING id`,
			devID, kind, device, subject, sev, state, summary, at).Scan(&id))
		ids[name], names[id] = id, name
	}
	// inserted in this order: the id order is the newest-first order
	insert("a1", "zrh-atm", "device_down", "critical", "firing", "", t0)
	insert("a2", "gva-sw", "if_down", "major", "firing", "Gi0/1", t0.Add(time.Minute))
	insert("a3", "gva-sw", "if_down", "major", "firing", "Gi0/2", t0.Add(2*time.Minute))
	insert("a4", "bsl-rtr", "ping_rtt_ms", "minor", "firing", "", t0.Add(3*time.Minute))
	insert("a5", "gva-atm", "cpu_pct", "warning", "firing", "", t0.Add(-10*time.Minute))
	insert("a6", "zrh-rtr", "cpu_pct", "major", "acknowledged", "", t0)
	insert("a7", "zrh-sw", "mem_pct", "minor", "resolved", "", t0)
	insert("sys", "", "system", "critical", "firing", "", t0.Add(4*time.Minute))
	insert("a8", "lab_pc%1", "ping_loss_pct", "major", "firing", "", t0.Add(5*time.Minute))
	var inc int64
	testenv.Must(t, "open incident", pool.QueryRow(ctx, `INSERT INTO incidents (root_device_id, root_name, branch, title, alert_id, opened_at)
		VALUES ($1, 'gva-sw', 'gva', 'gva-sw down', $2, $3) RETURNING id`, dev["gva-sw"], ids["a2"], t0).Scan(&inc))
	_, err := pool.Exec(ctx, `UPDATE alerts SET incident_id = $1 WHERE id = $2`, inc, ids["a2"])
	testenv.Must(t, "link incident", err)
	south := authtest.ScopedToken(t, sys.Auth, auth.RoleViewer, auth.Scope{Regions: []string{"south"}})

	type page struct {
		Names []string
		Total int
		Next  bool
	}
	get := func(token, query string) (int, page, string) {
		t.Helper()
		code, body := as(t, base, token, http.MethodGet, "/api/v1/alerts?"+query, "")
		if code != http.StatusOK {
			return code, page{}, body
		}
		var res struct {
			Alerts []struct {
				ID int64 `json:"id"`
			} `json:"alerts"`
			Next  *string `json:"next_cursor"`
			Total int     `json:"total"`
		}
		testenv.Must(t, "decode alerts", json.Unmarshal([]byte(body), &res))
		p := page{Names: []string{}, Total: res.Total, Next: res.Next != nil}
		for _, a := range res.Alerts {
			p.Names = append(p.Names, names[a.ID])
		}
		return code, p, body
	}
	list := func(total int, names ...string) page { return page{Names: append([]string{}, names...), Total: total} }
	cases := []struct {
		name, query string
		scoped      bool
		want        page
	}{
		{"firing, newest first", "state=firing", false, list(7, "a8", "sys", "a5", "a4", "a3", "a2", "a1")},
		{"every state", "", false, list(9, "a8", "sys", "a7", "a6", "a5", "a4", "a3", "a2", "a1")},
		{"open is all but resolved", "state=open&region=north", false, list(3, "a6", "a4", "a1")},
		{"severity", "state=firing&severity=major", false, list(3, "a8", "a3", "a2")},
		{"rule kind", "kind=cpu_pct", false, list(2, "a6", "a5")},
		{"branch", "branch=gva", false, list(3, "a5", "a3", "a2")},
		{"region", "region=north&state=firing", false, list(2, "a4", "a1")},
		{"branch and region that do not meet", "branch=gva&region=north", false, list(0)},
		{"text over the device name, any case", "q=GVA-SW", false, list(2, "a3", "a2")},
		{"text over the subject", "q=gi0%2F2", false, list(1, "a3")},
		{"text over the summary", "q=workers", false, list(1, "sys")},
		{"text wildcards are literal", "q=_pc%25", false, list(1, "a8")},
		{"outside open incidents", "state=firing&in_open_incident=false", false, list(6, "a8", "sys", "a5", "a4", "a3", "a1")},
		{"in open incidents", "in_open_incident=true", false, list(1, "a2")},
		{"severity then age", "state=firing&sort=severity", false, list(7, "a1", "sys", "a2", "a3", "a8", "a4", "a5")},
		{"severity ascending", "state=firing&sort=severity&order=asc", false, list(7, "a5", "a4", "a8", "a3", "a2", "sys", "a1")},
		{"age: the oldest first", "state=firing&sort=age", false, list(7, "a5", "a1", "a2", "a3", "a4", "sys", "a8")},
		{"age ascending: the newest first", "state=firing&sort=age&order=asc", false, list(7, "a8", "sys", "a4", "a3", "a2", "a1", "a5")},
		{"device A to Z, system first", "state=firing&sort=device", false, list(7, "sys", "a4", "a5", "a2", "a3", "a8", "a1")},
		{"device Z to A", "state=firing&sort=device&order=desc", false, list(7, "a1", "a8", "a3", "a2", "a5", "a4", "sys")},
		{"a sorted page by offset", "state=firing&sort=severity&limit=3&offset=3", false, list(7, "a3", "a8", "a4")},
		{"past the last page", "state=firing&sort=severity&offset=100", false, list(7)},
		{"the newest-first first page has a cursor", "state=firing&limit=3", false, page{[]string{"a8", "sys", "a5"}, 7, true}},
		{"the newest-first page after the cursor", fmt.Sprintf("state=firing&limit=3&cursor=%d", ids["a5"]), false, page{[]string{"a4", "a3", "a2"}, 7, true}},
		{"filters and page together", "state=firing&severity=major&sort=age&limit=2", false, list(3, "a2", "a3")},
		{"scoped: only its region, no system alert", "state=firing", true, list(4, "a8", "a5", "a3", "a2")},
		{"scoped: a filter outside its scope finds nothing", "branch=zrh", true, list(0)},
		{"scoped: text is searched within the scope only", "q=workers", true, list(0)},
		{"scoped: sorted and paged", "state=firing&sort=severity&limit=2&offset=1", true, list(4, "a3", "a8")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			token := sys.Token
			if c.scoped {
				token = south
			}
			code, got, body := get(token, c.query)
			if code != http.StatusOK {
				t.Fatalf("GET /alerts?%s: %d %s", c.query, code, body)
			}
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("GET /alerts?%s (-want +got):\n%s", c.query, d)
			}
		})
	}

	long := url.QueryEscape(strings.Repeat("x", 201))
	bad := []struct{ query, field string }{
		{"state=burning", "state"}, {"severity=high", "severity"}, {"kind=bogus", "kind"},
		{"sort=newest", "sort"}, {"order=up&sort=age", "order"}, {"order=asc", "order"},
		{"in_open_incident=yes", "in_open_incident"}, {"limit=0", "limit"}, {"limit=1001", "limit"},
		{"offset=-1", "offset"}, {"offset=x", "offset"}, {"offset=1000001", "offset"},
		{"cursor=5&sort=age", "cursor"}, {"cursor=5&offset=10", "cursor"}, {"cursor=abc", "cursor"},
		{"q=" + long, "q"}, {"branch=" + long, "branch"}, {"region=" + long, "region"}, {"device_id=x", "device_id"},
	}
	for _, b := range bad {
		code, body := as(t, base, sys.Token, http.MethodGet, "/api/v1/alerts?"+b.query, "")
		var e struct {
			Error struct{ Code, Message, Field string }
		}
		_ = json.Unmarshal([]byte(body), &e)
		if code != http.StatusBadRequest || e.Error.Code != "invalid_"+b.field || e.Error.Field != b.field || e.Error.Message == "" {
			t.Errorf("GET /alerts?%s: %d %s, want 400 invalid_%s naming the field", b.query, code, body, b.field)
		}
	}
}
