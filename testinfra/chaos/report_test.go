package chaos_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/testinfra/chaos"
)

func TestReportRoundTrip(t *testing.T) {
	in := `{"fault":"Redis restart","devices":200,"interval_s":3,"outage_s":9.2,"outage_slots":3,"slots":8,"cycles_lost":3,"recover_s":3,"notes":"SIGTERM"}` + "\n\n" +
		`{"fault":"API restart","devices":200,"interval_s":3,"slots":4}` + "\n"
	got, err := chaos.ReadResults(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []chaos.Result{
		{Fault: "Redis restart", Devices: 200, IntervalS: 3, OutageS: 9.2, OutageSlots: 3, Slots: 8, CyclesLost: 3, RecoverS: 3, Notes: "SIGTERM"},
		{Fault: "API restart", Devices: 200, IntervalS: 3, Slots: 4},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("results (-want +got):\n%s", diff)
	}
	table := chaos.Table(got)
	if !strings.Contains(table, "| Redis restart | 200 devices, 3s | 9.2s | 8 | 3 (3) | 0 | 0 | 0 / 0 | 0 / 0 | 3.0 | SIGTERM |") {
		t.Errorf("table:\n%s", table)
	}
	if _, err := chaos.ReadResults(strings.NewReader("{")); err == nil {
		t.Error("a broken line was accepted")
	}
}

func TestReplaceSection(t *testing.T) {
	cases := []struct {
		name, doc, want string
		bad             bool
	}{
		{"replaces", "a\n<!-- s:begin -->\nold\n<!-- s:end -->\nb", "a\n<!-- s:begin -->\nnew\n<!-- s:end -->\nb", false},
		{"no markers", "a b", "", true},
		{"reversed", "<!-- s:end --> <!-- s:begin -->", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := chaos.ReplaceSection(tc.doc, "s", "new\n")
			if (err != nil) != tc.bad {
				t.Fatalf("err = %v, want error %v", err, tc.bad)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
