package alert

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"
)

// benchFleet builds n devices in branches of 100 (a router and 99 devices behind it) in 10
// regions on a bad day: 2 % of devices down, every 200th branch entirely down, 5 % with some
// loss, 3 % with high RTT and 3 % with high jitter. storm makes RTT and jitter uniform over
// 5–305 ms and 0–80 ms instead: tens of thousands of alerts open at once.
func benchFleet(n int, storm bool) *Snapshot {
	rng := rand.New(rand.NewPCG(1, 2))
	snap := &Snapshot{At: time.Now(), Devices: make([]Device, 0, n)}
	var router int64
	for i := 0; i < n; i++ {
		id := int64(i + 1)
		b := i / 100
		d := NewDevice(id, fmt.Sprintf("dev-%06d", id))
		d.IP = fmt.Sprintf("127.%d.%d.%d", (i>>16)&255, (i>>8)&255, i&255)
		d.Branch, d.Region = fmt.Sprintf("B%04d", b), fmt.Sprintf("R%d", b%10)
		d.Labels = map[string]string{"tier": []string{"gold", "silver", "bronze"}[i%3]}
		d.Type = "atm"
		if i%100 == 0 {
			d.Type, router = "router", id
		} else {
			d.ParentID = router
		}
		d.Status, d.LossPct, d.RTTMS, d.JitterMS = "up", 0, 5+rng.Float64()*40, rng.Float64()*20
		switch {
		case storm:
			d.RTTMS, d.JitterMS = 5+rng.Float64()*300, rng.Float64()*80
		case rng.IntN(33) == 0:
			d.RTTMS = 260 + rng.Float64()*100
		case rng.IntN(33) == 0:
			d.JitterMS = 60 + rng.Float64()*40
		}
		if rng.IntN(50) == 0 || b%200 == 7 {
			d.Status, d.LossPct, d.RTTMS, d.JitterMS = "down", 100, nanf(), nanf()
		} else if rng.IntN(20) == 0 {
			d.LossPct = rng.Float64() * 60
		}
		snap.Devices = append(snap.Devices, d)
	}
	return snap
}

func nanf() float64 { return NewDevice(0, "").RTTMS }

// benchRules are 20 ping rules: the four kinds with all, region, branch, label, type and device scopes.
func benchRules() []Rule {
	var rules []Rule
	scopes := []Scope{{}, {Regions: []string{"R1", "R2"}}, {Branches: []string{"B0001", "B0500"}},
		{Labels: map[string]string{"tier": "gold"}}, {Types: []string{"router"}}}
	kinds := []Kind{KindDeviceDown, KindPingLossPct, KindPingRTTMS, KindPingJitterMS}
	for i, sc := range scopes {
		for j, k := range kinds {
			r := Rule{ID: int64(len(rules) + 1), Name: fmt.Sprintf("r%d-%d", i, j), Kind: k, Op: OpGE, Threshold: 50,
				RecoveryThreshold: 30, ForCycles: 2, RecoverCycles: 2, Severity: SeverityMajor, Scope: sc,
				RepeatMinutes: 60, FlapChanges: 4, FlapWindowS: 900, Enabled: true}
			if k == KindPingRTTMS {
				r.Threshold, r.RecoveryThreshold = 250, 200
			}
			rules = append(rules, r)
		}
	}
	return rules
}

// steadyInput runs three passes so that the measured one sees realistic stored state
// (pending counters, open and suppressed alerts, incidents).
func steadyInput(b *testing.B, n int, storm bool) (*PassInput, func() *PassInput) {
	snap := benchFleet(n, storm)
	rules := benchRules()
	routes := []Route{{ChannelID: 1}, {ChannelID: 2, Severities: []Severity{SeverityCritical}}}
	states := map[Key]*State{}
	var incidents []*Incident
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	mk := func() *PassInput {
		in := &PassInput{Source: SourcePing, Now: now, Snapshot: snap, Rules: rules, Routes: routes}
		for _, st := range states {
			in.States = append(in.States, cloneState(st))
		}
		for _, inc := range incidents {
			c := *inc
			in.Incidents = append(in.Incidents, &c)
		}
		return in
	}
	for range 3 {
		res := Evaluate(mk())
		for _, k := range res.DeletedStates {
			delete(states, k.Key)
		}
		for _, st := range res.States {
			states[st.Key] = st
		}
		incidents = incidents[:0]
		for _, inc := range res.Incidents {
			if inc.State == IncidentOpen {
				incidents = append(incidents, inc)
			}
		}
		now = now.Add(30 * time.Second)
	}
	b.Logf("steady state: %d stored states, %d open incidents", len(states), len(incidents))
	return mk(), mk
}

// BenchmarkEvaluate100k is one ping pass over 100,000 devices × 20 rules from steady state.
func BenchmarkEvaluate100k(b *testing.B) { benchEvaluate(b, false) }

// BenchmarkEvaluateStorm100k is the same pass with tens of thousands of alerts open.
func BenchmarkEvaluateStorm100k(b *testing.B) { benchEvaluate(b, true) }

func benchEvaluate(b *testing.B, storm bool) {
	_, mk := steadyInput(b, 100_000, storm)
	var res *Result
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		in := mk()
		c0 := cpuTime()
		b.StartTimer()
		res = Evaluate(in)
		cpu += cpuTime() - c0
	}
	reportCPU(b, cpu)
	b.ReportMetric(float64(res.Stats.Evaluations), "evaluations/op")
	b.ReportMetric(float64(len(res.States)), "state-writes/op")
}

// BenchmarkEvaluateSNMP100k is one SNMP pass: 100,000 devices with 4 interfaces each and the
// seven SNMP kinds.
func BenchmarkEvaluateSNMP100k(b *testing.B) {
	snap := benchFleet(100_000, false)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range snap.Devices {
		d := &snap.Devices[i]
		d.SNMP, d.SNMPOK = true, d.Status != "down"
		d.CPUPct, d.MemPct, d.UptimeS = rng.Float64()*100, rng.Float64()*100, rng.Float64()*1e6
		for j := 1; j <= 4; j++ {
			snap.Interfaces = append(snap.Interfaces, Interface{DeviceID: d.ID, Index: j, Name: fmt.Sprintf("Gi0/%d", j),
				AdminUp: true, OperUp: rng.IntN(100) != 0, SeenUp: true, SpeedBps: 1e9, InBps: rng.Float64() * 1e9,
				OutBps: rng.Float64() * 1e9, ErrorsPS: rng.Float64() * 12})
		}
	}
	var rules []Rule
	for i, k := range []Kind{KindIfDown, KindIfUtilPct, KindIfErrorRate, KindCPUPct, KindMemPct, KindRebooted, KindSNMPUnreachable} {
		r := Rule{ID: int64(i + 1), Name: string(k), Kind: k, Op: OpGE, Threshold: 90, RecoveryThreshold: 80,
			ForCycles: 2, RecoverCycles: 2, Severity: SeverityMinor, Enabled: true}
		if k == KindRebooted {
			r.Op, r.Threshold, r.RecoveryThreshold = OpLE, 600, 600
		}
		rules = append(rules, r)
	}
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	var res *Result
	c0 := cpuTime()
	for b.Loop() {
		res = Evaluate(&PassInput{Source: SourceSNMP, Now: now, Snapshot: snap, Rules: rules, Routes: []Route{{ChannelID: 1}}})
	}
	reportCPU(b, cpuTime()-c0)
	b.ReportMetric(float64(res.Stats.Evaluations), "evaluations/op")
}

// cpuTime is the process's user+system CPU time. On a shared machine wall time per op grows
// with the load of other processes; CPU time per op does much less.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, cpu time.Duration) {
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
}
