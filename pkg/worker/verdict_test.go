package worker

import (
	"math/rand/v2"
	"testing"

	"github.com/wardops/wardops/pkg/store"
)

// run feeds cycles through Verdict as the handler does (history newest first, from the
// results stored before) and returns the statuses and the number of status changes.
func run(start string, cycles []Cycle, pol StatusPolicy) ([]string, int) {
	prev, changes := start, 0
	var hist []Cycle
	out := make([]string, 0, len(cycles))
	for _, c := range cycles {
		st := Verdict(prev, c, hist, pol)
		if st != prev {
			changes++
		}
		out = append(out, st)
		prev = st
		hist = append([]Cycle{c}, hist...)
		if len(hist) > 2*pol.Window-1 {
			hist = hist[:2*pol.Window-1]
		}
	}
	return out, changes
}

// lossy returns n cycles of 3 echoes, each lost with probability p (seeded: reproducible).
func lossy(n int, p float64, seed uint64) []Cycle {
	r := rand.New(rand.NewPCG(seed, seed))
	out := make([]Cycle, n)
	for i := range out {
		out[i].Sent = 3
		for e := 0; e < 3; e++ {
			if r.Float64() >= p {
				out[i].Received++
			}
		}
	}
	return out
}

func repeat(c Cycle, n int) []Cycle {
	out := make([]Cycle, n)
	for i := range out {
		out[i] = c
	}
	return out
}

func TestVerdictSteadyLossDoesNotFlap(t *testing.T) {
	pol := policyOf(nil) // K=5, degraded above 0%, up at 0% over 10 cycles
	for seed := uint64(1); seed <= 20; seed++ {
		_, changes := run(store.StatusUp, lossy(120, 1.0/3, seed), pol)
		if changes > 2 {
			t.Errorf("seed %d: 33%% random loss over 120 cycles made %d status changes, want ≤ 2", seed, changes)
		}
	}
	// one reply in three lost, every cycle (the deterministic pattern)
	_, changes := run(store.StatusUp, repeat(Cycle{Sent: 3, Received: 2}, 120), pol)
	if changes != 1 {
		t.Errorf("steady 1-of-3 loss: %d changes, want 1 (up → degraded)", changes)
	}
}

func TestVerdict(t *testing.T) {
	clean, partial, dead := Cycle{Sent: 3, Received: 3}, Cycle{Sent: 3, Received: 2}, Cycle{Sent: 3}
	cat := func(parts ...[]Cycle) []Cycle {
		var out []Cycle
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name   string
		start  string
		cycles []Cycle
		pol    StatusPolicy
		want   []string // the statuses at the indexes listed in at
		at     []int
	}{
		{name: "total loss from up is down in one cycle", start: "up", cycles: cat(repeat(clean, 5), repeat(dead, 3)),
			pol: policyOf(nil), at: []int{4, 5, 7}, want: []string{"up", "down", "down"}},
		{name: "total loss from unknown is down", start: "", cycles: []Cycle{dead}, pol: policyOf(nil),
			at: []int{0}, want: []string{"down"}},
		{name: "outage of a lossy device is down in two cycles", start: "up", cycles: cat(repeat(partial, 5), repeat(dead, 2)),
			pol: policyOf(nil), at: []int{4, 5, 6}, want: []string{"degraded", "degraded", "down"}},
		{name: "back clean after an outage is up at once", start: "up", cycles: cat(repeat(clean, 5), repeat(dead, 4), repeat(clean, 2)),
			pol: policyOf(nil), at: []int{8, 9, 10}, want: []string{"down", "up", "up"}},
		{name: "recovery needs 2K-1 clean cycles", start: "up", cycles: cat(repeat(partial, 3), repeat(clean, 9)),
			pol: policyOf(nil), at: []int{2, 7, 10, 11}, want: []string{"degraded", "degraded", "degraded", "up"}},
		{name: "threshold: 10% over the window is not degraded at 20%", start: "up",
			cycles: cat(repeat(clean, 4), []Cycle{{Sent: 10, Received: 7}}, repeat(clean, 5)),
			pol:    StatusPolicy{Window: 5, DegradedLossPct: 20, RecoverLossPct: 10}, at: []int{3, 4}, want: []string{"up", "up"}},
		{name: "window 1 is the per-cycle verdict", start: "up", cycles: []Cycle{clean, partial, clean},
			pol: StatusPolicy{Window: 1}, at: []int{0, 1, 2}, want: []string{"up", "degraded", "up"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := run(tc.start, tc.cycles, tc.pol)
			for i, at := range tc.at {
				if got[at] != tc.want[i] {
					t.Errorf("cycle %d: status %q, want %q (all: %v)", at, got[at], tc.want[i], got)
				}
			}
		})
	}
}
