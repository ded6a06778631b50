package worker

import (
	"math"

	"github.com/wardops/wardops/pkg/device"
	"github.com/wardops/wardops/pkg/store"
)

// Cycle is one ping cycle of a device: echoes sent and replies received.
type Cycle = store.PingCycle

// lost reports whether every echo of the cycle was lost (or none was sent).
func lost(c Cycle) bool { return c.Received <= 0 }

// StatusPolicy is how a profile turns ping cycles into a status (docs/status.md).
type StatusPolicy struct {
	// Window is K, the cycles the degraded verdict is taken over (1: the cycle alone).
	Window int
	// DegradedLossPct: degraded when the loss over the last K cycles is above it.
	DegradedLossPct float64
	// RecoverLossPct: back to up from degraded only when the loss over the last 3K answered
	// cycles is at or below it (K=1: the cycle alone).
	RecoverLossPct float64
}

// DefaultWindowCycles is K when a profile does not set one.
const DefaultWindowCycles = 5

// policyOf returns the status policy of a profile (nil: the defaults).
func policyOf(p *store.Profile) StatusPolicy {
	pol := StatusPolicy{Window: DefaultWindowCycles}
	if p == nil {
		return pol
	}
	pol.DegradedLossPct = p.DegradedLossPct
	pol.RecoverLossPct = p.DegradedLossPct / 2
	if p.WindowCycles > 0 {
		pol.Window = p.WindowCycles
	}
	if p.RecoverLossPct != nil {
		pol.RecoverLossPct = *p.RecoverLossPct
	}
	return pol
}

// recoverWindow is how many answered cycles the recovery from degraded is judged over: 3K
// (K = 1: the cycle alone). With the defaults a link that keeps 33 % loss brings back 15
// clean cycles in a row with a chance of 0.67⁴⁵ ≈ 10⁻⁸ per cycle.
func (pol StatusPolicy) recoverWindow() int {
	if pol.Window <= 1 {
		return 1
	}
	return 3 * pol.Window
}

// HistoryCycles is how many cycles before the current one Verdict needs, so that the
// recovery window and the run of lost cycles fit.
func (pol StatusPolicy) HistoryCycles() int {
	return max(pol.recoverWindow(), pol.Window) - 1 + pol.Window
}

// FalseDownPerCycle is the chance per cycle, at most, that a degraded device whose link keeps
// its measured loss is called down: a lossy link loses every echo of a cycle now and then, and
// a degraded device goes down only after as many lost cycles in a row as make that chance this
// small (once in 10⁸ cycles: about once a century per device at 30 s cycles).
const FalseDownPerCycle = 1e-8

// Verdict decides a device's status from its previous status, the current cycle and the
// cycles before it (newest first; HistoryCycles of them make a full window):
//
//   - all echoes of the current cycle lost: down — at once from up, unknown or down (an
//     outage shows within one cycle); from degraded only after lostRun lost cycles in a row,
//     because a lossy link loses a whole cycle now and then (docs/STATUS.md);
//   - otherwise degraded when the loss over the last K answered cycles is above
//     DegradedLossPct; a degraded device stays degraded until the loss over the last 3K
//     answered cycles is at or below RecoverLossPct (hysteresis);
//   - otherwise up.
//
// Cycles with every echo lost are outages, shown as down, and are left out of the loss
// window, so a device that comes back clean after an outage is up, not degraded.
func Verdict(prev device.Status, cur Cycle, history []Cycle, pol StatusPolicy) device.Status {
	if pol.Window < 1 {
		pol.Window = 1
	}
	rw := pol.recoverWindow()
	answered := make([]Cycle, 0, rw)
	if !lost(cur) {
		answered = append(answered, cur)
	}
	for _, c := range history {
		if len(answered) == max(rw, pol.Window) {
			break
		}
		if !lost(c) {
			answered = append(answered, c)
		}
	}
	if lost(cur) {
		if prev == device.Degraded {
			run := 1
			for _, c := range history {
				if !lost(c) {
					break
				}
				run++
			}
			if run < lostRun(windowLoss(answered, rw)/100, cur.Sent, pol.Window) {
				return device.Degraded
			}
		}
		return device.Down
	}
	if windowLoss(answered, pol.Window) > pol.DegradedLossPct {
		return device.Degraded
	}
	if prev == device.Degraded && windowLoss(answered, rw) > pol.RecoverLossPct {
		return device.Degraded
	}
	return device.Up
}

// lostRun is how many lost cycles in a row make a degraded device down: the fewest n for which
// a link losing the fraction p of its echoes loses all echoes of n cycles in a row with a
// chance of at most FalseDownPerCycle ((p^echoes)^n), between 2 and the window K (K = 1: 1).
// 33 % loss with 3 echoes needs K (5 by default); 10 % loss with 3 echoes, 3; 10 % with 10
// echoes, 2.
func lostRun(p float64, echoes, window int) int {
	if window <= 1 {
		return 1
	}
	q := math.Pow(p, float64(max(echoes, 1))) // the chance that one cycle is lost
	n := 2
	for n < window && math.Pow(q, float64(n)) > FalseDownPerCycle {
		n++
	}
	return n
}

// windowLoss is the loss percent over the first n cycles.
func windowLoss(cs []Cycle, n int) float64 {
	sent, recv := 0, 0
	for i, c := range cs {
		if i == n {
			break
		}
		sent, recv = sent+c.Sent, recv+c.Received
	}
	if sent == 0 {
		return 0
	}
	return 100 * float64(sent-recv) / float64(sent)
}
