package worker

import "github.com/wardops/wardops/pkg/store"

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
	// RecoverLossPct: back to up from degraded only when the loss over the last 2K-1 cycles
	// is at or below it (K=1: the cycle alone).
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

// Verdict decides a device's status from its previous status, the current cycle and the
// cycles before it (newest first; 2K-2 answered ones make a full window):
//
//   - all echoes of the current cycle lost: down — at once from up, unknown or down (an
//     outage shows within one cycle); from degraded only when the cycle before was lost too,
//     because one lost cycle is what a lossy link produces now and then;
//   - otherwise degraded when the loss over the last K answered cycles is above
//     DegradedLossPct; a degraded device stays degraded until the loss over the last 2K-1
//     answered cycles is at or below RecoverLossPct (hysteresis);
//   - otherwise up.
//
// Cycles with every echo lost are outages, shown as down, and are left out of the loss
// window, so a device that comes back clean after an outage is up, not degraded.
func Verdict(prev string, cur Cycle, history []Cycle, pol StatusPolicy) string {
	if pol.Window < 1 {
		pol.Window = 1
	}
	if lost(cur) {
		if prev == store.StatusDegraded && (len(history) == 0 || !lost(history[0])) {
			return store.StatusDegraded
		}
		return store.StatusDown
	}
	answered := make([]Cycle, 0, 2*pol.Window-1)
	answered = append(answered, cur)
	for _, c := range history {
		if len(answered) == 2*pol.Window-1 {
			break
		}
		if !lost(c) {
			answered = append(answered, c)
		}
	}
	if windowLoss(answered, pol.Window) > pol.DegradedLossPct {
		return store.StatusDegraded
	}
	if prev == store.StatusDegraded && windowLoss(answered, 2*pol.Window-1) > pol.RecoverLossPct {
		return store.StatusDegraded
	}
	return store.StatusUp
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
