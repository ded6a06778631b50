package alert

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// branch is a router (id 1) with n children behind it; downs lists the ids that are down.
func branch(n int, downs ...int64) *Snapshot {
	snap := &Snapshot{}
	for i := 0; i <= n; i++ {
		id := int64(i + 1)
		name := fmt.Sprintf("dev%d", id)
		if id == 1 {
			name = "router"
		}
		d := NewDevice(id, name)
		d.Branch, d.Status = "B1", "up"
		d.LossPct, d.RTTMS, d.JitterMS = 0, 2, 1
		if id != 1 {
			d.ParentID = 1
		}
		for _, x := range downs {
			if x == id {
				d.Status, d.LossPct = "down", 100
			}
		}
		snap.Devices = append(snap.Devices, d)
	}
	return snap
}

func all(n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(i + 1)
	}
	return out
}

func TestParentSuppression(t *testing.T) {
	rules := []Rule{
		{Kind: KindDeviceDown, Severity: SeverityCritical, ForCycles: 2, RecoverCycles: 1},
		{Kind: KindPingLossPct, Name: "loss", Severity: SeverityMajor, Op: OpGE, Threshold: 20, RecoveryThreshold: 5,
			ForCycles: 1, RecoverCycles: 1},
	}
	outage := branch(5, all(6)...)
	healthy := branch(5)
	routerFire := []string{"firing router down -> [1]"}
	routerRes := []string{"resolved router down -> [1]"}
	tests := []struct {
		name   string
		cycles []cycle
	}{
		{"one notification for the branch, only its resolve on recovery", []cycle{
			{outage, nil}, {outage, routerFire}, {outage, nil}, {healthy, routerRes}, {healthy, nil}, {healthy, nil}}},
		{"a child still down one cycle after the parent recovered alerts on its own", []cycle{
			{outage, nil}, {outage, routerFire}, {branch(5, 3), routerRes},
			{branch(5, 3), []string{"firing dev3 down -> [1]"}},
			{healthy, []string{"resolved dev3 down -> [1]"}}}},
		{"a child that comes back within the grace cycle stays quiet", []cycle{
			{outage, nil}, {outage, routerFire}, {branch(5, 3), routerRes}, {healthy, nil}, {healthy, nil}}},
		{"a child down on its own before the outage keeps its own alert", []cycle{
			{branch(5, 2), nil}, {branch(5, 2), []string{"firing dev2 down -> [1]"}},
			{outage, nil}, {outage, routerFire},
			{healthy, []string{"resolved router down -> [1]", "resolved dev2 down -> [1]"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, rules...)
			runCycles(t, s, SourcePing, tc.cycles)
		})
	}
}

func TestIncidentLifecycle(t *testing.T) {
	s := newSim(t, Rule{Kind: KindDeviceDown, Severity: SeverityCritical, ForCycles: 1, RecoverCycles: 1})
	s.run(SourcePing, branch(5, all(6)...))
	if len(s.incidents) != 1 {
		t.Fatalf("open incidents = %d, want 1", len(s.incidents))
	}
	var inc *Incident
	for _, i := range s.incidents {
		inc = i
	}
	if inc.Title != "Branch B1: router down — 5 devices unreachable" || inc.AffectedCount != 5 {
		t.Errorf("incident = %q affected %d", inc.Title, inc.AffectedCount)
	}
	// the router's firing carries the incident
	var msg *Message
	for _, ev := range s.last.Events {
		if ev.Notify != nil {
			msg = &ev.Notify.Message
		}
	}
	if msg == nil || msg.Incident == nil || msg.Incident.Affected != 5 || msg.Incident.RootDeviceID != 1 {
		t.Fatalf("router firing message = %+v", msg)
	}
	wantStates := map[string]AlertState{"router down": StateFiring}
	for i := 2; i <= 6; i++ {
		wantStates[fmt.Sprintf("dev%d down", i)] = StateSuppressed
		a := s.alertOf(Key{RuleID: 1, DeviceID: int64(i)})
		if a.IncidentID != inc.ID || a.SuppressedReason != ReasonParent {
			t.Errorf("dev%d: incident %d reason %q, want incident %d parent", i, a.IncidentID, a.SuppressedReason, inc.ID)
		}
	}
	if diff := cmp.Diff(wantStates, s.open()); diff != "" {
		t.Errorf("open alerts (-want +got):\n%s", diff)
	}
	s.run(SourcePing, branch(5))
	if len(s.incidents) != 1 || s.incidents[inc.ID].RootUpSince == nil {
		t.Fatalf("after recovery the incident is held one grace cycle: %+v", s.incidents)
	}
	s.run(SourcePing, branch(5))
	if len(s.incidents) != 0 {
		t.Fatalf("incident not resolved after the grace cycle: %+v", s.incidents)
	}
	if len(s.open()) != 0 {
		t.Errorf("open alerts after recovery: %v", s.open())
	}
}

func TestSNMPUnreachableBehindDownParent(t *testing.T) {
	ping := Rule{ID: 1, Kind: KindDeviceDown, Severity: SeverityCritical, ForCycles: 1, RecoverCycles: 1}
	snmp := Rule{ID: 2, Kind: KindSNMPUnreachable, Name: "snmp", Severity: SeverityMajor, ForCycles: 1, RecoverCycles: 1}
	s := newSim(t, ping, snmp)
	snap := branch(2, 1, 2, 3)
	for i := range snap.Devices {
		snap.Devices[i].SNMP = true
	}
	runCycles(t, s, SourcePing, []cycle{{snap, []string{"firing router down -> [1]"}}})
	runCycles(t, s, SourceSNMP, []cycle{{snap, []string{"firing router SNMP unreachable -> [1]"}}})
	for _, id := range []int64{2, 3} {
		if a := s.alertOf(Key{RuleID: 2, DeviceID: id}); a == nil || a.State != StateSuppressed {
			t.Errorf("dev%d snmp alert = %+v, want suppressed", id, a)
		}
	}
}
