package alert

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type cycle struct {
	snap *Snapshot
	// want are the notifications this cycle sends ("event summary -> channels").
	want []string
}

func runCycles(t *testing.T, s *sim, src Source, cycles []cycle) {
	t.Helper()
	for i, c := range cycles {
		s.run(src, c.snap)
		if diff := cmp.Diff(c.want, s.takeSent()); diff != "" {
			t.Fatalf("cycle %d notifications (-want +got):\n%s\nevents so far: %q", i+1, diff, s.events)
		}
	}
}

func lossDev(v float64) *Snapshot {
	snap := fleet("r1:up")
	snap.Devices[0].LossPct = v
	return snap
}

func TestStateMachine(t *testing.T) {
	down := Rule{Kind: KindDeviceDown, Severity: SeverityCritical, ForCycles: 2, RecoverCycles: 2}
	loss := Rule{Kind: KindPingLossPct, Severity: SeverityMajor, Op: OpGE, Threshold: 20, RecoveryThreshold: 5,
		ForCycles: 1, RecoverCycles: 1}
	up, dn := fleet("r1:up"), fleet("r1:down")
	fire := []string{"firing r1 down -> [1]"}
	res := []string{"resolved r1 down -> [1]"}
	tests := []struct {
		name   string
		rule   Rule
		cycles []cycle
	}{
		{"fires after N bad cycles, resolves after M good", down, []cycle{
			{dn, nil}, {dn, fire}, {dn, nil}, {up, nil}, {up, res}, {up, nil}}},
		{"a single bad cycle does not fire", down, []cycle{
			{dn, nil}, {up, nil}, {dn, nil}, {up, nil}, {dn, nil}, {dn, fire}}},
		{"a good cycle inside recovery resets it", down, []cycle{
			{dn, nil}, {dn, fire}, {up, nil}, {dn, nil}, {up, nil}, {up, res}}},
		{"unknown status keeps the counters", down, []cycle{
			{dn, nil}, {fleet("r1:unknown"), nil}, {dn, fire}}},
		{"hysteresis: between recovery and threshold stays firing", loss, []cycle{
			{lossDev(25), []string{"firing r1 packet loss 25% (>= 20%) -> [1]"}},
			{lossDev(10), nil}, {lossDev(19), nil}, {lossDev(5), nil},
			{lossDev(4), []string{"resolved r1 packet loss 25% (>= 20%) -> [1]"}},
			{lossDev(19), nil}, {lossDev(20), []string{"firing r1 packet loss 20% (>= 20%) -> [1]"}}}},
		{"loss is not judged while the device is down", loss, []cycle{
			{lossDev(50), []string{"firing r1 packet loss 50% (>= 20%) -> [1]"}}, {dn, nil}, {dn, nil},
			{lossDev(0), []string{"resolved r1 packet loss 50% (>= 20%) -> [1]"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, tc.rule)
			runCycles(t, s, SourcePing, tc.cycles)
		})
	}
}

func TestFlapping(t *testing.T) {
	rule := Rule{Kind: KindDeviceDown, Severity: SeverityCritical, ForCycles: 1, RecoverCycles: 1,
		FlapChanges: 4, FlapWindowS: 150} // 5 cycles of 30 s
	up, dn := fleet("r1:up"), fleet("r1:down")
	fire := []string{"firing r1 down -> [1]"}
	res := []string{"resolved r1 down -> [1]"}
	tests := []struct {
		name   string
		cycles []cycle
	}{
		{"held while flapping, resolve sent once stable", []cycle{
			{dn, fire}, {up, res}, {dn, fire},
			{up, nil}, // 4th change: flapping, the resolve is held
			{dn, nil}, {up, nil}, {dn, nil}, {up, nil},
			{up, nil}, {up, nil}, {up, nil}, {up, nil},
			{up, res}, // last change 5 cycles ago: stable, the held resolve goes out
			{up, nil}, {dn, fire}}},
		{"flapping that settles down sends the held firing", []cycle{
			{dn, fire}, {up, res}, {dn, fire},
			{up, nil}, {dn, nil}, // flapping, condition bad again: firing already sent
			{dn, nil}, {dn, nil}, {dn, nil}, {dn, nil},
			{dn, nil}, // stable and bad: the alert was sent as firing; nothing new
			{up, res}}},
		{"flapping starting on a firing holds that firing", []cycle{
			{dn, fire}, {up, res}, {dn, fire}, {up, nil},
			{dn, nil}, {up, nil}, {dn, nil},
			{dn, nil}, {dn, nil}, {dn, nil}, {dn, nil}, {dn, nil}, {up, res}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, rule)
			runCycles(t, s, SourcePing, tc.cycles)
		})
	}
}

func TestFlappingAlertStaysOneRow(t *testing.T) {
	rule := Rule{Kind: KindDeviceDown, Severity: SeverityCritical, ForCycles: 1, RecoverCycles: 1,
		FlapChanges: 3, FlapWindowS: 300}
	s := newSim(t, rule)
	up, dn := fleet("r1:up"), fleet("r1:down")
	for _, snap := range []*Snapshot{dn, up, dn, up, dn, up, dn} {
		s.run(SourcePing, snap)
	}
	a := s.alertOf(Key{RuleID: 1, DeviceID: 1})
	if a == nil || !a.Flapping || a.State != StateFiring {
		t.Fatalf("want one open flapping alert, got %+v", a)
	}
	// fired, resolved, fired(3rd change: flapping), then held changes on the same row
	opened := 0
	for _, ch := range s.alerts {
		if ch.Kind == KindDeviceDown {
			opened++
		}
	}
	if opened != 2 {
		t.Errorf("alerts opened = %d, want 2 (the flapping one is kept open)", opened)
	}
}

func TestAckRepeatAndExpiry(t *testing.T) {
	rule := Rule{Kind: KindDeviceDown, Severity: SeverityCritical, ForCycles: 1, RecoverCycles: 1, RepeatMinutes: 1}
	s := newSim(t, rule)
	dn, up := fleet("r1:down"), fleet("r1:up")
	runCycles(t, s, SourcePing, []cycle{
		{dn, []string{"firing r1 down -> [1]"}}, {dn, nil},
		{dn, []string{"repeat r1 down -> [1]"}}, {dn, nil},
	})
	// acknowledged by hand until two cycles from now
	k := Key{RuleID: 1, DeviceID: 1}
	st := s.states[k]
	st.Alert.State, st.Alert.AckedBy = StateAcknowledged, "ops"
	st.Alert.AckExpiresAt = tptr(s.now.Add(2 * s.step))
	runCycles(t, s, SourcePing, []cycle{
		{dn, nil}, {dn, nil}, // acknowledged: no repeats
		{dn, []string{"repeat r1 down -> [1]"}}, // ack expired: firing again, repeat was due
		{dn, nil},
	})
	if got := s.alertOf(k).State; got != StateFiring {
		t.Fatalf("state after ack expiry = %s, want firing", got)
	}
	st = s.states[k]
	st.Alert.State = StateAcknowledged
	runCycles(t, s, SourcePing, []cycle{{dn, nil}, {up, []string{"resolved r1 down -> [1]"}}})
}

func TestMaintenance(t *testing.T) {
	rule := Rule{Kind: KindDeviceDown, Severity: SeverityCritical, ForCycles: 1, RecoverCycles: 1}
	dn, up := fleet("r1:down"), fleet("r1:up")
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	win := func(from, to time.Time) Window {
		return Window{ID: 7, Name: "w", Kind: WindowOnce, StartsAt: &from, EndsAt: &to, Enabled: true,
			TimeZone: "UTC", Targets: Scope{Devices: []int64{1}}}
	}
	t.Run("recorded not sent, released when the window ends", func(t *testing.T) {
		s := newSim(t, rule)
		s.windows = []Window{win(t0, t0.Add(90*time.Second))}
		runCycles(t, s, SourcePing, []cycle{{dn, nil}, {dn, nil}, {dn, nil}})
		a := s.alertOf(Key{RuleID: 1, DeviceID: 1})
		if a.State != StateSuppressed || a.SuppressedReason != ReasonMaintenance || a.MaintenanceID != 7 {
			t.Fatalf("alert in maintenance = %+v", a)
		}
		if got := s.last.Maintenance; got[1] != 7 {
			t.Fatalf("maintenance set = %v, want device 1 in window 7", got)
		}
		runCycles(t, s, SourcePing, []cycle{{dn, []string{"firing r1 down -> [1]"}}, {up, []string{"resolved r1 down -> [1]"}}})
	})
	t.Run("recovers quietly inside the window", func(t *testing.T) {
		s := newSim(t, rule)
		s.windows = []Window{win(t0, t0.Add(time.Hour))}
		runCycles(t, s, SourcePing, []cycle{{dn, nil}, {up, nil}, {dn, nil}, {up, nil}})
	})
	t.Run("a resolve is sent inside the window for a firing sent before it", func(t *testing.T) {
		s := newSim(t, rule)
		s.windows = []Window{win(t0.Add(time.Minute), t0.Add(time.Hour))}
		runCycles(t, s, SourcePing, []cycle{
			{dn, []string{"firing r1 down -> [1]"}}, {dn, nil}, {dn, nil}, {up, []string{"resolved r1 down -> [1]"}}})
	})
}

func TestOrphansResolve(t *testing.T) {
	rule := Rule{Kind: KindDeviceDown, Severity: SeverityCritical, ForCycles: 1, RecoverCycles: 1}
	t.Run("rule disabled", func(t *testing.T) {
		s := newSim(t, rule)
		runCycles(t, s, SourcePing, []cycle{{fleet("r1:down"), []string{"firing r1 down -> [1]"}}})
		s.rules[0].Enabled = false
		runCycles(t, s, SourcePing, []cycle{{fleet("r1:down"), []string{"resolved r1 down -> [1]"}}})
		if len(s.states) != 0 {
			t.Errorf("states left: %v", s.states)
		}
	})
	t.Run("device removed", func(t *testing.T) {
		s := newSim(t, rule)
		runCycles(t, s, SourcePing, []cycle{
			{fleet("r1:down"), []string{"firing r1 down -> [1]"}},
			{&Snapshot{}, []string{"resolved r1 down -> [1]"}}})
	})
	t.Run("another source's states are left alone", func(t *testing.T) {
		s := newSim(t, rule, Rule{Kind: KindCPUPct, Severity: SeverityMinor, Op: OpGE, Threshold: 90,
			RecoveryThreshold: 90, ForCycles: 1, RecoverCycles: 1})
		runCycles(t, s, SourcePing, []cycle{{fleet("r1:down"), []string{"firing r1 down -> [1]"}}})
		runCycles(t, s, SourceSNMP, []cycle{{fleet("r1:down"), nil}})
		if len(s.open()) != 1 {
			t.Errorf("open alerts = %v", s.open())
		}
	})
}

func TestRouting(t *testing.T) {
	rules := []Rule{
		{Kind: KindDeviceDown, Severity: SeverityCritical, ForCycles: 1, RecoverCycles: 1},
		{Kind: KindPingRTTMS, Name: "rtt", Severity: SeverityWarning, Op: OpGE, Threshold: 100, RecoveryThreshold: 100,
			ForCycles: 1, RecoverCycles: 1},
	}
	s := newSim(t, rules...)
	s.routes = []Route{
		{ChannelID: 1, Severities: []Severity{SeverityCritical}},
		{ChannelID: 2, Scope: Scope{Branches: []string{"B2"}}},
		{ChannelID: 3},
	}
	snap := fleet("r1:down", "r2:up")
	snap.Devices[1].RTTMS = 300
	snap.Devices[1].Branch = "B2"
	runCycles(t, s, SourcePing, []cycle{{snap, []string{
		"firing r1 down -> [1 3]",
		"firing r2 RTT 300 ms (>= 100 ms) -> [2 3]",
	}}})
	// a channel disabled since the firing does not get the resolve
	s.routes = s.routes[1:]
	runCycles(t, s, SourcePing, []cycle{{fleet("r1:up", "r2:up"), []string{
		"resolved r1 down -> [3]",
		"resolved r2 RTT 300 ms (>= 100 ms) -> [2 3]",
	}}})
}
