// Command benchreport renders BENCHMARKS.md from the result files run/bench/*.json
// ($WARDOPS_RUN_DIR/bench when set) that every bench writes, to standard output:
//
//	go run ./tools/benchreport > BENCHMARKS.md      (go tool task bench:report)
//	go run ./tools/benchreport fail -bench NAME …   (records a failed bench; see failCmd)
//
// A file that cannot be read becomes a row that says so, so a broken bench is never silently
// left out of the report.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/wardops/wardops/tools/benchreport/benchfile"
)

func main() { os.Exit(run()) }

func run() int {
	if len(os.Args) > 1 && os.Args[1] == "fail" {
		return failCmd(os.Args[2:])
	}
	dir := flag.String("dir", benchfile.Dir(), "directory of the result files")
	flag.Parse()
	files, err := load(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		return 1
	}
	if len(files) == 0 {
		fmt.Fprintf(os.Stderr, "benchreport: no result files in %s (run go tool task bench first)\n", *dir)
		return 1
	}
	if err := Render(os.Stdout, machine(), time.Now(), files); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		return 1
	}
	return 0
}

// load reads every *.json of dir; an unreadable one becomes a failed row.
func load(dir string) ([]benchfile.File, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var files []benchfile.File
	for _, p := range paths {
		f, err := benchfile.Read(p)
		if err != nil {
			name := strings.TrimSuffix(filepath.Base(p), ".json")
			f = benchfile.File{Bench: name, Command: "go tool task bench:" + name, Rows: []benchfile.Row{{
				Figure: name + " benchmark", Target: "a readable result file", Measured: "unreadable",
				Met: benchfile.Met(false), Note: err.Error()}}}
		}
		files = append(files, f)
	}
	return files, nil
}

// machine describes this machine from /proc and the Go runtime.
func machine() Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	m.CPU = procField("/proc/cpuinfo", "model name")
	if kb := procField("/proc/meminfo", "MemTotal"); kb != "" {
		if n, err := strconv.ParseFloat(strings.Fields(kb)[0], 64); err == nil {
			m.MemoryGiB = n / (1 << 20)
		}
	}
	return m
}

// procField is the value of the first "key: value" line of key in a /proc file.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
