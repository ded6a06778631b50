package snmp

import (
	"time"
)

// OverSpeedFactor is how far above the interface speed a traffic rate may be before it is
// dropped as impossible: poll timing jitter and agents that sample counters late make a
// saturated link read a little above line rate.
const OverSpeedFactor = 1.10

// ticksPerSecond is the TimeTicks unit (hundredths of a second).
const ticksPerSecond = 100

// RateStatus says whether a rate was computed and, if not, why.
type RateStatus uint8

// Rate statuses. Every status but RateOK means "no rate this time" — never a spike.
const (
	// RateOK: the rate is valid.
	RateOK RateStatus = iota
	// RateMissing: the agent did not return the counter this time.
	RateMissing
	// RateNoPrevious: first sample of this counter.
	RateNoPrevious
	// RateZeroInterval: no time passed between the samples (or the clock went back).
	RateZeroInterval
	// RateReset: the device rebooted or the interface reported a counter discontinuity.
	RateReset
	// RateWidthChanged: the counter switched between 32 and 64 bits.
	RateWidthChanged
	// RateWentBack: the counter decreased and it was not a 32-bit wrap — a reset without
	// reboot or discontinuity report (e.g. a line card reset).
	RateWentBack
	// RateOverSpeed: the rate is above the plausible maximum (the interface speed): dropped
	// and counted.
	RateOverSpeed
)

// String names the status for logs and metrics.
func (s RateStatus) String() string {
	return [...]string{"ok", "missing", "no_previous", "zero_interval", "reset", "width_changed", "went_back", "over_speed"}[s]
}

// RateInput is one counter's two consecutive samples and what is known around them.
type RateInput struct {
	Prev, Cur Counter
	// Interval is the time between the samples.
	Interval time.Duration
	// Reset is set when the device rebooted or the interface reported a discontinuity
	// between the samples.
	Reset bool
	// Max is the largest plausible rate per second in counter units (tolerance included);
	// 0 means unknown.
	Max float64
}

// CounterRate turns two samples of a counter into a per-second rate. A 32-bit counter that
// went back is taken as one wrap when the wrapped delta is plausible (within Max, or below
// 2^31 when Max is unknown); a 64-bit counter that went back was reset (it does not wrap in
// practice: 2^64 octets is 4.7 years at 1 Tb/s).
func CounterRate(in RateInput) (float64, RateStatus) {
	switch {
	case in.Cur.Width == 0:
		return 0, RateMissing
	case in.Prev.Width == 0:
		return 0, RateNoPrevious
	case in.Interval <= 0:
		return 0, RateZeroInterval
	case in.Reset:
		return 0, RateReset
	case in.Prev.Width != in.Cur.Width:
		return 0, RateWidthChanged
	}
	secs := in.Interval.Seconds()
	delta, ok := counterDelta(in.Prev.Value, in.Cur.Value, in.Cur.Width)
	if !ok {
		return 0, RateWentBack
	}
	rate := float64(delta) / secs
	if in.Cur.Value < in.Prev.Value { // a 32-bit wrap: check it is a plausible one
		if (in.Max > 0 && rate > in.Max) || (in.Max == 0 && delta >= 1<<31) {
			return 0, RateWentBack
		}
	}
	if in.Max > 0 && rate > in.Max {
		return 0, RateOverSpeed
	}
	return rate, RateOK
}

// counterDelta is cur-prev for a counter of the given width, allowing one 32-bit wrap.
func counterDelta(prev, cur uint64, width uint8) (uint64, bool) {
	if cur >= prev {
		return cur - prev, true
	}
	if width != 32 || prev > 1<<32-1 || cur > 1<<32-1 {
		return 0, false
	}
	return (1<<32 - prev) + cur, true
}

// Rebooted reports whether uptime (TimeTicks) went back between two polls elapsed apart:
// a reboot. It tells a reboot from the wrap of the 32-bit TimeTicks after 497 days: a value
// that went back to where prev+elapsed lands after wrapping is a wrap.
func Rebooted(prevTicks, curTicks uint32, elapsed time.Duration) bool {
	if curTicks >= prevTicks {
		return false
	}
	if elapsed <= 0 {
		return true
	}
	elapsedTicks := uint64(elapsed / (time.Second / ticksPerSecond))
	expected := uint64(prevTicks) + elapsedTicks
	if expected < 1<<32 {
		return true
	}
	wrapped := expected - 1<<32
	slack := elapsedTicks/10 + 10*ticksPerSecond
	diff := max(wrapped, uint64(curTicks)) - min(wrapped, uint64(curTicks))
	return diff > slack
}
