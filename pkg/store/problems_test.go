package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

// TestProblemsAgreeWithReference: the problem list aggregated in SQL (Store.Problems) is the
// one alert.BuildProblems builds from every open alert and incident (Store.ProblemInput), over
// alerts of every state and severity, folded devices, system alerts, devices in maintenance,
// incidents (one acknowledged, one of a device in maintenance, one with no open alert of its
// own, one resolved), for the whole fleet and a region, cut short and in full.
func TestProblemsAgreeWithReference(t *testing.T) {
	st := store.New(testenv.NewDB(t), 5*time.Second, nil)
	ctx := t.Context()
	pool := st.Pool()
	exec := func(what, q string, args ...any) {
		t.Helper()
		_, err := pool.Exec(ctx, q, args...)
		testenv.Must(t, what, err)
	}
	exec("devices", `INSERT INTO devices (name, ip, branch, region, type, vendor)
		SELECT format('dev-%s', i), ('127.9.0.' || (i + 1))::inet, 'br-' || (i / 5), 'r' || (i % 4), 'switch', 'cisco' FROM generate_series(0, 39) i`)
	exec("status", `INSERT INTO device_status (device_id, status, last_change, last_slot)
		SELECT id, CASE WHEN id % 7 = 0 THEN 'maintenance' WHEN id % 5 = 0 THEN 'down' ELSE 'up' END, now(), now() FROM devices`)
	// 400 alerts over the 40 devices: every state, severity and a few kinds; some system alerts
	exec("alerts", `INSERT INTO alerts (rule_id, rule_name, kind, device_id, device_name, subject, severity, state, suppressed_reason,
			summary, started_at, updated_at, acked_by)
		SELECT 1 + i % 3, 'r', (ARRAY['if_down','cpu_pct','device_down'])[1 + (i / 40) % 3], CASE WHEN i % 97 = 0 THEN NULL ELSE d.id END,
			CASE WHEN i % 97 = 0 THEN '' ELSE d.name END, 's' || i, (ARRAY['critical','major','minor','warning'])[1 + (i * 7) % 4],
			(ARRAY['firing','firing','firing','acknowledged','suppressed','resolved'])[1 + (i / 3) % 6],
			CASE WHEN (i / 3) % 6 = 4 THEN (ARRAY['maintenance','parent_down'])[1 + i % 2] ELSE '' END,
			'alert ' || i, now() - (i % 50) * interval '1 minute', now(), CASE WHEN (i / 3) % 6 = 3 THEN 'noc' ELSE '' END
		FROM generate_series(0, 399) i JOIN devices d ON d.id = (SELECT min(id) FROM devices) + i % 40`)
	var minID int64
	testenv.Must(t, "first device", pool.QueryRow(ctx, `SELECT min(id) FROM devices`).Scan(&minID))
	// incidents: rooted on devices 5 (down), 10 (down), 14 (maintenance), 15 (no alert of its
	// own), 20 (resolved); 5's root alert acknowledged
	for _, c := range []struct {
		dev   int64
		state string
	}{{5, "open"}, {10, "open"}, {14, "open"}, {15, "open"}, {20, "resolved"}} {
		var inc int64
		testenv.Must(t, "incident", pool.QueryRow(ctx, `INSERT INTO incidents (root_device_id, root_name, branch, title, state, affected_count, opened_at)
			VALUES ($1, 'root', 'b', 'outage', $2, 3, now() - interval '2 hours') RETURNING id`, minID+c.dev, c.state).Scan(&inc))
		if c.dev == 15 {
			continue
		}
		exec("root alert", `WITH r AS (INSERT INTO alerts (rule_id, rule_name, kind, device_id, device_name, subject, severity, state, started_at, updated_at)
			VALUES (9, 'down', 'device_down', $1, 'root', 'root', 'critical', CASE WHEN $3 THEN 'acknowledged' ELSE 'firing' END, now() - interval '2 hours', now())
			RETURNING id) UPDATE incidents SET alert_id = (SELECT id FROM r) WHERE id = $2`, minID+c.dev, inc, c.dev == 5)
		exec("alerts under it", `UPDATE alerts SET incident_id = $1 WHERE device_id IN ($2, $3, $4) AND state <> 'resolved'`,
			inc, minID+c.dev, minID+c.dev+1, minID+c.dev+2)
	}
	for _, sc := range []struct {
		name string
		sc   store.DeviceScope
	}{{"all", store.DeviceScope{}}, {"region r1", store.DeviceScope{Regions: []string{"r1"}}}} {
		for _, lim := range [][2]int{{3, 2}, {1000, 50}} {
			in, err := st.ProblemInput(ctx, sc.sc)
			testenv.Must(t, "problem input", err)
			want := alert.BuildProblems(in, lim[0], lim[1])
			got, err := st.Problems(ctx, sc.sc, lim[0], lim[1])
			testenv.Must(t, "problems", err)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("%s, limit %d, per row %d: SQL problem list (-reference +sql):\n%s", sc.name, lim[0], lim[1], d)
			}
			if lim[0] == 1000 && (len(got.Rows.Rows) == 0 || len(got.Acked.Rows) == 0 || len(got.Muted.Rows) == 0) {
				t.Errorf("%s: sections of %d, %d, %d rows: the data does not exercise every section", sc.name, len(got.Rows.Rows), len(got.Acked.Rows), len(got.Muted.Rows))
			}
		}
	}
}
