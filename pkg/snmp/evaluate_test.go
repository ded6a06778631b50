package snmp

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestEvaluate(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Minute)
	ifPrev := IfState{IfReading: IfReading{Index: 1, Name: "Gi0/1", OperStatus: IfUp, AdminStatus: IfUp, SpeedBps: 1e9,
		InOctets: c64(1_000_000), OutOctets: c64(2_000_000), InErrors: c32(10), OutErrors: c32(0), InDiscards: c32(5), OutDiscards: c32(5)}, PolledAt: t0}
	cur := ifPrev.IfReading
	cur.InOctets, cur.OutOctets = c64(1_000_000+60*1_250_000), c64(2_000_000+60*125_000)
	cur.InErrors, cur.OutErrors = c32(70), c32(0)
	prev := &Previous{At: t0, UptimeTicks: 100_000, UptimeSource: "sysUpTime", HasUptime: true, Interfaces: map[uint32]IfState{1: ifPrev}}
	reading := func(uptime uint32, ifs ...IfReading) *Reading {
		return &Reading{At: t1, SysUpTime: uptime, Interfaces: ifs}
	}
	f := func(v float64) *float64 { return &v }
	down := cur
	down.OperStatus = IfLowerLayerDown
	renamed := cur
	renamed.Name = "Gi0/9"
	disc := cur
	disc.Discontinuity = 4242

	tests := []struct {
		name        string
		prev        *Previous
		r           *Reading
		wantIn      *float64
		wantOut     *float64
		wantErrIn   *float64
		wantEvents  []string
		wantReboot  bool
		notComputed map[RateStatus]int
	}{
		{"first poll: no rates, no events", nil, reading(106_000, cur), nil, nil, nil, nil, false, map[RateStatus]int{}},
		{"steady", prev, reading(106_000, cur), f(10_000_000), f(1_000_000), f(1), nil, false, map[RateStatus]int{}},
		{"reboot resets every rate and records an event", prev, reading(500, cur), nil, nil, nil, []string{"reboot"}, true,
			map[RateStatus]int{RateReset: 6}},
		{"interface went down", prev, reading(106_000, down), f(10_000_000), f(1_000_000), f(1), []string{"if_down up->lowerLayerDown"}, false, map[RateStatus]int{}},
		{"ifIndex reused by another interface", prev, reading(106_000, renamed), nil, nil, nil, nil, false, map[RateStatus]int{RateReset: 6}},
		{"counter discontinuity", prev, reading(106_000, disc), nil, nil, nil, nil, false, map[RateStatus]int{RateReset: 6}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := Evaluate(tc.prev, tc.r)
			if o.Rebooted != tc.wantReboot {
				t.Errorf("Rebooted = %v, want %v", o.Rebooted, tc.wantReboot)
			}
			var evs []string
			for _, e := range o.Events {
				s := e.Kind
				if e.From != "" {
					s += " " + e.From + "->" + e.To
				}
				evs = append(evs, s)
			}
			if diff := cmp.Diff(tc.wantEvents, evs); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			i := o.Interfaces[0]
			if diff := cmp.Diff([]*float64{tc.wantIn, tc.wantOut, tc.wantErrIn}, []*float64{i.InBps, i.OutBps, i.InErrorsPS}); diff != "" {
				t.Errorf("rates in/out/errors (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.notComputed, o.NotComputed); diff != "" {
				t.Errorf("not computed (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEvaluateOverSpeedIsDroppedAndCounted(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	p := IfState{IfReading: IfReading{Index: 3, OperStatus: IfUp, SpeedBps: 10_000_000, InOctets: c64(0), OutOctets: c64(0)}, PolledAt: t0, OverSpeedDrops: 2}
	cur := p.IfReading
	cur.InOctets = c64(60 * 10_000_000) // 80 Mb/s on a 10 Mb/s port
	cur.OutOctets = c64(60 * 1_000)
	o := Evaluate(&Previous{At: t0, Interfaces: map[uint32]IfState{3: p}}, &Reading{At: t0.Add(time.Minute), Interfaces: []IfReading{cur}})
	i := o.Interfaces[0]
	if i.InBps != nil {
		t.Errorf("over-speed rate kept: %v", *i.InBps)
	}
	if i.OutBps == nil || *i.OutBps != 8_000 {
		t.Errorf("out rate = %v, want 8000", i.OutBps)
	}
	if i.OverSpeedDrops != 3 || o.NotComputed[RateOverSpeed] != 1 {
		t.Errorf("drops = %d (counted %d), want 3 (1)", i.OverSpeedDrops, o.NotComputed[RateOverSpeed])
	}
}
