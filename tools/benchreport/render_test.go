package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/tools/benchreport/benchfile"
)

var update = flag.Bool("update", false, "rewrite testdata/BENCHMARKS.golden.md")

func TestShortfall(t *testing.T) {
	tests := []struct {
		name, target, measured, want string
	}{
		{"upper bound in the same unit", "≤ 10 ms", "36.6 ms (p50 1.22 ms)", "+26.6 ms (3.66×)"},
		{"upper bound across time units", "< 1 s", "1351 ms", "+351 ms (1.35×)"},
		{"upper bound with words after it", "< 30 s (the ping interval)", "41.5 s", "+11.5 s (1.38×)"},
		{"lower bound with separators", "≥ fping (3,996 targets/s)", "3,500 targets/s (fping 3,996)", "−496 targets/s (88 %)"},
		{"the matching quantity, not the first", "≤ 1.5× fping (≤ 0.98 CPU s)", "1.20 CPU s = 1.85× fping", "+0.22 CPU s (1.22×)"},
		{"bound met, missed elsewhere", "< 60 s, 0 skipped slots, ≥ 99 % of agents answer", "31.8 s (p50 31.2 s)", ""},
		{"no comparison", "O(1), never a row-by-row DELETE (#8)", "181.9 ms", ""},
		{"units that do not compare", "< 500 ms", "12 devices/s", ""},
		{"nothing measured", "< 1 s", "failed (exit 1)", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, shortfall(tc.target, tc.measured)); diff != "" {
				t.Errorf("shortfall(%q, %q) (-want +got):\n%s", tc.target, tc.measured, diff)
			}
		})
	}
}

func TestMetCell(t *testing.T) {
	tests := []struct {
		name string
		met  *bool
		want string
	}{
		{"no target", nil, "—"},
		{"met", benchfile.Met(true), "✓"},
		{"missed", benchfile.Met(false), "✗ +26.6 ms (3.66×)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, metCell(tc.met, "≤ 10 ms", "36.6 ms")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestRender renders the fixture result files (one of them broken) and compares with the
// golden file; `go test ./tools/benchreport -update` rewrites it after a deliberate change.
func TestRender(t *testing.T) {
	files, err := load(filepath.Join("testdata", "bench"))
	if err != nil {
		t.Fatal(err)
	}
	m := Machine{Cores: 2, MemoryGiB: 23.5, CPU: "Test CPU", Kernel: "6.1.0", Go: "go1.26.8"}
	var b strings.Builder
	if err := Render(&b, m, time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC), files); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "BENCHMARKS.golden.md")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test ./tools/benchreport -update writes it)", err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("BENCHMARKS.md (-want +got):\n%s", diff)
	}
}
