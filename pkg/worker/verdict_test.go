package worker

import (
	"math/rand/v2"
	"testing"

	"github.com/wardops/wardops/pkg/device"
	"github.com/wardops/wardops/pkg/store"
)

// run feeds cycles through Verdict as the handler does (history newest first, from the
// results stored before) and returns the statuses and the number of status changes.
func run(start device.Status, cycles []Cycle, pol StatusPolicy) ([]device.Status, int) {
	prev, changes := start, 0
	var hist []Cycle
	out := make([]device.Status, 0, len(cycles))
	for _, c := range cycles {
		st := Verdict(prev, c, hist, pol)
		if st != prev {
			changes++
		}
		out = append(out, st)
		prev = st
		hist = append([]Cycle{c}, hist...)
		if len(hist) > pol.HistoryCycles() {
			hist = hist[:pol.HistoryCycles()]
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
	pol := policyOf(nil) // K=5, degraded above 0%, up at 0% over 15 answered cycles
	// 500 device-hours of 30 s cycles: 10 cycles to settle (the first fully lost cycle of an
	// up device is an outage until its loss is known: up → down → up → degraded at worst),
	// then an hour of 120 cycles with at most 2 status changes.
	hist := map[int]int{}
	for seed := uint64(1); seed <= 500; seed++ {
		st, _ := run(store.StatusUp, lossy(130, 1.0/3, seed), pol)
		changes := 0
		for i := 10; i < len(st); i++ {
			if st[i] != st[i-1] {
				changes++
			}
		}
		hist[changes]++
		if changes > 2 || st[len(st)-1] != store.StatusDegraded {
			t.Errorf("seed %d: 33%% random loss made %d status changes in the hour after settling, ends %q; want ≤ 2, degraded", seed, changes, st[len(st)-1])
		}
	}
	t.Logf("device-hours by status changes in the hour: %v", hist)
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
		{name: "outage of a 33% lossy device is down after K lost cycles", start: "up", cycles: cat(repeat(partial, 5), repeat(dead, 5)),
			pol: policyOf(nil), at: []int{4, 5, 8, 9}, want: []string{"degraded", "degraded", "degraded", "down"}},
		{name: "outage of a lightly lossy device (10% of 10 echoes) is down after two lost cycles", start: "up",
			cycles: cat(repeat(Cycle{Sent: 10, Received: 9}, 5), repeat(Cycle{Sent: 10}, 2)),
			pol:    policyOf(nil), at: []int{4, 5, 6}, want: []string{"degraded", "degraded", "down"}},
		{name: "a lossy device losing one cycle stays degraded", start: "up", cycles: cat(repeat(partial, 5), []Cycle{dead}, repeat(partial, 3)),
			pol: policyOf(nil), at: []int{5, 8}, want: []string{"degraded", "degraded"}},
		{name: "back clean after an outage is up at once", start: "up", cycles: cat(repeat(clean, 5), repeat(dead, 4), repeat(clean, 2)),
			pol: policyOf(nil), at: []int{8, 9, 10}, want: []string{"down", "up", "up"}},
		{name: "recovery needs 3K clean cycles", start: "up", cycles: cat(repeat(partial, 3), repeat(clean, 15)),
			pol: policyOf(nil), at: []int{2, 7, 16, 17}, want: []string{"degraded", "degraded", "degraded", "up"}},
		{name: "threshold: 10% over the window is not degraded at 20%", start: "up",
			cycles: cat(repeat(clean, 4), []Cycle{{Sent: 10, Received: 7}}, repeat(clean, 5)),
			pol:    StatusPolicy{Window: 5, DegradedLossPct: 20, RecoverLossPct: 10}, at: []int{3, 4}, want: []string{"up", "up"}},
		{name: "window 1 is the per-cycle verdict", start: "up", cycles: []Cycle{clean, partial, clean},
			pol: StatusPolicy{Window: 1}, at: []int{0, 1, 2}, want: []string{"up", "degraded", "up"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := run(device.Status(tc.start), tc.cycles, tc.pol)
			for i, at := range tc.at {
				if string(got[at]) != tc.want[i] {
					t.Errorf("cycle %d: status %q, want %q (all: %v)", at, got[at], tc.want[i], got)
				}
			}
		})
	}
}

func TestLostRun(t *testing.T) {
	tests := []struct {
		p              float64
		echoes, window int
		want           int
	}{
		{p: 0, echoes: 3, window: 5, want: 2},
		{p: 0.1, echoes: 3, window: 5, want: 3},
		{p: 0.1, echoes: 10, window: 5, want: 2},
		{p: 1.0 / 3, echoes: 3, window: 5, want: 5},
		{p: 1.0 / 3, echoes: 3, window: 10, want: 6},
		{p: 0.5, echoes: 3, window: 1, want: 1},
	}
	for _, tc := range tests {
		if got := lostRun(tc.p, tc.echoes, tc.window); got != tc.want {
			t.Errorf("lostRun(%v, %d, %d) = %d, want %d", tc.p, tc.echoes, tc.window, got, tc.want)
		}
	}
}
