package alert

import (
	"cmp"
	"slices"

	"github.com/wardops/wardops/pkg/device"
)

// maxDepth bounds walks up the parent chain (and breaks cycles in bad data).
const maxDepth = 64

// parentInfo answers "is this device behind a down parent, and under which incident?".
type parentInfo struct {
	p         *pass
	parentIdx []int32
	// downRoot memoises the topmost down ancestor of the chain of down ancestors starting at
	// the parent (-1: parent not down, -2: not computed yet).
	downRoot []int32
	// graceRoots are roots whose incident is still open although the root is up again: their
	// children keep their suppression for that one cycle.
	graceRoots map[int32]*Incident
	byRoot     map[int64]*Incident
}

func (p *pass) buildParents() *parentInfo {
	n := len(p.snap.Devices)
	pi := &parentInfo{p: p, parentIdx: make([]int32, n), downRoot: make([]int32, n),
		graceRoots: map[int32]*Incident{}, byRoot: map[int64]*Incident{}}
	for i := range p.snap.Devices {
		pi.parentIdx[i], pi.downRoot[i] = -1, -2
		if par := p.snap.Devices[i].ParentID; par != 0 {
			if j, ok := p.devIdx[par]; ok {
				pi.parentIdx[i] = j
			}
		}
	}
	for _, inc := range p.in.Incidents {
		if inc.State != IncidentOpen {
			continue
		}
		pi.byRoot[inc.RootDeviceID] = inc
		// Ping passes decide grace in updateIncidents; other passes follow the open incidents.
		if ri, ok := p.devIdx[inc.RootDeviceID]; ok && p.in.Source != SourcePing && !pi.down(ri) {
			pi.graceRoots[ri] = inc
		}
	}
	return pi
}

func (pi *parentInfo) down(i int32) bool { return pi.p.snap.Devices[i].Status == device.Down }

func (pi *parentInfo) downRootOf(i int32) int32 { return pi.downRootAt(i, 0) }

func (pi *parentInfo) downRootAt(i int32, depth int) int32 {
	if v := pi.downRoot[i]; v != -2 {
		return v
	}
	res := int32(-1)
	if par := pi.parentIdx[i]; par >= 0 && pi.down(par) && depth < maxDepth {
		res = par
		if up := pi.downRootAt(par, depth+1); up >= 0 {
			res = up
		}
	}
	pi.downRoot[i] = res
	return res
}

// blockedBy returns the root device index a device's reachability alerts are suppressed
// under, or -1.
func (pi *parentInfo) blockedBy(i int32) int32 {
	if r := pi.downRootOf(i); r >= 0 {
		return r
	}
	if len(pi.graceRoots) == 0 {
		return -1
	}
	a := pi.parentIdx[i]
	for depth := 0; a >= 0 && depth < maxDepth; depth++ {
		if _, ok := pi.graceRoots[a]; ok {
			return a
		}
		a = pi.parentIdx[a]
	}
	return -1
}

func (pi *parentInfo) incidentOf(rootID int64) *Incident { return pi.byRoot[rootID] }

// suppression says why a new or suppressed alert of kind k on device di must not be sent:
// maintenance (any kind), or a down parent (reachability kinds); root is the parent's index.
func (p *pass) suppression(k Kind, di int32) (reason string, window int64, root int32) {
	if di < 0 {
		return "", 0, -1
	}
	if w, ok := p.maint[di]; ok {
		return ReasonMaintenance, w, -1
	}
	if k.Reachability() {
		if r := p.parents.blockedBy(di); r >= 0 {
			return ReasonParent, 0, r
		}
	}
	return "", 0, -1
}

// linkIncident puts an alert under the incident of root (a device index; -1: none).
func (p *pass) linkIncident(ch *AlertChange, root int32) {
	if root < 0 {
		return
	}
	id := p.snap.Devices[root].ID
	ch.IncidentRoot = id
	if inc := p.parents.byRoot[id]; inc != nil {
		ch.Alert.IncidentID = inc.ID
	}
}

// updateIncidents opens an incident for every down root with down devices behind it, keeps
// the counts current, gives a recovered root one grace cycle and then resolves its incident.
func (p *pass) updateIncidents() {
	pi := p.parents
	affected := map[int32]int{}
	for i := range p.snap.Devices {
		if pi.down(int32(i)) {
			if r := pi.downRootOf(int32(i)); r >= 0 {
				affected[r]++
			}
		}
	}
	roots := make([]int32, 0, len(affected))
	for r := range affected {
		roots = append(roots, r)
	}
	slices.Sort(roots)
	open := make([]*Incident, 0, len(pi.byRoot))
	for _, inc := range pi.byRoot {
		open = append(open, inc)
	}
	slices.SortFunc(open, func(a, b *Incident) int { return cmp.Compare(a.RootDeviceID, b.RootDeviceID) })
	for _, r := range roots {
		p.holdIncident(r, affected[r])
	}
	for _, inc := range open {
		ri, ok := p.devIdx[inc.RootDeviceID]
		if ok && affected[ri] > 0 {
			continue
		}
		p.releaseIncident(inc, ri, ok)
	}
}

// holdIncident opens or refreshes the incident of a down root.
func (p *pass) holdIncident(r int32, n int) {
	root := &p.snap.Devices[r]
	inc := p.parents.byRoot[root.ID]
	title := incidentTitle(root, n)
	if inc == nil {
		inc = &Incident{RootDeviceID: root.ID, RootName: root.Name, Branch: root.Branch, Title: title,
			State: IncidentOpen, AffectedCount: n, OpenedAt: p.now, UpdatedAt: p.now}
		p.parents.byRoot[root.ID] = inc
		p.res.Incidents = append(p.res.Incidents, inc)
		return
	}
	if inc.AffectedCount != n || inc.Title != title || inc.RootUpSince != nil {
		inc.AffectedCount, inc.Title, inc.RootUpSince, inc.UpdatedAt = n, title, nil, p.now
		p.res.Incidents = append(p.res.Incidents, inc)
	}
}

// releaseIncident handles an open incident with nothing down behind its root: kept while the
// root is down, one grace cycle once it is up, then resolved.
func (p *pass) releaseIncident(inc *Incident, ri int32, inSnap bool) {
	switch {
	case inSnap && p.parents.down(ri):
		if inc.AffectedCount != 0 || inc.RootUpSince != nil {
			inc.AffectedCount, inc.RootUpSince, inc.UpdatedAt = 0, nil, p.now
			inc.Title = incidentTitle(&p.snap.Devices[ri], 0)
			p.res.Incidents = append(p.res.Incidents, inc)
		}
	case inSnap && inc.RootUpSince == nil:
		inc.RootUpSince, inc.UpdatedAt = tptr(p.now), p.now
		p.parents.graceRoots[ri] = inc
		p.res.Incidents = append(p.res.Incidents, inc)
	default:
		inc.State, inc.ResolvedAt, inc.UpdatedAt = IncidentResolved, tptr(p.now), p.now
		delete(p.parents.byRoot, inc.RootDeviceID)
		p.res.Incidents = append(p.res.Incidents, inc)
	}
}
