package probe

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// Spacing is a promise per target: when a round runs late (here the write of the last target's
// first request waits 15 ms, as on a busy shared socket), the next round's request to that target
// still leaves Spacing after its previous one, not at once (issue #20: 338 of 880 gaps were under
// 10 ms with the rounds scheduled at start + k×Spacing alone).
func TestSpacingHeldAfterALateRound(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs raw ICMP sockets (root or CAP_NET_RAW)") // testenv imports this package
	}
	e, err := NewEngine(EngineParams{})
	if err != nil {
		t.Fatalf("ICMP tests need root or CAP_NET_RAW: %v", err)
	}
	defer e.Close()
	const n, count, spacing = 20, 4, 10 * time.Millisecond
	var targets []Target
	for i := range n {
		targets = append(targets, Target{ID: int64(i + 1), Addr: netip.AddrFrom4([4]byte{127, 51, 0, byte(i + 1)})})
	}
	sends := make([][]time.Time, n)
	e.beforeSend = func(target, round int) {
		if target == n-1 && round == 0 {
			time.Sleep(15 * time.Millisecond)
		}
		sends[target] = append(sends[target], time.Now())
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	res := e.PingAll(ctx, targets, Options{Count: count, Spacing: spacing, Timeout: time.Second})
	var gaps []time.Duration
	for i, ts := range sends {
		if len(ts) != count || res[i].Received != count {
			t.Fatalf("target %d: %d sends, %d replies; want %d", i, len(ts), res[i].Received, count)
		}
		for k := 1; k < count; k++ {
			gaps = append(gaps, ts[k].Sub(ts[k-1]))
		}
	}
	// the hook runs just before the send time is taken: allow the few microseconds between them
	if low := slices.Min(gaps); low < spacing-200*time.Microsecond {
		t.Errorf("smallest gap between a target's requests %v; want ≥ %v", low, spacing)
	}
}
