package pipelinebench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/wardops/wardops/tools/benchreport/benchfile"
)

// Results is the file other tools read (run/bench/*.json): one row per figure, in the shape
// tools/benchreport renders.
type Results = benchfile.File

// Row is one figure: Met is nil where there is no target.
type Row = benchfile.Row

// Phase is what one fleet size and worker count measured.
type Phase struct {
	Devices, SNMP, Workers   int
	IntervalS, SNMPIntervalS float64
	// RegisterS is how long the fleet took to register through the API (0 when unchanged).
	RegisterS float64
	// PingCycles and SNMPCycles are the completion times (s) of the measured slots; a slot
	// that never completed counts as +Inf.
	PingCycles, SNMPCycles []float64
	// Skipped* are deltas of the wardops:stats:skipped hash over the window.
	SkippedPingSlots, SkippedPingBatches, SkippedSNMPSlots, SkippedSNMPBatches int64
	// Rescued counts batches the workers' rescuers re-enqueued (wardops_batches_rescued_total):
	// on a live system, a batch whose heartbeat lease lapsed while its worker was starved.
	Rescued float64
	// SNMPPolled and SNMPAnswered count the agents polled, and those that answered, in the
	// last measured SNMP slot (device_snmp_state).
	SNMPPolled, SNMPAnswered int
	// UnreachablePct is the -unreachable share asked for; Unreachable how many devices it made
	// unreachable (routers, switches and firewalls are never moved).
	UnreachablePct, Unreachable int
	// WorkerEnv is the extra worker settings of the run ("" for the defaults).
	WorkerEnv string
	WindowS   float64
	// WorkerCPUS is the CPU seconds of all workers over the window; WorkerRSSMB the largest
	// RSS of one worker.
	WorkerCPUS, WorkerRSSMB float64
	// SimCPUS is the snmpsimd processes' CPU seconds over the window.
	SimCPUS float64
	// PGRowsPerS counts tuples inserted+updated+deleted; PingRowsPerS ping_results rows.
	PGRowsPerS, PingRowsPerS, VMSamplesPerS float64
	RedisMB                                 float64
	// WALBytesPerS is PostgreSQL's WAL written; PGCPUS and VMCPUS the CPU seconds of the whole
	// PostgreSQL cluster and of VictoriaMetrics over the window; VMRSSMB its RSS at the end.
	WALBytesPerS, PGCPUS, VMCPUS, VMRSSMB float64
	// TaskBytes is the mean Redis memory of one retained ping:batch task.
	TaskBytes float64
	// MachineBusyPct is all CPUs busy over the window (other work on the machine included).
	MachineBusyPct     float64
	LoadStart, LoadEnd string
}

// CPUPerCycle is the workers' CPU seconds per ping cycle.
func (p Phase) CPUPerCycle() float64 {
	if p.WindowS == 0 {
		return 0
	}
	return p.WorkerCPUS / (p.WindowS / p.IntervalS)
}

func secs(v float64) string {
	if math.IsInf(v, 1) {
		return "not completed"
	}
	return fmt.Sprintf("%.1f s", v)
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func workers(n int) string {
	if n == 1 {
		return "one worker"
	}
	return fmt.Sprintf("%d workers", n)
}

// Rows turns the phases into the report's rows; base is the one-worker phase at the largest
// size (for the scale-out comparison), nil when there is none.
func Rows(phases []Phase) []Row {
	var rows []Row
	type fleet struct{ devices, unreachable int }
	oneWorker := map[fleet]Phase{}
	for _, p := range phases {
		if p.Workers == 1 {
			oneWorker[fleet{p.Devices, p.Unreachable}] = p
		}
	}
	for _, p := range phases {
		p99, p50 := Percentile(p.PingCycles, 99), Percentile(p.PingCycles, 50)
		met := p99 < p.IntervalS && p.SkippedPingSlots == 0 && p.SkippedPingBatches == 0
		note := fmt.Sprintf("%d measured slots; load average %s → %s; machine CPU busy %.0f %%", len(p.PingCycles), p.LoadStart, p.LoadEnd, p.MachineBusyPct)
		if p.Rescued > 0 {
			note += fmt.Sprintf("; %.0f batches rescued by the rescuer (a live worker's lease lapsed)", p.Rescued)
		}
		if p.WorkerEnv != "" {
			note += "; worker settings " + p.WorkerEnv
		}
		if p.SNMP > 0 {
			note += fmt.Sprintf("; SNMP of %s agents running meanwhile", thousands(p.SNMP))
		}
		if base, ok := oneWorker[fleet{p.Devices, p.Unreachable}]; ok && p.Workers > 1 {
			note += fmt.Sprintf("; one worker at this size: p99 %s", secs(Percentile(base.PingCycles, 99)))
		}
		rows = append(rows, Row{
			Figure:   fmt.Sprintf("ping cycle p99, %s devices%s, %.0f s interval, %s", thousands(p.Devices), p.unreachable(), p.IntervalS, workers(p.Workers)),
			Target:   fmt.Sprintf("< %.0f s, 0 skipped slots", p.IntervalS),
			Measured: fmt.Sprintf("%s (p50 %s), %d skipped slots, %d skipped batches", secs(p99), secs(p50), p.SkippedPingSlots, p.SkippedPingBatches),
			Met:      &met, Note: note,
		})
		if p.SNMP > 0 && p.Workers == 1 {
			s99, s50 := Percentile(p.SNMPCycles, 99), Percentile(p.SNMPCycles, 50)
			smet := len(p.SNMPCycles) > 0 && s99 < p.SNMPIntervalS && p.SkippedSNMPSlots == 0 && p.SkippedSNMPBatches == 0 &&
				p.SNMPAnswered*100 >= p.SNMPPolled*99
			rows = append(rows, Row{
				Figure:   fmt.Sprintf("SNMP cycle p99, %s snmpsim agents × 20 interfaces, %.0f s interval, one worker", thousands(p.SNMP), p.SNMPIntervalS),
				Target:   fmt.Sprintf("< %.0f s, 0 skipped slots, ≥ 99 %% of agents answer", p.SNMPIntervalS),
				Measured: fmt.Sprintf("%s (p50 %s), %d skipped slots, %d skipped batches", secs(s99), secs(s50), p.SkippedSNMPSlots, p.SkippedSNMPBatches),
				Met:      &smet,
				Note: fmt.Sprintf("%d measured slots, beside %s pinged devices; last slot: %s polled, %s answered; snmpsimd used %.0f CPU s in %.0f s (%.0f %% of a core)",
					len(p.SNMPCycles), thousands(p.Devices), thousands(p.SNMPPolled), thousands(p.SNMPAnswered), p.SimCPUS, p.WindowS, 100*p.SimCPUS/p.WindowS),
			})
		}
		if p.Workers == 1 {
			rows = append(rows, Row{
				Figure: fmt.Sprintf("worker CPU and RSS, %s devices%s%s", thousands(p.Devices), p.unreachable(), snmpSuffix(p.SNMP)),
				Target: "",
				Measured: fmt.Sprintf("%.1f CPU s per ping cycle (%.0f %% of one core), RSS %.0f MB", p.CPUPerCycle(),
					100*p.WorkerCPUS/p.WindowS, p.WorkerRSSMB),
				Note: fmt.Sprintf("over %.0f s", p.WindowS),
			}, Row{
				Figure: fmt.Sprintf("PostgreSQL, VictoriaMetrics and Redis load, %s devices%s%s", thousands(p.Devices), p.unreachable(), snmpSuffix(p.SNMP)),
				Measured: fmt.Sprintf("PostgreSQL %.0f rows/s (ping_results %.0f rows/s), VictoriaMetrics %.0f samples/s, Redis used_memory %.1f MB",
					p.PGRowsPerS, p.PingRowsPerS, p.VMSamplesPerS, p.RedisMB),
				Note: fmt.Sprintf("PostgreSQL rows = tuples inserted+updated+deleted (pg_stat_database), WAL %.1f MB/s, PostgreSQL CPU %.0f %% of a core; "+
					"VictoriaMetrics = vm_rows_inserted_total, CPU %.0f %% of a core, RSS %.0f MB; Redis = peak used_memory, one ping:batch task %.0f bytes",
					p.WALBytesPerS/(1<<20), 100*p.PGCPUS/p.WindowS, 100*p.VMCPUS/p.WindowS, p.VMRSSMB, p.TaskBytes),
			})
		}
	}
	return rows
}

// unreachable names the dead devices of the fleet in a figure ("" when there are none).
func (p Phase) unreachable() string {
	if p.Unreachable == 0 {
		return ""
	}
	return fmt.Sprintf(" (%s unreachable)", thousands(p.Unreachable))
}

func snmpSuffix(m int) string {
	if m == 0 {
		return ""
	}
	return fmt.Sprintf(" + %s SNMP agents", thousands(m))
}

// WriteJSON writes the results to path (directories created).
func WriteJSON(path string, r Results) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadJSON reads a results file.
func ReadJSON(path string) (Results, error) {
	var r Results
	b, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	return r, json.Unmarshal(b, &r)
}

// Merge returns the old rows with those of the same figure replaced by the new ones (in place),
// then the new rows no old one had.
func Merge(old, rows []Row) []Row {
	byFigure := map[string]Row{}
	for _, r := range rows {
		byFigure[r.Figure] = r
	}
	out := make([]Row, 0, len(old)+len(rows))
	used := map[string]bool{}
	for _, r := range old {
		if n, ok := byFigure[r.Figure]; ok {
			r = n
			used[r.Figure] = true
		}
		out = append(out, r)
	}
	for _, r := range rows {
		if !used[r.Figure] {
			out = append(out, r)
		}
	}
	return out
}

// WriteMarkdown writes the rows as a markdown table.
func WriteMarkdown(w io.Writer, rows []Row) {
	fmt.Fprintln(w, "| figure | target | measured | met | note |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, r := range rows {
		met := "—"
		if r.Met != nil {
			met = map[bool]string{true: "yes", false: "**no**"}[*r.Met]
		}
		target := r.Target
		if target == "" {
			target = "—"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", r.Figure, target, r.Measured, met, r.Note)
	}
}
