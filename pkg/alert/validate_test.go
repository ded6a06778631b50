package alert

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ptr[T any](v T) *T { return &v }

func TestRuleInput(t *testing.T) {
	tests := []struct {
		name  string
		in    RuleInput
		field string
	}{
		{"minimal", RuleInput{Name: ptr("x"), Kind: ptr(KindDeviceDown), Severity: ptr(SeverityCritical)}, ""},
		{"no kind", RuleInput{Name: ptr("x")}, "kind"},
		{"unknown kind", RuleInput{Name: ptr("x"), Kind: ptr(Kind("smoke"))}, "kind"},
		{"blank name", RuleInput{Name: ptr("  "), Kind: ptr(KindDeviceDown)}, "name"},
		{"bad severity", RuleInput{Name: ptr("x"), Kind: ptr(KindDeviceDown), Severity: ptr(Severity("page"))}, "severity"},
		{"recovery above threshold", RuleInput{Name: ptr("x"), Kind: ptr(KindCPUPct), Threshold: ptr(90.0),
			RecoveryThreshold: ptr(95.0)}, "recovery_threshold"},
		{"recovery below threshold for <=", RuleInput{Name: ptr("x"), Kind: ptr(KindRebooted), Threshold: ptr(600.0),
			RecoveryThreshold: ptr(300.0)}, "recovery_threshold"},
		{"NaN threshold", RuleInput{Name: ptr("x"), Kind: ptr(KindCPUPct), Threshold: ptr(math.NaN())}, "threshold"},
		{"bad op", RuleInput{Name: ptr("x"), Kind: ptr(KindCPUPct), Op: ptr(Op(">"))}, "op"},
		{"zero for_cycles", RuleInput{Name: ptr("x"), Kind: ptr(KindCPUPct), ForCycles: ptr(0)}, "for_cycles"},
		{"huge recover_cycles", RuleInput{Name: ptr("x"), Kind: ptr(KindCPUPct), RecoverCycles: ptr(5000)}, "recover_cycles"},
		{"negative repeat", RuleInput{Name: ptr("x"), Kind: ptr(KindCPUPct), RepeatMinutes: ptr(-1)}, "repeat_minutes"},
		{"flap changes 1", RuleInput{Name: ptr("x"), Kind: ptr(KindCPUPct), FlapChanges: ptr(1)}, "flap_changes"},
		{"flap window 0", RuleInput{Name: ptr("x"), Kind: ptr(KindCPUPct), FlapWindowS: ptr(0)}, "flap_window_s"},
		{"system without metric", RuleInput{Name: ptr("x"), Kind: ptr(KindSystem)}, "metric"},
		{"system with scope", RuleInput{Name: ptr("x"), Kind: ptr(KindSystem), Metric: ptr("workers"),
			Scope: &Scope{Regions: []string{"n"}}}, "scope"},
		{"metric on a device rule", RuleInput{Name: ptr("x"), Kind: ptr(KindCPUPct), Metric: ptr("workers")}, "metric"},
		{"empty region", RuleInput{Name: ptr("x"), Kind: ptr(KindCPUPct), Scope: &Scope{Regions: []string{""}}}, "scope.regions"},
		{"bad device id", RuleInput{Name: ptr("x"), Kind: ptr(KindCPUPct), Scope: &Scope{Devices: []int64{0}}}, "scope.devices"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.in.NewRule()
			checkField(t, err, tc.field)
		})
	}
}

func TestRuleInputDefaultsAndPatch(t *testing.T) {
	var in RuleInput
	if err := json.Unmarshal([]byte(`{"name":"cpu","kind":"cpu_pct","threshold":80,"severity":"minor"}`), &in); err != nil {
		t.Fatal(err)
	}
	r, err := in.NewRule()
	if err != nil {
		t.Fatal(err)
	}
	want := Rule{Name: "cpu", Kind: KindCPUPct, Op: OpGE, Threshold: 80, RecoveryThreshold: 80, ForCycles: 1,
		RecoverCycles: 1, Severity: SeverityMinor, FlapChanges: 4, FlapWindowS: 900, Enabled: true}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Fatalf("defaults (-want +got):\n%s", diff)
	}
	var patch RuleInput
	if err := json.Unmarshal([]byte(`{"recovery_threshold":70,"enabled":false}`), &patch); err != nil {
		t.Fatal(err)
	}
	r, err = patch.Apply(r)
	if err != nil {
		t.Fatal(err)
	}
	want.RecoveryThreshold, want.Enabled = 70, false
	if diff := cmp.Diff(want, r); diff != "" {
		t.Fatalf("patched (-want +got):\n%s", diff)
	}
	r.ID = 9
	_, err = RuleInput{Kind: ptr(KindMemPct)}.Apply(r)
	checkField(t, err, "kind")
}

func TestAlertJSON(t *testing.T) {
	b, err := json.Marshal(Alert{ID: 1, RuleID: 2, RuleName: "No workers", Kind: KindSystem, State: StateFiring})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if v, ok := m["device_id"]; !ok || v != nil {
		t.Errorf("device_id = %v (present %v), want null", v, ok)
	}
	if m["rule"] != "No workers" || m["state"] != "firing" {
		t.Errorf("alert JSON = %s", b)
	}
}
