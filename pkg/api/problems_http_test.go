package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/testinfra/testenv"
)

// TestProblemList: GET /alerts/problems answers the problem list built on the server — a
// critical opened before 30 majors of one switch comes first, the switch's alerts are one row,
// every firing alert is counted, a device in maintenance and an acknowledged alert are in
// their sections, the list is cut at limit with its total given, a row holds per_row alerts —
// and refuses bad limits naming the field. An alert without events reads as one (no 500).
func TestProblemList(t *testing.T) {
	sys := startAPI(t)
	base := alertingAPI(t, sys)
	ids := listFleet(t, sys)
	ctx := testenv.Ctx(t, 10*time.Second)
	pool := sys.Store.Pool()
	t0 := time.Now().UTC().Add(-time.Hour)
	insert := func(dev, kind, sev, state, subject string, at time.Time) int64 {
		var id int64
		testenv.Must(t, "insert alert", pool.QueryRow(ctx, `INSERT INTO alerts (rule_id, rule_name, kind, device_id, device_name,
			subject, severity, state, summary, started_at, updated_at) VALUES (1, $2, $2, $1, $3, $4, $5, $6, $3 || ' ' || $2, $7, $7) RETURNING id`,
			ids[dev], kind, dev, subject, sev, state, at).Scan(&id))
		return id
	}
	crit := insert("zrh-atm", "device_down", "critical", "firing", "", t0)
	for i := 0; i < 30; i++ {
		insert("gva-sw", "if_down", "major", "firing", fmt.Sprintf("Gi0/%d", i), t0.Add(time.Duration(i+1)*time.Second))
	}
	insert("bsl-rtr", "ping_rtt_ms", "minor", "firing", "", t0.Add(time.Minute))
	insert("gva-atm", "cpu_pct", "warning", "firing", "", t0.Add(2*time.Minute))
	insert("gva-rtr", "cpu_pct", "major", "acknowledged", "", t0)
	insert("zrh-sw", "cpu_pct", "major", "firing", "", t0)
	_, err := pool.Exec(ctx, `UPDATE device_status SET status = 'maintenance' WHERE device_id = $1`, ids["zrh-sw"])
	testenv.Must(t, "zrh-sw in maintenance", err)

	var p alert.Problems
	code, body := as(t, base, sys.Token, http.MethodGet, "/api/v1/alerts/problems?limit=2&per_row=5", "")
	if code != http.StatusOK {
		t.Fatalf("GET /alerts/problems: %d %s", code, body)
	}
	testenv.Must(t, "decode problem list", json.Unmarshal([]byte(body), &p))
	type row struct {
		Kind, Device string
		Severity     alert.Severity
		Count, Sent  int
	}
	rows := func(s alert.ProblemSection) []row {
		out := []row{}
		for _, r := range s.Rows {
			out = append(out, row{r.Kind, r.Device, r.Severity, r.Count, len(r.Alerts)})
		}
		return out
	}
	got := map[string]any{"rows": rows(p.Rows), "total": p.Rows.Total, "acked": rows(p.Acked), "muted": rows(p.Muted),
		"counts": p.Counts, "critical": p.Critical, "tiles": len(p.DeviceSeverity)}
	want := map[string]any{
		"rows":  []row{{"alert", "zrh-atm", "critical", 1, 1}, {"device", "gva-sw", "major", 30, 5}},
		"total": 4, "acked": []row{{"alert", "gva-rtr", "major", 1, 1}}, "muted": []row{{"alert", "zrh-sw", "major", 1, 1}},
		"counts":   map[alert.Severity]int{"critical": 1, "major": 30, "minor": 1, "warning": 1},
		"critical": []int64{crit}, "tiles": 5, // zrh-atm, gva-sw, bsl-rtr, gva-atm, gva-rtr (acknowledged); not zrh-sw
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("problem list (-want +got):\n%s", d)
	}
	for _, q := range []struct{ query, field string }{{"limit=0", "limit"}, {"limit=1001", "limit"}, {"per_row=x", "per_row"}} {
		code, body := as(t, base, sys.Token, http.MethodGet, "/api/v1/alerts/problems?"+q.query, "")
		var e struct{ Error struct{ Code, Field string } }
		_ = json.Unmarshal([]byte(body), &e)
		if code != http.StatusBadRequest || e.Error.Code != "invalid_"+q.field || e.Error.Field != q.field {
			t.Errorf("%s: %d %s, want 400 invalid_%s", q.query, code, body, q.field)
		}
	}
	// the alerts inserted here have no history rows: the alert still reads
	if code, body := as(t, base, sys.Token, http.MethodGet, fmt.Sprintf("/api/v1/alerts/%d", crit), ""); code != http.StatusOK {
		t.Errorf("GET an alert without events: %d %s", code, body)
	}
}
