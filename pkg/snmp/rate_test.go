package snmp

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func c32(v uint64) Counter { return Counter{Value: v, Width: 32} }
func c64(v uint64) Counter { return Counter{Value: v, Width: 64} }

func TestCounterRate(t *testing.T) {
	const gig = 1e9 * OverSpeedFactor / 8 // octets/s of a 1 Gb/s link, tolerance included
	tests := []struct {
		name       string
		in         RateInput
		wantRate   float64
		wantStatus RateStatus
	}{
		{"counter64 steady", RateInput{Prev: c64(1_000), Cur: c64(61_000), Interval: time.Minute, Max: gig}, 1000, RateOK},
		{"counter64 huge values", RateInput{Prev: c64(1<<63 + 5), Cur: c64(1<<63 + 605), Interval: time.Minute}, 10, RateOK},
		{"counter64 went back (reset without reboot)", RateInput{Prev: c64(5_000_000), Cur: c64(1_000), Interval: time.Minute, Max: gig}, 0, RateWentBack},
		{"counter32 steady", RateInput{Prev: c32(100), Cur: c32(700), Interval: time.Minute}, 10, RateOK},
		{"counter32 wrap", RateInput{Prev: c32(1<<32 - 600), Cur: c32(600), Interval: time.Minute, Max: gig}, 20, RateOK},
		{"counter32 wrap without speed", RateInput{Prev: c32(1<<32 - 60), Cur: c32(60), Interval: time.Minute}, 2, RateOK},
		{"counter32 went back, wrap implausible for the speed", RateInput{Prev: c32(4_000_000_000), Cur: c32(1), Interval: time.Second, Max: 1e6}, 0, RateWentBack},
		{"counter32 went back, wrap over half the range without speed", RateInput{Prev: c32(1_000_000_000), Cur: c32(3), Interval: time.Minute}, 0, RateWentBack},
		{"counter32 value above 32 bits", RateInput{Prev: c32(1 << 40), Cur: c32(5), Interval: time.Minute}, 0, RateWentBack},
		{"reset by reboot", RateInput{Prev: c64(1_000_000), Cur: c64(2_000_000), Interval: time.Minute, Reset: true}, 0, RateReset},
		{"reset by discontinuity while counter went up", RateInput{Prev: c32(10), Cur: c32(20), Interval: time.Minute, Reset: true}, 0, RateReset},
		{"zero interval", RateInput{Prev: c64(1), Cur: c64(2), Interval: 0}, 0, RateZeroInterval},
		{"clock went back", RateInput{Prev: c64(1), Cur: c64(2), Interval: -time.Second}, 0, RateZeroInterval},
		{"over speed dropped", RateInput{Prev: c64(0), Cur: c64(60 * 200_000_000), Interval: time.Minute, Max: gig}, 0, RateOverSpeed},
		{"at line rate kept", RateInput{Prev: c64(0), Cur: c64(60 * 125_000_000), Interval: time.Minute, Max: gig}, 125_000_000, RateOK},
		{"width changed 32 to 64", RateInput{Prev: c32(100), Cur: c64(200), Interval: time.Minute}, 0, RateWidthChanged},
		{"no previous", RateInput{Cur: c64(200), Interval: time.Minute}, 0, RateNoPrevious},
		{"missing now", RateInput{Prev: c64(200), Interval: time.Minute}, 0, RateMissing},
		{"unchanged counter", RateInput{Prev: c64(42), Cur: c64(42), Interval: time.Minute, Max: gig}, 0, RateOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, status := CounterRate(tc.in)
			if status != tc.wantStatus {
				t.Errorf("status = %v, want %v", status, tc.wantStatus)
			}
			if diff := cmp.Diff(tc.wantRate, got); diff != "" {
				t.Errorf("rate (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRebooted(t *testing.T) {
	const day = 24 * time.Hour
	ticks := func(d time.Duration) uint32 { return uint32(d / (10 * time.Millisecond)) }
	tests := []struct {
		name      string
		prev, cur uint32
		elapsed   time.Duration
		want      bool
	}{
		{"uptime grew", ticks(10 * day), ticks(10*day + time.Minute), time.Minute, false},
		{"uptime unchanged (agent caches it)", ticks(day), ticks(day), time.Minute, false},
		{"uptime went back: reboot", ticks(40 * day), ticks(3 * time.Minute), time.Minute, true},
		{"went back a little: reboot", ticks(time.Hour), ticks(time.Hour - time.Minute), time.Minute, true},
		{"32-bit TimeTicks wrap after 497 days", 1<<32 - 1 - ticks(30*time.Second), ticks(30 * time.Second), time.Minute, false},
		{"near the wrap but restarted", 1<<32 - 1 - ticks(30*time.Second), ticks(10 * day), time.Minute, true},
		{"went back with no elapsed time", ticks(time.Hour), ticks(time.Minute), 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Rebooted(tc.prev, tc.cur, tc.elapsed); got != tc.want {
				t.Errorf("Rebooted(%d, %d, %s) = %v, want %v", tc.prev, tc.cur, tc.elapsed, got, tc.want)
			}
		})
	}
}

// FuzzCounterRate checks the promise "never a spike": whatever the samples, a rate is either
// dropped or within Max, and never negative.
func FuzzCounterRate(f *testing.F) {
	f.Add(uint64(1<<32-600), uint64(600), uint8(32), uint8(32), int64(time.Minute), 1e8, false)
	f.Add(uint64(5), uint64(1), uint8(64), uint8(64), int64(time.Second), 0.0, false)
	f.Fuzz(func(t *testing.T, prev, cur uint64, pw, cw uint8, interval int64, max float64, reset bool) {
		in := RateInput{Prev: Counter{prev, pw}, Cur: Counter{cur, cw}, Interval: time.Duration(interval), Max: max, Reset: reset}
		r, s := CounterRate(in)
		if s != RateOK {
			if r != 0 {
				t.Fatalf("status %v with rate %v", s, r)
			}
			return
		}
		if r < 0 || (max > 0 && r > max) {
			t.Fatalf("rate %v outside [0, %v] for %+v", r, max, in)
		}
		if cur < prev && (cw != 32 || (max == 0 && (1<<32-prev)+cur >= 1<<31)) {
			t.Fatalf("decreasing counter gave a rate: %+v -> %v", in, r)
		}
	})
}
