// Command snmpbench measures one worker's SNMP polling against simulated devices (snmpsim,
// see scripts/bench-snmp.sh): the WardOps poller with 50 devices at a time, then the same
// walks done by net-snmp's command-line tools, 50 devices in parallel and one at a time, as the
// yardstick. It prints devices per second, the wall time of the cycle and the CPU spent.
//
//	go run ./tools/snmpbench -devices 1000 -endpoints 127.0.0.1:11262,127.0.0.1:11263
//
// The net-snmp yardstick uses the same max-repetitions and one snmpget for the system group,
// then (snmpbulkwalk walks one subtree per process), with -netsnmp-mode:
//   - tables (default): one snmpbulkwalk per table — ifTable, ifXTable, hrProcessorLoad,
//     hrStorageTable — the usual script; it fetches whole tables (more values than needed);
//   - columns: one snmpbulkwalk per column the poller reads — exactly the same values, one
//     process each.
//
// net-snmp runs on -netsnmp-devices devices (parallel) and -sequential-sample devices (one at a
// time); their cycle times are extrapolated to -devices.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wardops/wardops/pkg/snmp"
	"github.com/wardops/wardops/pkg/snmp/simdata"
)

type config struct {
	devices     int
	concurrency int
	endpoints   []string
	maxRep      int
	timeout     time.Duration
	seqSample   int
	netsnmpN    int
	netsnmp     bool
	mode        string
	simPIDs     []int
}

func main() { os.Exit(run()) }

func run() int {
	var c config
	var eps string
	flag.IntVar(&c.devices, "devices", 1000, "simulated devices to poll (communities sim-0001...)")
	flag.IntVar(&c.concurrency, "concurrency", 50, "devices polled at once (one worker's concurrency)")
	flag.StringVar(&eps, "endpoints", "127.0.0.1:11262", "snmpsimd endpoints, comma separated; devices are spread over them")
	flag.IntVar(&c.maxRep, "max-repetitions", snmp.DefaultMaxRepetitions, "GetBulk max-repetitions")
	flag.DurationVar(&c.timeout, "timeout", 10*time.Second, "per-request timeout")
	flag.IntVar(&c.seqSample, "sequential-sample", 50, "devices walked one at a time by net-snmp (extrapolated to -devices)")
	flag.BoolVar(&c.netsnmp, "netsnmp", true, "also run the net-snmp yardstick")
	flag.IntVar(&c.netsnmpN, "netsnmp-devices", 200, "devices walked by net-snmp in parallel (extrapolated to -devices)")
	flag.StringVar(&c.mode, "netsnmp-mode", "tables", "net-snmp walks: tables or columns")
	pids := flag.String("sim-pids", "", "snmpsimd process ids, comma separated: reports the simulator's CPU too")
	flag.Parse()
	c.endpoints = strings.Split(eps, ",")
	for _, p := range strings.Split(*pids, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(p)); err == nil {
			c.simPIDs = append(c.simPIDs, n)
		}
	}
	fmt.Printf("SNMP benchmark: %d simulated devices (%d interfaces each) on %d snmpsimd endpoint(s), max-repetitions %d, concurrency %d\n",
		c.devices, simdata.DefaultInterfaces, len(c.endpoints), c.maxRep, c.concurrency)

	// Warm-up: every device once (snmpsimd opens its data files on first use).
	if _, err := pollAll(c, c.devices); err != nil {
		fmt.Fprintln(os.Stderr, "snmpbench: warm-up:", err)
		return 1
	}
	res, err := pollAll(c, c.devices)
	if err != nil {
		fmt.Fprintln(os.Stderr, "snmpbench:", err)
		return 1
	}
	res.print("wardops poller (gosnmp)", c.devices)
	if !c.netsnmp {
		return 0
	}
	if _, err := exec.LookPath("snmpbulkwalk"); err != nil {
		fmt.Fprintln(os.Stderr, "snmpbench: snmpbulkwalk not found (scripts/snmp.sh install)")
		return 1
	}
	n := min(c.netsnmpN, c.devices)
	netsnmpAll(c, n, c.concurrency).print(fmt.Sprintf("net-snmp snmpbulkwalk (%s), %d in parallel (%d devices, extrapolated)", c.mode, c.concurrency, n), c.devices)
	n = min(c.seqSample, c.devices)
	netsnmpAll(c, n, 1).print(fmt.Sprintf("net-snmp snmpbulkwalk (%s), sequential (%d devices, extrapolated)", c.mode, n), c.devices)
	return 0
}

// result is one measured run.
type result struct {
	devices  int
	failed   int64
	wall     time.Duration
	cpu      time.Duration
	simCPU   time.Duration
	requests int64
	firstErr error
}

func (r result) print(name string, cycle int) {
	rate := float64(r.devices) / r.wall.Seconds()
	fmt.Printf("\n%s\n", name)
	fmt.Printf("  polled %d devices in %.2f s = %.1f devices/s, failed %d", r.devices, r.wall.Seconds(), rate, r.failed)
	if r.firstErr != nil {
		fmt.Printf(" (first error: %v)", r.firstErr)
	}
	fmt.Printf("\n  %d-device cycle: %.1f s wall", cycle, float64(cycle)/rate)
	fmt.Printf("; CPU %.2f s = %.2f ms per device", r.cpu.Seconds(), float64(r.cpu.Microseconds())/1000/float64(r.devices))
	if r.requests > 0 {
		fmt.Printf("; %.1f SNMP requests per device", float64(r.requests)/float64(r.devices))
	}
	if r.simCPU > 0 {
		fmt.Printf("\n  simulator (snmpsimd) CPU %.2f s = %.2f ms per device", r.simCPU.Seconds(), float64(r.simCPU.Microseconds())/1000/float64(r.devices))
	}
	fmt.Println()
}

func target(c config, i int) snmp.Target {
	host, port, _ := net.SplitHostPort(c.endpoints[(i-1)%len(c.endpoints)])
	p, _ := strconv.Atoi(port)
	set := snmp.Settings{Version: snmp.Version2c, Community: snmp.NewSecret(simdata.Name("sim", i)), Host: host, Port: p,
		Timeout: c.timeout, Retries: 1, MaxRepetitions: c.maxRep}
	return snmp.TargetFor(netip.Addr{}, set)
}

// pollAll polls devices 1..n with the WardOps poller, c.concurrency at a time, and runs the
// rate math on each reading as a worker does.
func pollAll(c config, n int) (result, error) {
	p := snmp.NewPoller()
	res := result{devices: n}
	var mu sync.Mutex
	var failed, reqs atomic.Int64
	sem := make(chan struct{}, c.concurrency)
	var wg sync.WaitGroup
	cpu0, sim0 := cpuTime(syscall.RUSAGE_SELF), procsCPU(c.simPIDs)
	start := time.Now()
	for i := 1; i <= n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), snmp.DefaultDeviceBudget)
			defer cancel()
			r, err := p.Poll(ctx, target(c, i), nil)
			if err != nil {
				failed.Add(1)
				mu.Lock()
				if res.firstErr == nil {
					res.firstErr = err
				}
				mu.Unlock()
				return
			}
			snmp.Evaluate(nil, r)
			reqs.Add(int64(r.Requests))
		}(i)
	}
	wg.Wait()
	res.wall = time.Since(start)
	res.cpu, res.simCPU = cpuTime(syscall.RUSAGE_SELF)-cpu0, procsCPU(c.simPIDs)-sim0
	res.failed, res.requests = failed.Load(), reqs.Load()
	if res.failed == int64(n) {
		return res, fmt.Errorf("every poll failed: %w (is snmpsim running? scripts/bench-snmp.sh starts it)", res.firstErr)
	}
	return res, nil
}

// Columns the poller walks (see pkg/snmp/mib.go), walked by net-snmp one per process.
var columns = []string{
	"1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.2.2.1.5", "1.3.6.1.2.1.2.2.1.7", "1.3.6.1.2.1.2.2.1.8",
	"1.3.6.1.2.1.2.2.1.13", "1.3.6.1.2.1.2.2.1.14", "1.3.6.1.2.1.2.2.1.19", "1.3.6.1.2.1.2.2.1.20",
	"1.3.6.1.2.1.31.1.1.1.1", "1.3.6.1.2.1.31.1.1.1.6", "1.3.6.1.2.1.31.1.1.1.10", "1.3.6.1.2.1.31.1.1.1.15",
	"1.3.6.1.2.1.31.1.1.1.18", "1.3.6.1.2.1.31.1.1.1.19", "1.3.6.1.2.1.25.3.3.1.2", "1.3.6.1.2.1.25.2.3.1.2",
	"1.3.6.1.2.1.25.2.3.1.4", "1.3.6.1.2.1.25.2.3.1.5", "1.3.6.1.2.1.25.2.3.1.6",
}

var legacyColumns = []string{"1.3.6.1.2.1.2.2.1.10", "1.3.6.1.2.1.2.2.1.16"}

// tables are the subtrees a table-per-process script walks for the same data.
var tables = []string{"1.3.6.1.2.1.2.2", "1.3.6.1.2.1.31.1.1", "1.3.6.1.2.1.25.3.3.1.2", "1.3.6.1.2.1.25.2.3"}

// netsnmpAll walks devices 1..n with net-snmp tools, par devices at a time.
func netsnmpAll(c config, n, par int) result {
	res := result{devices: n}
	var failed atomic.Int64
	var mu sync.Mutex
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	cpu0, sim0 := cpuTime(syscall.RUSAGE_CHILDREN), procsCPU(c.simPIDs)
	start := time.Now()
	for i := 1; i <= n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := netsnmpDevice(c, i); err != nil {
				failed.Add(1)
				mu.Lock()
				if res.firstErr == nil {
					res.firstErr = err
				}
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	res.wall = time.Since(start)
	res.cpu, res.simCPU = cpuTime(syscall.RUSAGE_CHILDREN)-cpu0, procsCPU(c.simPIDs)-sim0
	res.failed = failed.Load()
	return res
}

func netsnmpDevice(c config, i int) error {
	ep := c.endpoints[(i-1)%len(c.endpoints)]
	community := simdata.Name("sim", i)
	common := []string{"-On", "-v2c", "-c", community, "-t", strconv.FormatFloat(c.timeout.Seconds(), 'f', -1, 64), "-r", "1"}
	get := append(append([]string{}, common...), ep, "1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.2.0", "1.3.6.1.2.1.1.3.0",
		"1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.25.1.1.0")
	if err := tool("snmpget", get); err != nil {
		return err
	}
	cols := tables
	if c.mode == "columns" {
		cols = columns
		if simdata.IsLegacy(i) {
			cols = append(append([]string{}, columns...), legacyColumns...)
		}
	}
	for _, col := range cols {
		args := append(append([]string{}, common...), "-Cr"+strconv.Itoa(c.maxRep), ep, col)
		if err := tool("snmpbulkwalk", args); err != nil {
			return err
		}
	}
	return nil
}

func tool(name string, args []string) error {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "MIBS=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

func cpuTime(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procsCPU sums user+system CPU of processes from /proc/<pid>/stat (clock ticks of 10 ms).
func procsCPU(pids []int) time.Duration {
	var total time.Duration
	for _, pid := range pids {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // fields from 3 (state) on
		if len(f) < 13 {
			continue
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		total += time.Duration(ut+st) * 10 * time.Millisecond
	}
	return total
}
