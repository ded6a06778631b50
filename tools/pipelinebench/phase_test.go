//go:build pipelinebench

package pipelinebench_test

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/schedule"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/pkg/worker"
	"github.com/wardops/wardops/testinfra/testenv"
	"github.com/wardops/wardops/tools/fleet/fleetsim"
	pb "github.com/wardops/wardops/tools/pipelinebench"
)

// phase grows (or shrinks) the fleet to sz, runs the given number of workers, leaves out the
// warm-up cycles and measures the next ones.
func (s *stack) phase(t *testing.T, sz size, workers int) pb.Phase {
	ctx := context.Background()
	p := pb.Phase{Devices: sz.devices, SNMP: sz.snmp, Workers: workers, IntervalS: intervalFlag.Seconds(), SNMPIntervalS: snmpIntFlag.Seconds(),
		WorkerEnv: *workerEnv, UnreachablePct: sz.dead}
	if sz != s.cur {
		start := time.Now()
		plan, err := fleetsim.Plan(sz.devices)
		testenv.Must(t, "plan the fleet", err)
		s.unreachable, err = fleetsim.Unreachable(plan, sz.dead, unreachablePrefix)
		testenv.Must(t, "plan the unreachable devices", err)
		sum, err := fleetsim.ApplyPlan(ctx, s.client, s.agents, plan, sz.snmp)
		testenv.Must(t, "register the fleet", err)
		p.RegisterS = time.Since(start).Seconds()
		t.Logf("fleet %d devices (%d SNMP, %d unreachable): %+v in %.1f s", sz.devices, sz.snmp, s.unreachable, sum, p.RegisterS)
		s.cur = sz
	}
	p.Unreachable = s.unreachable
	for len(s.workers) < workers {
		s.addWorker(t)
	}
	for len(s.workers) > workers {
		w := s.workers[len(s.workers)-1]
		w.Stop(30 * time.Second)
		s.workers = s.workers[:len(s.workers)-1]
	}
	iv := *intervalFlag
	from := schedule.SlotStart(time.Now(), iv, 0).Add(time.Duration(1+*warmFlag) * iv)
	to := from.Add(time.Duration(*cyclesFlag) * iv)
	t.Logf("phase %d devices, %d SNMP, %d worker(s): measuring %s → %s", sz.devices, sz.snmp, workers, from.Format("15:04:05"), to.Format("15:04:05"))
	time.Sleep(time.Until(from))
	before := s.snapshot(ctx, t)
	p.LoadStart = pb.LoadAvg()
	var wg sync.WaitGroup
	var rssMax, redisMax float64
	stopSampling := make(chan struct{})
	wg.Add(1)
	go func() { // peaks, once a second
		defer wg.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			for _, w := range s.workers {
				rssMax = math.Max(rssMax, float64(w.RSS())/(1<<20))
			}
			if m, err := pb.RedisUsedMemory(ctx, s.rdb); err == nil {
				redisMax = math.Max(redisMax, float64(m)/(1<<20))
			}
			select {
			case <-stopSampling:
				return
			case <-tick.C:
			}
		}
	}()
	pingDone := make(chan []float64, 1)
	snmpDone := make(chan []float64, 1)
	go func() { pingDone <- s.cycles(ctx, tasks.TypePingBatch, from, to, iv) }()
	go func() {
		if sz.snmp == 0 {
			snmpDone <- nil
			return
		}
		snmpDone <- s.cycles(ctx, tasks.TypeSNMPBatch, from, to, *snmpIntFlag)
	}()
	time.Sleep(time.Until(to))
	after := s.snapshot(ctx, t)
	p.LoadEnd = pb.LoadAvg()
	if b, n, err := pb.TaskMemory(ctx, s.rdb, tasks.QueueDefault, tasks.TypePingBatch); err == nil && n > 0 {
		p.TaskBytes = b
	}
	p.PingCycles, p.SNMPCycles = <-pingDone, <-snmpDone
	close(stopSampling)
	wg.Wait()
	skips := s.skipped(ctx, t)
	p.SkippedPingSlots = skips[tasks.TypePingCycle] - before.skipped[tasks.TypePingCycle]
	p.SkippedPingBatches = skips[tasks.TypePingBatch] - before.skipped[tasks.TypePingBatch]
	p.SkippedSNMPSlots = skips[tasks.TypeSNMPCycle] - before.skipped[tasks.TypeSNMPCycle]
	p.SkippedSNMPBatches = skips[tasks.TypeSNMPBatch] - before.skipped[tasks.TypeSNMPBatch]
	if fin, err := s.snapshotRescued(ctx); err == nil {
		p.Rescued = fin - before.rescued
	}
	w := after.at.Sub(before.at).Seconds()
	p.WindowS = w
	p.WorkerCPUS = (after.workerCPU - before.workerCPU).Seconds()
	p.SimCPUS = (after.simCPU - before.simCPU).Seconds()
	p.PGRowsPerS = float64(after.pgTuples-before.pgTuples) / w
	p.WALBytesPerS = float64(after.wal-before.wal) / w
	p.PGCPUS, p.VMCPUS = (after.pgCPU - before.pgCPU).Seconds(), (after.vmCPU - before.vmCPU).Seconds()
	p.VMRSSMB = float64(pb.RSS(s.vmPID())) / (1 << 20)
	p.VMSamplesPerS = (after.vmRows - before.vmRows) / w
	p.MachineBusyPct = 100 * float64(after.busy-before.busy) / float64(max(after.total-before.total, 1))
	p.WorkerRSSMB, p.RedisMB = rssMax, redisMax
	var rows int64
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM ping_results WHERE slot_at >= $1 AND slot_at < $2`, from, to).Scan(&rows)
	testenv.Must(t, "count ping rows", err)
	p.PingRowsPerS = float64(rows) / w
	if sz.snmp > 0 && len(p.SNMPCycles) > 0 {
		// answers in the last measured SNMP slot: a saturated simulator times requests out
		last := schedule.SlotStart(to.Add(-1), *snmpIntFlag, 0)
		err := s.db.QueryRow(ctx, `SELECT count(*) FILTER (WHERE last_poll >= $1), count(*) FILTER (WHERE last_success >= $1)
			FROM device_snmp_state`, last).Scan(&p.SNMPPolled, &p.SNMPAnswered)
		testenv.Must(t, "count SNMP answers", err)
	}
	t.Logf("phase result: %+v", p)
	return p
}

type snap struct {
	at                time.Time
	rescued           float64
	workerCPU, simCPU time.Duration
	pgCPU, vmCPU      time.Duration
	wal               int64
	pgTuples          int64
	vmRows            float64
	busy, total       int64
	skipped           map[string]int64
}

func (s *stack) snapshot(ctx context.Context, t *testing.T) snap {
	sn := snap{at: time.Now()}
	for _, w := range s.workers {
		c, err := pb.ProcCPU(w.PID())
		testenv.Must(t, "worker cpu", err)
		sn.workerCPU += c
		if r, err := pb.SumMetric(ctx, w.MetricsURL, "wardops_batches_rescued_total"); err == nil {
			sn.rescued += r
		}
	}
	for _, pid := range s.agents.PIDs() {
		if c, err := pb.ProcCPU(pid); err == nil {
			sn.simCPU += c
		}
	}
	if pid := s.pgPID(); pid > 0 {
		sn.pgCPU, _ = pb.TreeCPU(pid)
	}
	if pid := s.vmPID(); pid > 0 {
		sn.vmCPU, _ = pb.ProcCPU(pid)
	}
	err := s.db.QueryRow(ctx, `SELECT tup_inserted + tup_updated + tup_deleted, (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint
		FROM pg_stat_database WHERE datname = current_database()`).Scan(&sn.pgTuples, &sn.wal)
	testenv.Must(t, "pg stats", err)
	sn.vmRows, err = pb.SumMetric(ctx, s.vm.URL()+"/metrics", "vm_rows_inserted_total")
	testenv.Must(t, "vm metrics", err)
	sn.busy, sn.total = pb.MachineCPU()
	sn.skipped = s.skipped(ctx, t)
	return sn
}

// pgPID is the private cluster's postmaster, vmPID the VictoriaMetrics process (0 if not found).
func (s *stack) pgPID() int {
	return pb.FindPID("bin/postgres", fmt.Sprintf("-p %d ", s.pg.Port()))
}

func (s *stack) vmPID() int {
	return pb.FindPID("victoria-metrics", "-httpListenAddr="+strings.TrimPrefix(s.vm.URL(), "http://")+" ")
}

// snapshotRescued sums the workers' rescued-batch counters (a rescue can follow the window by
// up to a heartbeat TTL, so this is read after the last cycle completed).
func (s *stack) snapshotRescued(ctx context.Context) (float64, error) {
	var sum float64
	for _, w := range s.workers {
		r, err := pb.SumMetric(ctx, w.MetricsURL, "wardops_batches_rescued_total")
		if err != nil {
			return 0, err
		}
		sum += r
	}
	return sum, nil
}

func (s *stack) skipped(ctx context.Context, t *testing.T) map[string]int64 {
	m, err := s.rdb.HGetAll(ctx, worker.SkippedKey).Result()
	testenv.Must(t, "read skipped counts", err)
	out := map[string]int64{}
	for k, v := range m {
		out[k], _ = strconv.ParseInt(v, 10, 64)
	}
	return out
}

// cycles watches the batch countdown of every slot of batchType starting in [from, to) and
// returns each slot's completion time (slot start to the last batch done); a slot whose
// countdown has not reached zero two intervals after its start counts as +Inf.
func (s *stack) cycles(ctx context.Context, batchType string, from, to time.Time, iv time.Duration) []float64 {
	first := schedule.SlotStart(from.Add(iv-1), iv, 0)
	var slots []time.Time
	for at := first; at.Before(to); at = at.Add(iv) {
		slots = append(slots, at)
	}
	done := make([]float64, len(slots))
	for i := range done {
		done[i] = -1
	}
	for left := len(slots); left > 0; time.Sleep(100 * time.Millisecond) {
		for i, at := range slots {
			if done[i] >= 0 || time.Now().Before(at) {
				continue
			}
			key, v, err := s.remaining(ctx, batchType, schedule.SlotNumber(at, iv))
			switch {
			case err == nil && v <= 0:
				done[i] = time.Since(at).Seconds()
				left--
			case time.Since(at) > 2*iv:
				done[i] = math.Inf(1)
				left--
				keys, _ := s.rdb.Keys(ctx, "wardops:cycle:"+batchType+":*").Result()
				s.t.Logf("slot %s of %s not completed: %s = %d (%v); countdowns in Redis: %v", at.Format("15:04:05"), batchType, key, v, err, keys)
			}
		}
	}
	return done
}

// remaining reads a slot's batch countdown: field "remaining" of the hash
// wardops:cycle:TYPE:SLOT (pkg/worker countdown.go), or the older string key
// wardops:cycle:TYPE:SLOT:remaining.
func (s *stack) remaining(ctx context.Context, batchType string, slot int64) (string, int64, error) {
	key := fmt.Sprintf("wardops:cycle:%s:%d", batchType, slot)
	v, err := s.rdb.HGet(ctx, key, "remaining").Int64()
	if err == nil {
		return key, v, nil
	}
	old := key + ":remaining"
	v, err2 := s.rdb.Get(ctx, old).Int64()
	if err2 == nil {
		return old, v, nil
	}
	return key, 0, err
}

// facts logs the sizes the scaling arithmetic of docs/SCALING.md needs: bytes per stored ping
// row (today's partition, indexes included), per latest-status row, VictoriaMetrics series.
func (s *stack) facts(t *testing.T) {
	ctx := context.Background()
	part := "ping_results_" + time.Now().UTC().Format("20060102")
	var rows, bytes, stRows, stBytes int64
	err := s.db.QueryRow(ctx, `SELECT (SELECT count(*) FROM `+part+`), pg_total_relation_size('`+part+`'),
		(SELECT count(*) FROM device_status), pg_total_relation_size('device_status')`).Scan(&rows, &bytes, &stRows, &stBytes)
	if err != nil {
		t.Logf("facts: %v", err)
		return
	}
	series, _ := pb.SumMetric(ctx, s.vm.URL()+"/metrics", "vm_cache_entries{type=\"storage/tsid\"}")
	t.Logf("FACTS: %s %d rows, %d bytes (%.0f bytes/row); device_status %d rows %d bytes (%.0f bytes/row); VM tsid cache entries %.0f",
		part, rows, bytes, float64(bytes)/float64(max(rows, 1)), stRows, stBytes, float64(stBytes)/float64(max(stRows, 1)), series)
}
