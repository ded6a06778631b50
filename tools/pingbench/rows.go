package main

import (
	"fmt"

	"github.com/wardops/wardops/tools/benchreport/benchfile"
)

// maxCPURatio is issue #9's bound on our CPU against fping's.
const maxCPURatio = 1.5

// rows are the figures of the run against issue #9's target: throughput ≥ fping's at no
// more than 1.5× its CPU, and the agreement of median RTTs.
func rows(n, count int, ours, fp outcome, pb *outcome, runs string) []benchfile.Row {
	what := fmt.Sprintf("%s loopback targets × %d echoes", commas(n), count)
	tps := func(o outcome) float64 { return float64(n) / o.wall.Seconds() }
	note := fmt.Sprintf("same run, our engine first; %d vs %d replies a run; %s", ours.replies, fp.replies, runs)
	thrMet := tps(ours) >= tps(fp)
	thrNote := note
	if !thrMet {
		thrNote = fmt.Sprintf("missed by %s targets/s (%.0f %% of fping); %s", commas(int(tps(fp)-tps(ours))), 100*tps(ours)/tps(fp), note)
	}
	limit := maxCPURatio * fp.cpu.Seconds()
	cpuMet := ours.cpu.Seconds() <= limit
	cpuNote := note
	if !cpuMet {
		cpuNote = fmt.Sprintf("missed by %.2f CPU s (%.2f× fping's CPU); %s", ours.cpu.Seconds()-limit, ours.cpu.Seconds()/fp.cpu.Seconds(), note)
	}
	out := []benchfile.Row{{
		Figure:   "ping engine throughput, " + what,
		Target:   fmt.Sprintf("≥ fping (%s targets/s)", commas(int(tps(fp)))),
		Measured: fmt.Sprintf("%s targets/s (fping %s)", commas(int(tps(ours))), commas(int(tps(fp)))),
		Met:      benchfile.Met(thrMet), Note: thrNote,
	}, {
		Figure:   "ping engine CPU, " + what,
		Target:   fmt.Sprintf("≤ 1.5× fping (≤ %.2f CPU s)", limit),
		Measured: fmt.Sprintf("%.2f CPU s = %.2f× fping (%.2f s)", ours.cpu.Seconds(), ours.cpu.Seconds()/max(fp.cpu.Seconds(), 1e-9), fp.cpu.Seconds()),
		Met:      benchfile.Met(cpuMet), Note: cpuNote,
	}, {
		Figure:   "median RTT, ours vs fping, same targets",
		Target:   "— (agreement)",
		Measured: fmt.Sprintf("%.3f vs %.3f ms", median(ours.rtts), median(fp.rtts)),
	}}
	if pb != nil {
		out = append(out, benchfile.Row{Figure: "pro-bing engine (a socket per target), " + what, Target: "—",
			Measured: fmt.Sprintf("%s targets/s, %.2f CPU s", commas(int(tps(*pb))), pb.cpu.Seconds())})
	}
	return out
}

func commas(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + commas(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
