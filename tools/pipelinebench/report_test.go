package pipelinebench

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPercentile(t *testing.T) {
	for _, tc := range []struct {
		name string
		vs   []float64
		p    float64
		want float64
	}{
		{"none", nil, 99, 0},
		{"p50 of four is the second", []float64{19.1, 11.4, 15.8, 13.4}, 50, 13.4},
		{"p99 of four is the largest", []float64{19.1, 11.4, 15.8, 13.4}, 99, 19.1},
		{"one", []float64{7}, 50, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Percentile(tc.vs, tc.p); got != tc.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tc.vs, tc.p, got, tc.want)
			}
		})
	}
}

func TestSumMetric(t *testing.T) {
	page := `# HELP vm_rows_inserted_total x
vm_rows_inserted_total{type="promremotewrite"} 10
vm_rows_inserted_total{type="prometheus"} 32
vm_rows_inserted_totalx 1000
vm_rows 5
`
	if got := sumMetric(strings.NewReader(page), "vm_rows_inserted_total"); got != 42 {
		t.Errorf("sum = %v, want 42", got)
	}
}

func TestMerge(t *testing.T) {
	old := []Row{{Figure: "a", Measured: "1"}, {Figure: "b", Measured: "2"}}
	got := Merge(old, []Row{{Figure: "b", Measured: "3"}, {Figure: "c", Measured: "4"}})
	want := []Row{{Figure: "a", Measured: "1"}, {Figure: "b", Measured: "3"}, {Figure: "c", Measured: "4"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Merge (-want +got):\n%s", diff)
	}
}
