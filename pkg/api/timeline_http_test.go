package api_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

type timelinePage struct {
	Changes []store.Change `json:"changes"`
	More    bool           `json:"more"`
}

// TestTimeline: GET /timeline merges the devices' state changes and the alerts' events of the
// window newest first, filters them, and refuses bad filters with the field named.
func TestTimeline(t *testing.T) {
	sys := startAPI(t)
	ids := listFleet(t, sys) // first statuses: one device event per device with a status
	ctx := testenv.Ctx(t, 10*time.Second)
	pool := sys.Store.Pool()
	now := time.Now().UTC()
	// the first statuses 50 min ago, the rest of the story after them
	_, err := pool.Exec(ctx, `UPDATE device_events SET at = $1`, now.Add(-50*time.Minute))
	testenv.Must(t, "age first statuses", err)
	_, err = pool.Exec(ctx, `INSERT INTO device_events (device_id, at, kind, from_status, to_status) VALUES
		($1, $2, 'status', 'up', 'down'), ($1, $3, 'status', 'down', 'up'), ($4, $5, 'if_down', NULL, NULL)`,
		ids["zrh-rtr"], now.Add(-10*time.Minute), now.Add(-3*time.Hour), ids["gva-sw"], now.Add(-5*time.Minute))
	testenv.Must(t, "insert device events", err)
	var alertID int64
	testenv.Must(t, "insert alert", pool.QueryRow(ctx, `INSERT INTO alerts (rule_id, rule_name, kind, device_id, device_name,
		severity, state, summary, started_at, updated_at) VALUES (1, 'down', 'device_down', $1, 'zrh-rtr', 'critical', 'acknowledged',
		'zrh-rtr is down', $2, $2) RETURNING id`, ids["zrh-rtr"], now.Add(-9*time.Minute)).Scan(&alertID))
	_, err = pool.Exec(ctx, `INSERT INTO alert_events (alert_id, at, kind, from_state, to_state, actor, comment) VALUES
		($1, $2, 'fired', '', 'firing', '', ''), ($1, $3, 'acknowledged', 'firing', 'acknowledged', 'noc', 'carrier ticket 4411')`,
		alertID, now.Add(-9*time.Minute), now.Add(-2*time.Minute))
	testenv.Must(t, "insert alert events", err)

	get := func(q string) timelinePage {
		t.Helper()
		a := jsonCall(t, sys, http.MethodGet, "/api/v1/timeline?"+q, "")
		if a.Status != http.StatusOK {
			t.Fatalf("GET /timeline?%s: %d %s", q, a.Status, a.Body)
		}
		var p timelinePage
		a.decode(t, &p)
		return p
	}
	kinds := func(p timelinePage) []string {
		var out []string
		for _, c := range p.Changes {
			out = append(out, c.Source+":"+c.Kind+":"+c.DeviceName)
		}
		return out
	}
	// the last hour, newest first; the 3 h old event is left out; first statuses (8) at the end
	all := get("")
	if len(all.Changes) != 4+8 {
		t.Fatalf("last hour: %d changes %v, want 12", len(all.Changes), kinds(all))
	}
	if diff := cmp.Diff([]string{"alert:acknowledged:zrh-rtr", "device:if_down:gva-sw", "alert:fired:zrh-rtr", "device:status:zrh-rtr"},
		kinds(all)[:4]); diff != "" {
		t.Errorf("newest first (-want +got):\n%s", diff)
	}
	if ack := all.Changes[0]; ack.Actor != "noc" || ack.Comment != "carrier ticket 4411" || ack.Severity != "critical" || ack.AlertID == nil || *ack.AlertID != alertID {
		t.Errorf("acknowledgement line = %+v", ack)
	}
	for _, c := range []struct {
		name, query string
		want        []string
	}{
		{"alerts only", "source=alert", []string{"alert:acknowledged:zrh-rtr", "alert:fired:zrh-rtr"}},
		{"severity", "severity=major,minor&source=alert", nil},
		{"critical", "severity=critical&source=alert", []string{"alert:acknowledged:zrh-rtr", "alert:fired:zrh-rtr"}},
		{"text", "q=GVA-SW&source=device", []string{"device:if_down:gva-sw", "device:status:gva-sw"}},
		{"device", "device_id=" + strconv.FormatInt(ids["zrh-rtr"], 10) + "&since=4h", []string{"alert:acknowledged:zrh-rtr", "alert:fired:zrh-rtr",
			"device:status:zrh-rtr", "device:status:zrh-rtr", "device:status:zrh-rtr"}},
		{"limit", "limit=2", []string{"alert:acknowledged:zrh-rtr", "device:if_down:gva-sw"}},
		{"until", "until=" + url.QueryEscape(now.Add(-6*time.Minute).Format(time.RFC3339)) + "&since=30m",
			[]string{"alert:fired:zrh-rtr", "device:status:zrh-rtr"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, kinds(get(c.query))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if !get("limit=2").More {
		t.Error("limit=2 of 12: more is false")
	}
	for _, c := range []struct{ query, field string }{
		{"since=8d", "since"}, {"since=200h", "since"}, {"since=yesterday", "since"}, {"since=-1h", "since"},
		{"until=soon", "until"}, {"source=device,syslog", "source"}, {"severity=fatal", "severity"},
		{"limit=0", "limit"}, {"limit=5000", "limit"}, {"device_id=x", "device_id"},
	} {
		jsonCall(t, sys, http.MethodGet, "/api/v1/timeline?"+c.query, "").wantError(t, c.query, http.StatusBadRequest, "invalid_"+c.field, c.field)
	}
}
