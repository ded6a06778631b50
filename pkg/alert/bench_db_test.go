package alert_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

// seedFleet writes n devices in branches of 100 (a router and 99 devices behind it), their
// latest status on a bad day (2 % down, every 200th branch entirely down, 5 % with loss, 3 %
// with high RTT, 3 % with high jitter) and a webhook channel, in a few set-based statements;
// then adds ping rules so that 20 run per pass.
func seedFleet(b *testing.B, st *store.Store, n int) {
	ctx := context.Background()
	stmts := []string{
		`INSERT INTO devices (id, name, ip, branch, region, type, labels, parent_id)
		 SELECT i, 'dev-' || i, ('127.' || ((i >> 16) & 255) || '.' || ((i >> 8) & 255) || '.' || (i & 255))::inet,
			'B' || lpad(((i - 1) / 100)::text, 4, '0'), 'R' || (((i - 1) / 100) % 10),
			CASE WHEN (i - 1) % 100 = 0 THEN 'router' ELSE 'atm' END,
			jsonb_build_object('tier', (ARRAY['gold', 'silver', 'bronze'])[i % 3 + 1]),
			CASE WHEN (i - 1) % 100 = 0 THEN NULL ELSE i - ((i - 1) % 100) END
		 FROM generate_series(1, $1::int) AS i`,
		`SELECT setval('devices_id_seq', $1::int)`,
		`INSERT INTO device_status (device_id, status, rtt_avg_ms, jitter_ms, loss_pct, last_slot)
		 SELECT i, s, CASE WHEN s = 'down' THEN NULL WHEN i % 33 = 0 THEN 300 ELSE 5 + i % 40 END,
			CASE WHEN s = 'down' THEN NULL WHEN i % 37 = 0 THEN 70 ELSE i % 20 END,
			CASE WHEN s = 'down' THEN 100 WHEN i % 20 = 0 THEN i * 31 % 60 ELSE 0 END, now()
		 FROM (SELECT i, CASE WHEN i % 50 = 0 OR ((i - 1) / 100) % 200 = 7 THEN 'down' ELSE 'up' END AS s
		       FROM generate_series(1, $1::bigint) AS i) AS x`,
	}
	for _, q := range stmts {
		if _, err := st.Pool().Exec(ctx, q, n); err != nil {
			b.Fatalf("seed: %v", err)
		}
	}
	_, err := st.Pool().Exec(ctx, `
		INSERT INTO channels (name, type, config) VALUES ('noc', 'webhook', '{"url":"http://127.0.0.1:1/"}');
		INSERT INTO alert_rules (name, kind, op, threshold, recovery_threshold, for_cycles, recover_cycles, severity, scope)
		SELECT 'bench-' || k || '-' || s, k, '>=', CASE WHEN k = 'ping_rtt_ms' THEN 250 ELSE 50 END,
			CASE WHEN k = 'ping_rtt_ms' THEN 200 ELSE 30 END, 2, 2, 'major', sc
		FROM unnest(ARRAY['device_down', 'ping_loss_pct', 'ping_rtt_ms', 'ping_jitter_ms']) AS k,
		     unnest(ARRAY['{"regions":["R1","R2"]}', '{"branches":["B0001","B0500"]}', '{"labels":{"tier":"gold"}}',
		                  '{"types":["router"]}']::jsonb[]) WITH ORDINALITY AS t(sc, s)`)
	if err != nil {
		b.Fatalf("seed rules: %v", err)
	}
}

// BenchmarkPassDB100k is one ping pass from a real PostgreSQL over 100,000 devices × 20 rules:
// the snapshot and states loaded, evaluated, and the result saved in one transaction. It
// reports each phase. The state is steady (three passes run first), as after every cycle in
// production; the first pass of an outage writes more (see BenchmarkPassDBOutage100k).
func BenchmarkPassDB100k(b *testing.B) {
	benchPassDB(b, false)
}

// BenchmarkPassDBOutage100k measures the pass that sees 1,000 more devices go down at once (ten
// whole branches) and fires/suppresses their alerts.
func BenchmarkPassDBOutage100k(b *testing.B) {
	benchPassDB(b, true)
}

func benchPassDB(b *testing.B, outage bool) {
	st := store.New(testenv.NewDB(b), time.Minute, nil)
	seedFleet(b, st, 100_000)
	ctx := context.Background()
	rules, err := st.EnabledAlertRules(ctx)
	testenv.Must(b, "rules", err)
	now := time.Now()
	var inv alert.Inventory
	pass := func() (load, eval, save time.Duration, res *alert.Result) {
		t0 := time.Now()
		data, err := st.LoadAlertPass(ctx, alert.SourcePing, rules, &inv)
		testenv.Must(b, "load", err)
		t1 := time.Now()
		res = alert.Evaluate(&alert.PassInput{Source: alert.SourcePing, Now: now, Snapshot: data.Snapshot, Rules: rules,
			States: data.States, Incidents: data.Incidents, Windows: data.Windows, Routes: data.Routes})
		t2 := time.Now()
		_, err = st.SaveAlertPass(ctx, res)
		testenv.Must(b, "save", err)
		now = now.Add(30 * time.Second)
		return t1.Sub(t0), t2.Sub(t1), time.Since(t2), res
	}
	for i := range 3 {
		if l, _, _, _ := pass(); i == 0 {
			b.Logf("first pass: load with the full device inventory %s", l.Round(time.Millisecond))
		}
	}
	var load, eval, save, cpu time.Duration
	var res *alert.Result
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if outage {
			b.StopTimer()
			_, err := st.Pool().Exec(ctx, `UPDATE device_status SET status = 'down', loss_pct = 100
				WHERE device_id IN (SELECT id FROM devices WHERE branch IN
					(SELECT DISTINCT branch FROM devices WHERE branch >= 'B0900' AND branch < 'B0910')) AND status <> 'down'`)
			testenv.Must(b, "outage", err)
			pass() // the first bad cycle counts; the measured one fires
			b.StartTimer()
		}
		c0 := cpuTime()
		l, e, s, r := pass()
		load, eval, save, res, cpu = load+l, eval+e, save+s, r, cpu+cpuTime()-c0
		if outage {
			b.StopTimer()
			_, err := st.Pool().Exec(ctx, `UPDATE device_status SET status = 'up', loss_pct = 0
				WHERE device_id IN (SELECT id FROM devices WHERE branch >= 'B0900' AND branch < 'B0910')`)
			testenv.Must(b, "recovery", err)
			for range 3 {
				pass()
			}
			now = now.Add(time.Hour) // past the flap window: the next outage is a new one
			b.StartTimer()
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(load.Milliseconds())/n, "load-ms/op")
	b.ReportMetric(float64(eval.Milliseconds())/n, "eval-ms/op")
	b.ReportMetric(float64(save.Milliseconds())/n, "save-ms/op")
	b.ReportMetric(float64(cpu.Milliseconds())/n, "go-cpu-ms/op")
	b.ReportMetric(float64(res.Stats.Rules), "rules")
	b.ReportMetric(float64(len(res.Alerts)), "alert-writes/op")
	b.Logf("last pass: %+v", res.Stats)
}

// cpuTime is the process's user+system CPU time (the PostgreSQL server's is not included).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
