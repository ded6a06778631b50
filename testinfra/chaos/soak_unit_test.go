package chaos_test

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wardops/wardops/testinfra/chaos"
)

func TestSlope(t *testing.T) {
	cases := []struct {
		name   string
		xs, ys []float64
		want   float64
	}{
		{"flat", []float64{0, 1, 2, 3}, []float64{5, 5, 5, 5}, 0},
		{"rising 2 per unit", []float64{0, 1, 2, 3}, []float64{1, 3, 5, 7}, 2},
		{"noisy, falling", []float64{0, 1, 2, 3}, []float64{10, 9, 9, 7}, -0.9},
		{"one point", []float64{1}, []float64{1}, 0},
		{"same x", []float64{1, 1}, []float64{1, 2}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, chaos.Slope(tc.xs, tc.ys), cmpopts.EquateApprox(0, 1e-9)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestTrendAndRising(t *testing.T) {
	xs := []float64{0, 1, 2, 3, 4, 5}
	cases := []struct {
		name      string
		ys        []float64
		slope, se float64
		limit     float64
		rising    bool
	}{
		{"steady climb", []float64{10, 12, 14, 16, 18, 20}, 2, 0, 1, true},
		{"climb below the limit", []float64{10, 12, 14, 16, 18, 20}, 2, 0, 3, false},
		// slope 1.43 ± 1.55: steeper than the limit but inside the noise
		{"noise", []float64{10, 20, 10, 20, 10, 24}, 25.0 / 17.5, 1.547435886597326, 1, false},
		{"falling", []float64{20, 18, 16, 14, 12, 10}, -2, 0, 1, false},
		{"flat", []float64{15, 15, 15, 15, 15, 15}, 0, 0, 0.75, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			slope, se := chaos.Trend(xs, tc.ys)
			if diff := cmp.Diff([]float64{tc.slope, tc.se}, []float64{slope, se}, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
				t.Errorf("Trend (-want +got):\n%s", diff)
			}
			if got := chaos.Rising(slope, se, tc.limit); got != tc.rising {
				t.Errorf("Rising(%v, %v, %v) = %v, want %v", slope, se, tc.limit, got, tc.rising)
			}
		})
	}
}

func TestSoakCSVAndSVG(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	samples := []chaos.SoakSample{
		{At: t0, RSSMB: map[string]float64{"api": 40}, Goroutines: map[string]float64{"api": 30}, HeapMB: map[string]float64{"api": 10},
			PGConns: map[string]int{"wardops-api": 3}, PGIdleInTx: 0, CompleteCycles: 1},
		{At: t0.Add(time.Minute), RSSMB: map[string]float64{"api": 42.25}, Goroutines: map[string]float64{"api": 31},
			HeapMB: map[string]float64{"api": 11}, PGConns: map[string]int{"wardops-api": 4}, PGIdleInTx: 1, CompleteCycles: 3},
	}
	var csv bytes.Buffer
	if err := chaos.WriteSoakCSV(&csv, samples, []string{"api"}, []string{"wardops-api"}); err != nil {
		t.Fatal(err)
	}
	want := "minute,complete_cycles,api_rss_mb,api_goroutines,api_heap_mb,pg_conns_wardops-api,pg_idle_in_transaction\n" +
		"0.0,1,40.0,30.0,10.0,3,0\n1.0,3,42.2,31.0,11.0,4,1\n"
	if diff := cmp.Diff(want, csv.String()); diff != "" {
		t.Errorf("csv (-want +got):\n%s", diff)
	}
	var svg bytes.Buffer
	err := chaos.PlotSVG(&svg, "soak <test>", []chaos.Panel{
		{Title: "rss", Unit: "MB", Series: []chaos.Series{{Name: "api", X: []float64{0, 1}, Y: []float64{40, 42.25}}}},
		{Title: "empty", Unit: "n"},
		{Title: "third", Unit: "n", Series: []chaos.Series{{Name: "a&b", X: []float64{0}, Y: []float64{0}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(svg.Bytes(), new(struct{})); err != nil {
		t.Errorf("not well-formed XML: %v", err)
	}
	for _, w := range []string{"soak &lt;test&gt;", "<polyline", "a&amp;b", `height="560"`} {
		if !strings.Contains(svg.String(), w) {
			t.Errorf("svg lacks %q", w)
		}
	}
}
