package snmp

import (
	"time"
)

// Event kinds written to device_events.
const (
	EventReboot = "reboot"
	EventIfUp   = "if_up"
	EventIfDown = "if_down"
)

// IfState is an interface after a poll: what was read plus the rates over the last interval
// (nil when not computable).
type IfState struct {
	IfReading
	PolledAt       time.Time
	InBps          *float64
	OutBps         *float64
	InErrorsPS     *float64
	OutErrorsPS    *float64
	InDiscardsPS   *float64
	OutDiscardsPS  *float64
	OverSpeedDrops int64
	// LastChange is when WardOps saw ifOperStatus change (nil: not since first seen).
	LastChange *time.Time
}

// Previous is a device's baseline: its last successful poll.
type Previous struct {
	At           time.Time
	UptimeTicks  uint32
	UptimeSource string
	HasUptime    bool
	Interfaces   map[uint32]IfState
}

// Event is a state change found by a poll.
type Event struct {
	Kind   string
	At     time.Time
	From   string
	To     string
	Detail map[string]any
}

// Outcome is the result of comparing a reading with the device's baseline.
type Outcome struct {
	Rebooted   bool
	Interfaces []IfState
	Events     []Event
	// NotComputed counts the rates left out, by reason (first samples excluded).
	NotComputed map[RateStatus]int
}

// Evaluate compares a reading with the previous baseline (nil for a first poll): reboot,
// interface status changes and rates. It is pure: no I/O, no clock.
func Evaluate(prev *Previous, r *Reading) Outcome {
	out := Outcome{NotComputed: map[RateStatus]int{}}
	ticks, source := r.Uptime()
	if prev != nil && prev.HasUptime && prev.UptimeSource == source && Rebooted(prev.UptimeTicks, ticks, r.At.Sub(prev.At)) {
		out.Rebooted = true
		out.Events = append(out.Events, Event{Kind: EventReboot, At: r.At, Detail: map[string]any{
			"uptime_seconds": float64(ticks) / ticksPerSecond, "previous_uptime_seconds": float64(prev.UptimeTicks) / ticksPerSecond,
			"source": source}})
	}
	out.Interfaces = make([]IfState, 0, len(r.Interfaces))
	for _, cur := range r.Interfaces {
		var p *IfState
		if prev != nil {
			if v, ok := prev.Interfaces[cur.Index]; ok {
				p = &v
			}
		}
		st, ev := evaluateInterface(p, cur, r.At, out.Rebooted, out.NotComputed)
		out.Interfaces = append(out.Interfaces, st)
		if ev != nil {
			out.Events = append(out.Events, *ev)
		}
	}
	return out
}

func evaluateInterface(p *IfState, cur IfReading, at time.Time, rebooted bool, notComputed map[RateStatus]int) (IfState, *Event) {
	st := IfState{IfReading: cur, PolledAt: at}
	if p == nil {
		return st, nil
	}
	st.OverSpeedDrops, st.LastChange = p.OverSpeedDrops, p.LastChange
	reset := rebooted || p.Discontinuity != cur.Discontinuity || (p.Name != "" && cur.Name != "" && p.Name != cur.Name)
	interval := at.Sub(p.PolledAt)
	maxOctets := float64(cur.SpeedBps) * OverSpeedFactor / 8
	rate := func(prev, now Counter, max, scale float64) *float64 {
		v, s := CounterRate(RateInput{Prev: prev, Cur: now, Interval: interval, Reset: reset, Max: max})
		switch s {
		case RateOK:
			return ptr(v * scale)
		case RateOverSpeed:
			st.OverSpeedDrops++
		}
		if s != RateNoPrevious && s != RateMissing {
			notComputed[s]++
		}
		return nil
	}
	st.InBps = rate(p.InOctets, cur.InOctets, maxOctets, 8)
	st.OutBps = rate(p.OutOctets, cur.OutOctets, maxOctets, 8)
	st.InErrorsPS = rate(p.InErrors, cur.InErrors, 0, 1)
	st.OutErrorsPS = rate(p.OutErrors, cur.OutErrors, 0, 1)
	st.InDiscardsPS = rate(p.InDiscards, cur.InDiscards, 0, 1)
	st.OutDiscardsPS = rate(p.OutDiscards, cur.OutDiscards, 0, 1)
	if p.OperStatus == cur.OperStatus || p.OperStatus == 0 || cur.OperStatus == 0 {
		return st, nil
	}
	st.LastChange = &at
	if p.OperStatus != IfUp && cur.OperStatus != IfUp {
		return st, nil // e.g. down → lowerLayerDown: still not up, no event
	}
	kind := EventIfDown
	if cur.OperStatus == IfUp {
		kind = EventIfUp
	}
	return st, &Event{Kind: kind, At: at, From: p.OperStatus.String(), To: cur.OperStatus.String(), Detail: map[string]any{
		"if_index": cur.Index, "if_name": cur.Label(), "if_alias": cur.Alias, "admin_status": cur.AdminStatus.String()}}
}
