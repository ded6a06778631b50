package alert

import (
	"encoding/json"
	"slices"
)

// Scope selects devices. Fields combine with AND, values within a field with OR; an empty
// Scope selects every device. Labels must all be present with the given values.
type Scope struct {
	Regions  []string          `json:"regions,omitempty"`
	Branches []string          `json:"branches,omitempty"`
	Types    []string          `json:"types,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
	Devices  []int64           `json:"devices,omitempty"`
	// Interfaces narrows a per-interface rule (if_down, if_util_pct, if_error_rate) to some
	// interfaces of the selected devices (ifscope.go); it does not select devices.
	Interfaces *IfScope `json:"interfaces,omitempty"`
}

// IsAll reports whether the scope selects every device (Interfaces does not count).
func (s Scope) IsAll() bool {
	return len(s.Regions) == 0 && len(s.Branches) == 0 && len(s.Types) == 0 && len(s.Labels) == 0 && len(s.Devices) == 0
}

// Matches reports whether d is in the scope.
func (s Scope) Matches(d *Device) bool {
	if len(s.Devices) > 0 && !slices.Contains(s.Devices, d.ID) {
		return false
	}
	if len(s.Regions) > 0 && !slices.Contains(s.Regions, d.Region) {
		return false
	}
	if len(s.Branches) > 0 && !slices.Contains(s.Branches, d.Branch) {
		return false
	}
	if len(s.Types) > 0 && !slices.Contains(s.Types, d.Type) {
		return false
	}
	for k, v := range s.Labels {
		if got, ok := d.Labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// scopeIndex finds the devices of a scope without scanning the fleet for each rule: the
// lists by branch, region and type are built once per pass, on first use.
type scopeIndex struct {
	snap     *Snapshot
	byID     map[int64]int32
	byBranch map[string][]int32
	byRegion map[string][]int32
	byType   map[string][]int32
	byLabel  map[string][]int32
	// memo holds the answer per scope: rules often share one (a kind per scope).
	memo map[string][]int32
}

func newScopeIndex(snap *Snapshot, byID map[int64]int32) *scopeIndex {
	return &scopeIndex{snap: snap, byID: byID, memo: map[string][]int32{}}
}

// devices returns the indexes of the devices in scope s, or nil and all=true for every device.
func (x *scopeIndex) devices(s Scope) (idx []int32, all bool) {
	if s.IsAll() {
		return nil, true
	}
	key, _ := json.Marshal(s) // maps marshal with sorted keys: equal scopes give equal keys
	if idx, ok := x.memo[string(key)]; ok {
		return idx, false
	}
	idx = x.find(s)
	x.memo[string(key)] = idx
	return idx, false
}

func (x *scopeIndex) find(s Scope) []int32 {
	var cand []int32
	switch {
	case len(s.Devices) > 0:
		for _, id := range s.Devices {
			if i, ok := x.byID[id]; ok {
				cand = append(cand, i)
			}
		}
	case len(s.Branches) > 0:
		cand = x.union(&x.byBranch, func(d *Device) string { return d.Branch }, s.Branches)
	case len(s.Regions) > 0:
		cand = x.union(&x.byRegion, func(d *Device) string { return d.Region }, s.Regions)
	case len(s.Types) > 0:
		cand = x.union(&x.byType, func(d *Device) string { return d.Type }, s.Types)
	default:
		cand = x.labelled(s.Labels)
	}
	out := cand[:0:0]
	for _, i := range cand {
		if s.Matches(&x.snap.Devices[i]) {
			out = append(out, i)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// labelled returns the devices carrying one of the scope's label pairs (the shortest list).
func (x *scopeIndex) labelled(labels map[string]string) []int32 {
	if x.byLabel == nil {
		x.byLabel = map[string][]int32{}
		for i := range x.snap.Devices {
			for k, v := range x.snap.Devices[i].Labels {
				x.byLabel[k+"\x00"+v] = append(x.byLabel[k+"\x00"+v], int32(i))
			}
		}
	}
	var best []int32
	first := true
	for k, v := range labels {
		if l := x.byLabel[k+"\x00"+v]; first || len(l) < len(best) {
			best, first = l, false
		}
	}
	return best
}

func (x *scopeIndex) union(m *map[string][]int32, field func(*Device) string, values []string) []int32 {
	if *m == nil {
		*m = map[string][]int32{}
		for i := range x.snap.Devices {
			f := field(&x.snap.Devices[i])
			(*m)[f] = append((*m)[f], int32(i))
		}
	}
	var out []int32
	for _, v := range values {
		out = append(out, (*m)[v]...)
	}
	return out
}
