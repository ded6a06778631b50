package worker

import (
	"math"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/device"
	"github.com/wardops/wardops/pkg/probe"
)

// A cycle's result: RTTs over the replies, jitter (population standard deviation) only from two
// replies on — one reply has no jitter, stored as null, not 0 — and nothing measured at total loss.
func TestToPingResult(t *testing.T) {
	ms := time.Millisecond
	slot := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name           string
		rtts           []time.Duration
		status         device.Status
		rttAvg, jitter float64 // NaN: nil
		wantLoss       float64
	}{
		{"three replies", []time.Duration{2 * ms, 4 * ms, 6 * ms}, device.Up, 4, math.Sqrt(8.0 / 3), 0},
		{"two replies", []time.Duration{5 * ms, 7 * ms}, device.Degraded, 6, 1, 100.0 / 3},
		{"one reply: no jitter", []time.Duration{5 * ms}, device.Degraded, 5, math.NaN(), 200.0 / 3},
		{"no reply", nil, device.Down, math.NaN(), math.NaN(), 100},
	}
	val := func(p *float64) float64 {
		if p == nil {
			return math.NaN()
		}
		return *p
	}
	same := func(a, b float64) bool { return math.IsNaN(a) && math.IsNaN(b) || math.Abs(a-b) < 1e-3 } // stored to the microsecond
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := toPingResult(probe.Result{ID: 1, Sent: 3, Received: len(tc.rtts), RTTs: tc.rtts, At: slot}, slot)
			if r.Status != tc.status || !same(val(r.RTTAvgMS), tc.rttAvg) || !same(val(r.JitterMS), tc.jitter) || !same(r.LossPct, tc.wantLoss) {
				t.Errorf("status %s avg %v jitter %v loss %v; want %s %v %v %v", r.Status, val(r.RTTAvgMS), val(r.JitterMS), r.LossPct,
					tc.status, tc.rttAvg, tc.jitter, tc.wantLoss)
			}
		})
	}
}
