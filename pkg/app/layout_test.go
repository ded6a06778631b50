package app_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The binaries link production code only: nothing under testinfra/ (test infrastructure) or
// tools/ (benchmarks, generators, reports) is a dependency of cmd/..., and pkg/device, the
// shared vocabulary, depends on no other WardOps package.
func TestLayout(t *testing.T) {
	deps := func(pkgs ...string) []string {
		t.Helper()
		out, err := exec.Command("go", append([]string{"list", "-deps"}, pkgs...)...).Output()
		if err != nil {
			t.Fatalf("go list -deps %v: %v", pkgs, err)
		}
		return strings.Fields(string(out))
	}
	const mod = "github.com/wardops/wardops/"
	for _, p := range deps("../../cmd/...") {
		if strings.HasPrefix(p, mod+"testinfra/") || strings.HasPrefix(p, mod+"tools/") {
			t.Errorf("a binary links %s", p)
		}
	}
	for _, p := range deps("../device") {
		if strings.HasPrefix(p, mod) && p != mod+"pkg/device" {
			t.Errorf("pkg/device depends on %s", p)
		}
	}
}
