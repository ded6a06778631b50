package worker_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wardops/wardops/pkg/probe"
	"github.com/wardops/wardops/pkg/schedule"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/testinfra/harness"
	"github.com/wardops/wardops/testinfra/testenv"
)

// BenchmarkPingCycle measures the wall time of one whole ping cycle — fan-out, every batch
// pinged (3 echoes 10 ms apart, 1 s timeout), stored and counted done — for N loopback devices
// (WARDOPS_BENCH_DEVICES, default 875) with one worker of concurrency 50 and batches of 100.
//
//	go test -run '^$' -bench BenchmarkPingCycle -benchtime 3x ./pkg/worker/
func BenchmarkPingCycle(b *testing.B) {
	testenv.RequireICMP(b)
	n := 875
	if v := os.Getenv("WARDOPS_BENCH_DEVICES"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	sys := harness.Start(b, harness.Options{NoScheduler: true, Concurrency: 50, BatchSize: 100,
		Ping: probe.Options{Count: 3, Spacing: 10 * time.Millisecond, Timeout: time.Second}})
	ctx := context.Background()
	var csv strings.Builder
	csv.WriteString("name,ip,branch,region\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&csv, "bench-%05d,127.40.%d.%d,b%d,r%d\n", i, i/250, i%250+1, i%50, i%2)
	}
	if code := sys.Do(b, "POST", "/api/v1/devices/import", csv.String(), nil); code != 200 {
		b.Fatalf("import: HTTP %d", code)
	}
	insp := asynq.NewInspectorFromRedisClient(sys.Redis)
	defer insp.Close()
	interval := time.Minute
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now().Add(time.Duration(i) * interval).Truncate(interval)
		job := schedule.Job{TaskType: tasks.TypePingCycle, Queue: tasks.QueueDefault, Interval: interval}
		t0 := time.Now()
		// a slot in the future would be refused as late by nobody: the deadline is start+interval
		if err := schedule.Emit(ctx, sys.Redis, sys.Client, job, start); err != nil {
			b.Fatal(err)
		}
		evalID := fmt.Sprintf("%s:ping:%d", tasks.TypeAlertEval, schedule.SlotNumber(start, interval))
		for {
			if _, err := insp.GetTaskInfo(tasks.QueueCritical, evalID); err == nil {
				break
			}
			if time.Since(t0) > 2*time.Minute {
				b.Fatalf("cycle of %d devices not done after 2 minutes", n)
			}
			time.Sleep(5 * time.Millisecond)
		}
		b.ReportMetric(time.Since(t0).Seconds(), "s/cycle")
	}
	b.StopTimer()
	var up int
	_ = sys.Store.Pool().QueryRow(ctx, `SELECT count(*) FROM device_status WHERE status = $1`, store.StatusUp).Scan(&up)
	b.ReportMetric(float64(up), "devices_up")
}
