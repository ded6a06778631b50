// Command pingbench pings the same N loopback targets (3 echoes each) with WardOps' engine and
// with fping, alternating in the same run (5 runs of each by default), and prints targets per
// second, CPU seconds and the median RTT of each run and the medians: `go tool task bench:ping`.
// The figures against issue #9's target (throughput ≥ fping's at ≤ 1.5× its CPU) also go to
// run/bench/ping.json.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wardops/wardops/pkg/probe"
	"github.com/wardops/wardops/tools/benchreport/benchfile"
)

func main() { os.Exit(run()) }

func run() int {
	n := flag.Int("targets", 10000, "number of loopback targets (127.60.x.y)")
	count := flag.Int("count", 3, "echo requests per target")
	withProbing := flag.Bool("probing", false, "also run the pro-bing engine (a socket per target; slow at large N)")
	out := flag.String("json", benchfile.Path("ping"), "result file")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of our engine's first run to this file")
	runs := flag.Int("runs", 5, "alternating runs of each (ours, fping, ours, …); the figures are the medians")
	flag.Parse()
	load0, date := benchfile.LoadAvg(), benchfile.Now()
	targets := make([]probe.Target, *n)
	for i := range targets {
		targets[i] = probe.Target{ID: int64(i), Addr: netip.AddrFrom4([4]byte{127, 60 + byte(i/62500), byte(i / 250 % 250), byte(i%250 + 1)})}
	}
	opts := probe.Options{Count: *count, Spacing: 10 * time.Millisecond, Timeout: time.Second}
	fmt.Printf("| engine | targets | wall s | targets/s | CPU s | replies | median RTT ms |\n|---|---|---|---|---|---|---|\n")
	// Alternate ours and fping, each alone on the machine's raw sockets (our engine is closed
	// while fping runs), and take the median run of each: one run's CPU figure moves by a
	// third with what else the machine does in that second.
	var oursRuns, fpRuns []outcome
	for r := range *runs {
		eng, err := probe.NewEngine(probe.EngineParams{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			fmt.Fprintln(os.Stderr, "pingbench:", err)
			return 1
		}
		o := measure(func() []probe.Result {
			if *cpuProfile != "" && r == 0 {
				stop, err := startProfile(*cpuProfile)
				if err != nil {
					fmt.Fprintln(os.Stderr, "pingbench:", err)
				} else {
					defer stop()
				}
			}
			return eng.PingAll(context.Background(), targets, opts)
		})
		_ = eng.Close()
		report("wardops shared socket", len(targets), o)
		oursRuns = append(oursRuns, o)
		fp, err := runFping(targets, *count)
		if err != nil {
			fmt.Fprintln(os.Stderr, "pingbench: fping:", err)
			return 1
		}
		report("fping 5 (-i 0 -p 10)", len(targets), fp)
		fpRuns = append(fpRuns, fp)
	}
	var pbo *outcome
	if *withProbing {
		pb := probe.NewProBing(nil)
		o := measure(func() []probe.Result { return pb.PingAll(context.Background(), targets, opts) })
		report("wardops pro-bing", len(targets), o)
		pbo = &o
	}
	ours, fp := medianRun(oursRuns), medianRun(fpRuns)
	fmt.Printf("\nmedian of %d runs each:\n", *runs)
	report("wardops shared socket", len(targets), ours)
	report("fping 5 (-i 0 -p 10)", len(targets), fp)
	fmt.Printf("\nmachine: %d cores; Go %s; %s\n", runtime.NumCPU(), runtime.Version(), time.Now().UTC().Format("2006-01-02"))
	f := benchfile.File{Bench: "ping", Command: "go tool task bench:ping", Date: date,
		Load: load0 + " → " + benchfile.LoadAvg(), Rows: rows(len(targets), *count, ours, fp, pbo, runsNote(oursRuns, fpRuns))}
	if err := benchfile.Write(*out, f); err != nil {
		fmt.Fprintln(os.Stderr, "pingbench:", err)
		return 1
	}
	fmt.Println("results:", *out)
	return 0
}

type outcome struct {
	wall, cpu time.Duration
	rtts      []float64
	// replies is the replies of one run (len(rtts) unless rtts pools several runs)
	replies int
}

func cpuTime(who int) time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(who, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startProfile starts a CPU profile into path; the returned func stops and closes it.
func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func measure(f func() []probe.Result) outcome {
	runtime.GC()
	c0, t0 := cpuTime(syscall.RUSAGE_SELF), time.Now()
	res := f()
	o := outcome{wall: time.Since(t0), cpu: cpuTime(syscall.RUSAGE_SELF) - c0}
	for _, r := range res {
		for _, d := range r.RTTs {
			o.rtts = append(o.rtts, float64(d)/float64(time.Millisecond))
		}
	}
	o.replies = len(o.rtts)
	return o
}

// medianRun is the median wall time and the median CPU time of the runs (each on its own),
// with every run's RTTs.
func medianRun(runs []outcome) outcome {
	var walls, cpus []time.Duration
	var o outcome
	for _, r := range runs {
		walls, cpus = append(walls, r.wall), append(cpus, r.cpu)
		o.rtts = append(o.rtts, r.rtts...)
	}
	slices.Sort(walls)
	slices.Sort(cpus)
	o.wall, o.cpu = walls[len(walls)/2], cpus[len(cpus)/2]
	o.replies = len(o.rtts) / len(runs)
	return o
}

// runsNote lists each run's CPU seconds, ours / fping.
func runsNote(ours, fp []outcome) string {
	var parts []string
	for i := range ours {
		parts = append(parts, fmt.Sprintf("%.2f/%.2f", ours[i].cpu.Seconds(), fp[i].cpu.Seconds()))
	}
	return fmt.Sprintf("medians of %d alternating runs (CPU s ours/fping per run: %s)", len(ours), strings.Join(parts, ", "))
}

func report(name string, n int, o outcome) {
	fmt.Printf("| %s | %d | %.2f | %.0f | %.2f | %d | %.3f |\n", name, n, o.wall.Seconds(), float64(n)/o.wall.Seconds(),
		o.cpu.Seconds(), o.replies, median(o.rtts))
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// runFping runs fping on the same targets as fast as it allows (-i 0 as root), -C count.
func runFping(targets []probe.Target, count int) (outcome, error) {
	var in bytes.Buffer
	for _, t := range targets {
		in.WriteString(t.Addr.String() + "\n")
	}
	cmd := exec.Command("fping", "-C", strconv.Itoa(count), "-q", "-p", "10", "-t", "1000", "-i", "0", "-r", "0")
	cmd.Stdin = &in
	var errb bytes.Buffer
	cmd.Stderr = &errb
	t0 := time.Now()
	err := cmd.Run()
	o := outcome{wall: time.Since(t0)}
	if cmd.ProcessState == nil {
		return o, err
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		o.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	sc := bufio.NewScanner(&errb)
	for sc.Scan() {
		_, vals, ok := strings.Cut(sc.Text(), " : ")
		if !ok {
			continue
		}
		for _, f := range strings.Fields(vals) {
			if v, err := strconv.ParseFloat(f, 64); err == nil {
				o.rtts = append(o.rtts, v)
			}
		}
	}
	o.replies = len(o.rtts)
	return o, nil // fping exits 1 when any target is unreachable; the reply count says it
}
