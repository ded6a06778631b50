package alert

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestObserveDevice(t *testing.T) {
	nan := math.NaN()
	ge := func(k Kind, th, rec float64) Rule {
		return Rule{Kind: k, Op: OpGE, Threshold: th, RecoveryThreshold: rec}
	}
	dev := func(mod func(*Device)) *Device {
		d := NewDevice(1, "d")
		d.Status, d.SNMP, d.SNMPOK = "up", true, true
		mod(&d)
		return &d
	}
	tests := []struct {
		name   string
		rule   Rule
		dev    *Device
		active bool
		want   obs
	}{
		{"down is bad", Rule{Kind: KindDeviceDown}, dev(func(d *Device) { d.Status = "down" }), false, obsBad},
		{"degraded is good for device_down", Rule{Kind: KindDeviceDown}, dev(func(d *Device) { d.Status = "degraded" }), false, obsGood},
		{"unknown is no data", Rule{Kind: KindDeviceDown}, dev(func(d *Device) { d.Status = "unknown" }), false, obsNone},
		{"loss at threshold fires", ge(KindPingLossPct, 20, 5), dev(func(d *Device) { d.LossPct = 20 }), false, obsBad},
		{"loss under threshold", ge(KindPingLossPct, 20, 5), dev(func(d *Device) { d.LossPct = 19.9 }), false, obsGood},
		{"loss in band while active", ge(KindPingLossPct, 20, 5), dev(func(d *Device) { d.LossPct = 10 }), true, obsBad},
		{"loss under recovery while active", ge(KindPingLossPct, 20, 5), dev(func(d *Device) { d.LossPct = 4 }), true, obsGood},
		{"loss of a down device", ge(KindPingLossPct, 20, 5), dev(func(d *Device) { d.Status, d.LossPct = "down", 100 }), false, obsNone},
		{"rtt", ge(KindPingRTTMS, 200, 150), dev(func(d *Device) { d.RTTMS = 250 }), false, obsBad},
		{"rtt unknown", ge(KindPingRTTMS, 200, 150), dev(func(d *Device) { d.RTTMS = nan }), false, obsNone},
		{"jitter", ge(KindPingJitterMS, 50, 30), dev(func(d *Device) { d.JitterMS = 40 }), true, obsBad},
		{"cpu", ge(KindCPUPct, 90, 75), dev(func(d *Device) { d.CPUPct = 95 }), false, obsBad},
		{"cpu stale after a failed poll", ge(KindCPUPct, 90, 75), dev(func(d *Device) { d.CPUPct, d.SNMPOK = 95, false }), false, obsNone},
		{"mem", ge(KindMemPct, 90, 85), dev(func(d *Device) { d.MemPct = 80 }), false, obsGood},
		{"rebooted: small uptime", Rule{Kind: KindRebooted, Op: OpLE, Threshold: 600, RecoveryThreshold: 600},
			dev(func(d *Device) { d.UptimeS = 42 }), false, obsBad},
		{"rebooted: uptime past recovery", Rule{Kind: KindRebooted, Op: OpLE, Threshold: 600, RecoveryThreshold: 600},
			dev(func(d *Device) { d.UptimeS = 601 }), true, obsGood},
		{"snmp unreachable", Rule{Kind: KindSNMPUnreachable}, dev(func(d *Device) { d.SNMPOK = false }), false, obsBad},
		{"snmp answered", Rule{Kind: KindSNMPUnreachable}, dev(func(d *Device) {}), true, obsGood},
		{"no snmp configured", Rule{Kind: KindSNMPUnreachable}, dev(func(d *Device) { d.SNMP = false }), false, obsNone},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := observeDevice(&tc.rule, tc.dev, tc.active)
			if got != tc.want {
				t.Errorf("observe = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestObserveInterface(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		rule Rule
		f    Interface
		want obs
		v    float64
	}{
		{"link down: was up, admin up, oper down", Rule{Kind: KindIfDown}, Interface{AdminUp: true, SeenUp: true}, obsBad, 1},
		{"port never up since discovered is not an alarm", Rule{Kind: KindIfDown}, Interface{AdminUp: true}, obsGood, 0},
		{"admin down is not an alarm", Rule{Kind: KindIfDown}, Interface{}, obsGood, 0},
		{"up", Rule{Kind: KindIfDown}, Interface{AdminUp: true, OperUp: true}, obsGood, 0},
		{"utilisation of the busier direction", Rule{Kind: KindIfUtilPct, Op: OpGE, Threshold: 90, RecoveryThreshold: 80},
			Interface{SpeedBps: 1e6, InBps: 1e5, OutBps: 9.5e5}, obsBad, 95},
		{"utilisation without speed", Rule{Kind: KindIfUtilPct, Op: OpGE, Threshold: 90}, Interface{InBps: 1, OutBps: 1}, obsNone, nan},
		{"utilisation without rates", Rule{Kind: KindIfUtilPct, Op: OpGE, Threshold: 90}, Interface{SpeedBps: 1e6, InBps: nan, OutBps: 1}, obsNone, nan},
		{"errors", Rule{Kind: KindIfErrorRate, Op: OpGE, Threshold: 10, RecoveryThreshold: 1}, Interface{ErrorsPS: 12}, obsBad, 12},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, v := observeInterface(&tc.rule, &tc.f, false)
			if got != tc.want || !(v == tc.v || math.IsNaN(v) && math.IsNaN(tc.v)) {
				t.Errorf("observe = %d %v, want %d %v", got, v, tc.want, tc.v)
			}
		})
	}
}

func TestInterfaceAndSystemRules(t *testing.T) {
	ifRule := Rule{ID: 1, Kind: KindIfDown, Name: "if", Severity: SeverityMajor, ForCycles: 2, RecoverCycles: 1}
	sys := Rule{ID: 2, Kind: KindSystem, Name: "workers", Metric: "workers", Severity: SeverityCritical, Op: OpLE,
		ForCycles: 1, RecoverCycles: 1}
	s := newSim(t, ifRule, sys)
	snap := fleet("sw1:up")
	snap.Devices[0].SNMP, snap.Devices[0].SNMPOK = true, true
	snap.Interfaces = []Interface{
		{DeviceID: 1, Index: 2, Name: "Gi0/2", AdminUp: true, SeenUp: true}, // was up: link-down semantics
		{DeviceID: 1, Index: 1, Name: "Gi0/1", AdminUp: true, OperUp: true},
		{DeviceID: 1, Index: 3, Name: "Gi0/3"},
	}
	runCycles(t, s, SourceSNMP, []cycle{{snap, nil}, {snap, []string{"firing sw1 Gi0/2 down (admin up) -> [1]"}}})
	gone := fleet("sw1:up")
	gone.Devices[0].SNMP, gone.Devices[0].SNMPOK = true, true
	runCycles(t, s, SourceSNMP, []cycle{{gone, []string{"resolved sw1 Gi0/2 down (admin up) -> [1]"}}})

	runCycles(t, s, SourceSystem, []cycle{
		{&Snapshot{System: map[string]float64{"workers": 0}}, []string{"firing workers 0 (<= 0) -> [1]"}},
		{&Snapshot{System: map[string]float64{}}, nil},
		{&Snapshot{System: map[string]float64{"workers": 2}}, []string{"resolved workers 0 (<= 0) -> [1]"}},
	})
}

func TestSystemAlertsOnlyToUnscopedChannels(t *testing.T) {
	s := newSim(t, Rule{Kind: KindSystem, Name: "q", Metric: "queue_pending", Severity: SeverityWarning, Op: OpGE,
		Threshold: 1000, RecoveryThreshold: 1000, ForCycles: 1, RecoverCycles: 1})
	s.routes = []Route{{ChannelID: 1, Scope: Scope{Regions: []string{"north"}}}, {ChannelID: 2}}
	runCycles(t, s, SourceSystem, []cycle{{&Snapshot{System: map[string]float64{"queue_pending": 5000}},
		[]string{"firing queue_pending 5000 (>= 1000) -> [2]"}}})
}

func TestScopeIndex(t *testing.T) {
	snap := &Snapshot{}
	for i, spec := range [][3]string{{"north", "B1", "router"}, {"north", "B2", "atm"}, {"south", "B3", "router"}, {"south", "B3", "atm"}} {
		d := NewDevice(int64(i+1), spec[1])
		d.Region, d.Branch, d.Type = spec[0], spec[1], spec[2]
		d.Labels = map[string]string{"tier": []string{"gold", "silver"}[i%2]}
		snap.Devices = append(snap.Devices, d)
	}
	byID := map[int64]int32{1: 0, 2: 1, 3: 2, 4: 3}
	tests := []struct {
		name  string
		scope Scope
		want  []int32
	}{
		{"region", Scope{Regions: []string{"south"}}, []int32{2, 3}},
		{"branch and type", Scope{Branches: []string{"B3", "B1"}, Types: []string{"router"}}, []int32{0, 2}},
		{"devices and region", Scope{Devices: []int64{1, 3, 99}, Regions: []string{"north"}}, []int32{0}},
		{"labels", Scope{Labels: map[string]string{"tier": "gold"}}, []int32{0, 2}},
		{"type", Scope{Types: []string{"atm"}}, []int32{1, 3}},
		{"nothing", Scope{Regions: []string{"west"}}, []int32{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, all := newScopeIndex(snap, byID).devices(tc.scope)
			if all {
				t.Fatal("scope taken as all")
			}
			if got == nil {
				got = []int32{}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("devices (-want +got):\n%s", diff)
			}
		})
	}
}
