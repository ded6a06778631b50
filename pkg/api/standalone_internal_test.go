package api

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/store"
)

// TestEncodeStandaloneMatchesEncodingJSON checks the hand-written encoder against encoding/json
// on awkward values: nulls, escapes, HTML characters, control characters, odd floats.
func TestEncodeStandaloneMatchesEncodingJSON(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	p := int64(7)
	now := time.Date(2026, 11, 28, 18, 0, 0, 123456789, time.UTC)
	rows := []store.StandaloneRow{
		{ID: 1, Name: `a "quoted" \ name <b>&`, IP: "127.0.0.1", Branch: "br\tanch", Region: "r\x01", Type: "router",
			ParentID: &p, Status: "up", RTTMS: f(0.123456789), LossPct: f(0), JitterMS: f(1e-7), LastSeen: &now, LastChange: now},
		{ID: 2, Name: "ümlaut-日本", IP: "::1", Status: "unknown", LastChange: now, RTTMS: f(123456789.5)},
	}
	for _, tc := range []struct {
		name string
		rows []store.StandaloneRow
	}{{"rows", rows}, {"empty", []store.StandaloneRow{}}} {
		t.Run(tc.name, func(t *testing.T) {
			var got, want any
			if err := json.Unmarshal(encodeStandalone(tc.rows), &got); err != nil {
				t.Fatalf("hand-written JSON does not parse: %v", err)
			}
			std, _ := json.Marshal(map[string]any{"devices": tc.rows, "count": len(tc.rows)})
			if err := json.Unmarshal(std, &want); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("standalone JSON differs from encoding/json (-want +got):\n%s", d)
			}
		})
	}
}
