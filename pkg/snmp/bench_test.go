package snmp_test

import (
	"context"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/snmp"
	"github.com/wardops/wardops/testinfra/testenv"
)

// BenchmarkPollSimulatedDevice polls one simulated device (20 interfaces) of the tests'
// snmpsim per iteration: the poller's cost per device, simulator included.
func BenchmarkPollSimulatedDevice(b *testing.B) {
	sim := testenv.NewSNMPSim(b)
	t := snmp.TargetFor(loopback, snmp.Settings{Version: snmp.Version2c, Community: snmp.NewSecret("sim-0001"), Port: sim.Port, Timeout: 5 * time.Second})
	p := snmp.NewPoller()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Poll(context.Background(), t, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluate is the rate math of one 20-interface device.
func BenchmarkEvaluate(b *testing.B) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	prev := &snmp.Previous{At: t0, UptimeTicks: 1000, UptimeSource: "sysUpTime", HasUptime: true, Interfaces: map[uint32]snmp.IfState{}}
	r := &snmp.Reading{At: t0.Add(time.Minute), SysUpTime: 7000}
	for i := uint32(1); i <= 20; i++ {
		in := snmp.IfReading{Index: i, Name: "Gi0/1", OperStatus: snmp.IfUp, SpeedBps: 1e9,
			InOctets: snmp.Counter{Value: 1000, Width: 64}, OutOctets: snmp.Counter{Value: 1000, Width: 64},
			InErrors: snmp.Counter{Value: 1, Width: 32}, OutErrors: snmp.Counter{Value: 1, Width: 32}}
		prev.Interfaces[i] = snmp.IfState{IfReading: in, PolledAt: t0}
		in.InOctets.Value, in.OutOctets.Value = 6_000_000, 9_000_000
		r.Interfaces = append(r.Interfaces, in)
	}
	b.ReportAllocs()
	for b.Loop() {
		snmp.Evaluate(prev, r)
	}
}
