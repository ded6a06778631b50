// Package benchfile is the machine-readable result of one benchmark: the JSON file
// run/bench/<bench>.json that every bench task writes beside what it prints, and that
// tools/benchreport renders into BENCHMARKS.md. Shell benches write the same shape through
// scripts/bench-lib.sh.
package benchfile

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// File is one bench's results.
type File struct {
	// Bench names the bench ("api", "retention", …); the file is <Bench>.json.
	Bench string `json:"bench"`
	// Command reproduces it, e.g. "go tool task bench:api".
	Command string `json:"command"`
	// Date is when it ran (RFC 3339 UTC); optional.
	Date string `json:"date,omitempty"`
	// Load is the 1-minute load average at its start and end, "0.4 → 1.2"; optional.
	Load string `json:"load,omitempty"`
	// Rows are its figures.
	Rows []Row `json:"rows"`
}

// Row is one figure.
type Row struct {
	Figure   string `json:"figure"`
	Target   string `json:"target"`
	Measured string `json:"measured"`
	// Met is nil where the figure has no target.
	Met  *bool  `json:"met"`
	Note string `json:"note"`
}

// Met returns a pointer to v, for Row.Met.
func Met(v bool) *bool { return &v }

// Dir is the directory of the result files: $WARDOPS_RUN_DIR/bench, or run/bench under the
// working directory (the repository root when run by go tool task).
func Dir() string {
	if d := os.Getenv("WARDOPS_RUN_DIR"); d != "" {
		return filepath.Join(d, "bench")
	}
	return filepath.Join("run", "bench")
}

// Path is the result file of bench name.
func Path(name string) string { return filepath.Join(Dir(), name+".json") }

// Write writes f to path (creating its directory) through a temporary file, so a reader never
// sees half a file.
func Write(path string, f File) error {
	if f.Rows == nil {
		f.Rows = []Row{}
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encode bench %s: %w", f.Bench, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write bench %s: %w", f.Bench, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write bench %s: %w", f.Bench, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write bench %s: %w", f.Bench, err)
	}
	return nil
}

// Read reads one result file.
func Read(path string) (File, error) {
	var f File
	b, err := os.ReadFile(path)
	if err != nil {
		return f, fmt.Errorf("read bench file: %w", err)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("decode bench file %s: %w", path, err)
	}
	if f.Bench == "" {
		f.Bench = strings.TrimSuffix(filepath.Base(path), ".json")
	}
	return f, nil
}

// LoadAvg is the 1-minute load average from /proc/loadavg ("?" where unreadable).
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

// Now is the date field for a run starting now.
func Now() string { return time.Now().UTC().Format(time.RFC3339) }
