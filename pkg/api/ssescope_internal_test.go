package api

import (
	"encoding/json"
	"testing"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/events"
)

// TestScopeFilter decides events from their type and data alone, as the SSE hub's
// per-subscriber filter.
func TestScopeFilter(t *testing.T) {
	places := map[int64][2]string{1: {"A", "A-1"}, 2: {"C", "B"}, 3: {"C", "C-1"}}
	place := func(id int64) (string, string, bool) { p, ok := places[id]; return p[0], p[1], ok }
	regionA := scopeFilter(auth.Scope{Regions: []string{"A"}}, place)
	branchB := scopeFilter(auth.Scope{Branches: []string{"B"}}, place)
	all := scopeFilter(auth.Scope{}, place)
	cases := []struct {
		name, payload    string
		regionA, branchB bool
	}{
		{"status in A", `{"type":"status","data":{"device_id":1,"to":"down"}}`, true, false},
		{"status in B", `{"type":"status","data":{"device_id":2}}`, false, true},
		{"status elsewhere", `{"type":"status","data":{"device_id":3}}`, false, false},
		{"alert in A", `{"type":"alert","data":{"event":"fired","alert":{"id":9,"device_id":1}}}`, true, false},
		{"alert in B", `{"type":"alert","data":{"alert":{"device_id":2}}}`, false, true},
		{"system alert", `{"type":"alert","data":{"alert":{"device_id":0}}}`, false, false},
		{"unknown device", `{"type":"status","data":{"device_id":77}}`, false, false},
		{"alert naming a device at the top only", `{"type":"alert","data":{"device_id":1,"alert":{}}}`, false, false},
		{"other type", `{"type":"cycle","data":{"device_id":1}}`, false, false},
		{"not JSON", `data`, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var p events.Event // what the hub hands each filter; undecodable: the zero event
			_ = json.Unmarshal([]byte(c.payload), &p)
			if got := []bool{regionA(p), branchB(p), all(p)}; got[0] != c.regionA || got[1] != c.branchB || !got[2] {
				t.Errorf("region A, branch B, unscoped = %v, want %v, %v, true", got, c.regionA, c.branchB)
			}
		})
	}
}
