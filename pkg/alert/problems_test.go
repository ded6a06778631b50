package alert_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/alert"
)

// TestBuildProblems: rows by severity then age, a device's alerts folded into one row, every
// critical kept past the limit, incidents with the alerts under them, acknowledged and
// maintenance apart, counts of the red list only.
func TestBuildProblems(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	a := func(id, dev int64, sev alert.Severity, st alert.AlertState, s int) alert.Alert {
		return alert.Alert{ID: id, DeviceID: dev, DeviceName: "d", Kind: alert.KindIfDown, Severity: sev, State: st, StartedAt: at(s)}
	}
	type row struct {
		Key      string
		Kind     string
		Severity alert.Severity
		Count    int
	}
	type want struct {
		Rows, Acked, Muted []row
		Totals             [3]int
		Counts             map[alert.Severity]int
		Critical           []int64
		DevSev             map[int64]alert.Severity
	}
	zero := map[alert.Severity]int{alert.SeverityCritical: 0, alert.SeverityMajor: 0, alert.SeverityMinor: 0, alert.SeverityWarning: 0}
	with := func(m map[alert.Severity]int) map[alert.Severity]int {
		out := map[alert.Severity]int{}
		for k, v := range zero {
			out[k] = v
		}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	cases := []struct {
		name  string
		in    alert.ProblemInput
		limit int
		want  want
	}{
		{name: "empty", limit: 5, want: want{Rows: []row{}, Acked: []row{}, Muted: []row{}, Counts: zero, Critical: []int64{}, DevSev: map[int64]alert.Severity{}}},
		{name: "critical first, a device folded, cut at the limit", limit: 2, in: alert.ProblemInput{Alerts: []alert.Alert{
			a(1, 10, alert.SeverityMajor, alert.StateFiring, 1), a(2, 10, alert.SeverityMajor, alert.StateFiring, 2),
			a(3, 11, alert.SeverityWarning, alert.StateFiring, 0), a(4, 12, alert.SeverityMinor, alert.StateFiring, 5),
			a(5, 13, alert.SeverityCritical, alert.StateFiring, 9)}},
			want: want{Rows: []row{{"d13", "alert", "critical", 1}, {"d10", "device", "major", 2}}, Acked: []row{}, Muted: []row{},
				Totals: [3]int{4, 0, 0}, Counts: with(map[alert.Severity]int{"critical": 1, "major": 2, "minor": 1, "warning": 1}),
				Critical: []int64{5}, DevSev: map[int64]alert.Severity{10: "major", 11: "warning", 12: "minor", 13: "critical"}}},
		{name: "every critical kept past the limit", limit: 1, in: alert.ProblemInput{Alerts: []alert.Alert{
			a(1, 10, alert.SeverityCritical, alert.StateFiring, 3), a(2, 11, alert.SeverityCritical, alert.StateFiring, 1),
			a(3, 12, alert.SeverityMajor, alert.StateFiring, 0)}},
			want: want{Rows: []row{{"d11", "alert", "critical", 1}, {"d10", "alert", "critical", 1}}, Acked: []row{}, Muted: []row{},
				Totals: [3]int{3, 0, 0}, Counts: with(map[alert.Severity]int{"critical": 2, "major": 1}), Critical: []int64{1, 2},
				DevSev: map[int64]alert.Severity{10: "critical", 11: "critical", 12: "major"}}},
		{name: "incident, acknowledged, maintenance, suppressed", limit: 10, in: alert.ProblemInput{
			Alerts: []alert.Alert{
				{ID: 1, DeviceID: 20, Severity: "critical", State: alert.StateFiring, IncidentID: 7, StartedAt: at(0)},
				{ID: 2, DeviceID: 21, Severity: "critical", State: alert.StateSuppressed, SuppressedReason: "parent_down", IncidentID: 7, StartedAt: at(0)},
				{ID: 3, DeviceID: 22, Severity: "major", State: alert.StateAcknowledged, StartedAt: at(0)},
				{ID: 4, DeviceID: 23, Severity: "major", State: alert.StateFiring, StartedAt: at(0)},
				{ID: 5, DeviceID: 24, Severity: "minor", State: alert.StateSuppressed, SuppressedReason: "maintenance", StartedAt: at(0)},
				{ID: 6, DeviceID: 25, Severity: "minor", State: alert.StateSuppressed, SuppressedReason: "parent_down", StartedAt: at(0)}},
			Incidents:     []alert.Incident{{ID: 7, RootDeviceID: 20, AlertID: 1, OpenedAt: at(0)}},
			InMaintenance: map[int64]bool{23: true}},
			want: want{Rows: []row{{"i7", "incident", "critical", 1}}, Acked: []row{{"a22", "alert", "major", 1}},
				Muted: []row{{"m23", "alert", "major", 1}, {"m24", "alert", "minor", 1}}, Totals: [3]int{1, 1, 2},
				Counts: with(map[alert.Severity]int{"critical": 1}), Critical: []int64{1},
				DevSev: map[int64]alert.Severity{20: "critical", 22: "major"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := alert.BuildProblems(c.in, c.limit, 50)
			rows := func(s alert.ProblemSection) []row {
				out := []row{}
				for _, r := range s.Rows {
					out = append(out, row{r.Key, r.Kind, r.Severity, r.Count})
				}
				return out
			}
			got := want{Rows: rows(p.Rows), Acked: rows(p.Acked), Muted: rows(p.Muted), Totals: [3]int{p.Rows.Total, p.Acked.Total, p.Muted.Total},
				Counts: p.Counts, Critical: p.Critical, DevSev: p.DeviceSeverity}
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("problem list (-want +got):\n%s", d)
			}
		})
	}
}
