package alert

import (
	"slices"
	"time"
)

// PassInput is everything one evaluation pass reads. Evaluate takes ownership of States and
// Incidents and updates them in place.
type PassInput struct {
	Source Source
	Now    time.Time
	// Snapshot is the latest monitoring state.
	Snapshot *Snapshot
	// Rules are the enabled rules (of every source; the pass picks its own).
	Rules []Rule
	// States are the stored states of this source's rules plus those of rules that no longer
	// exist or are disabled, each with its open alert.
	States []*State
	// Incidents are the open incidents.
	Incidents []*Incident
	// Windows are the enabled maintenance windows.
	Windows []Window
	// Routes are the enabled channels' subscriptions.
	Routes []Route
}

// Result is what a pass changed: the writes of one transaction and the notifications to send.
type Result struct {
	Source Source
	Now    time.Time
	// States to insert or update; DeletedStates to remove (each with the version read).
	States        []*State
	DeletedStates []*State
	// Alerts created (ID 0) or changed.
	Alerts []*AlertChange
	// Events in order, each on one of Alerts.
	Events []*Event
	// Incidents created (ID 0) or changed.
	Incidents []*Incident
	// Maintenance maps each device in an active window to the window (ping passes only; nil
	// otherwise).
	Maintenance map[int64]int64
	Stats       Stats
}

// AlertChange is an alert written by a pass.
type AlertChange struct {
	Key   Key
	Alert *Alert
	New   bool
	// BaseVersion is the version the pass read: the update applies only if the stored row still
	// has it (an ack or close by hand in the meantime wins; the key is re-evaluated next pass).
	BaseVersion int
	// IncidentRoot is the root device of the incident the alert belongs to (0: none); it links
	// alerts to incidents created in the same pass.
	IncidentRoot int64
}

// Event is one entry of an alert's history, with the notification it triggers (if any).
type Event struct {
	Change  *AlertChange
	Kind    string
	From    AlertState
	To      AlertState
	At      time.Time
	Actor   string
	Comment string
	Detail  map[string]any
	Notify  *Notification
}

// Alert event kinds.
const (
	EventFired          = "fired"
	EventSuppressed     = "suppressed"
	EventReleased       = "released"
	EventResolved       = "resolved"
	EventRepeat         = "repeat"
	EventFlapping       = "flapping"
	EventFlapEnd        = "flap_end"
	EventAckExpired     = "ack_expired"
	EventAcknowledged   = "acknowledged"
	EventUnacknowledged = "unacknowledged"
	EventClosed         = "closed"
	EventReason         = "suppression_changed"
)

// Notification is one message to a set of channels.
type Notification struct {
	Channels []int64
	Message  Message
}

// Stats counts what a pass did.
type Stats struct {
	Rules         int `json:"rules"`
	Devices       int `json:"devices"`
	Evaluations   int `json:"evaluations"`
	Fired         int `json:"fired"`
	Suppressed    int `json:"suppressed"`
	Resolved      int `json:"resolved"`
	Notifications int `json:"notifications"`
}

type entry struct {
	st     *State
	seen   bool
	loaded bool
	sig    stateSig
	change *AlertChange
}

// stateSig is the part of a State whose change needs a write.
type stateSig struct {
	bad, good                 int
	active, flapping, latched bool
	nChanges                  int
	lastChange                int64
	alert                     *Alert
}

func sigOf(s *State) stateSig {
	g := stateSig{bad: s.BadCount, good: s.GoodCount, active: s.Active, flapping: s.Flapping,
		latched: s.Latched, nChanges: len(s.Changes), alert: s.Alert}
	if n := len(s.Changes); n > 0 {
		g.lastChange = s.Changes[n-1]
	}
	return g
}

// same ignores Value on purpose: a value that moves every cycle is not worth a write.
func (a stateSig) same(b stateSig) bool { return a == b }

// pass is one evaluation in progress.
type pass struct {
	in     *PassInput
	now    time.Time
	nowMS  int64
	snap   *Snapshot
	devIdx map[int64]int32
	scopes *scopeIndex
	states map[Key]*entry
	// devStates indexes the subject-less entries by rule and device: int64 keys hash faster
	// than Key, and per-device rules are most of the lookups.
	devStates map[int64]map[int64]*entry
	perRule   map[int64]int
	rules     map[int64]*Rule
	maint     map[int32]int64
	parents   *parentInfo
	ifByDev   map[int64][]*Interface
	res       *Result
}

// Evaluate runs one pass of every enabled rule of in.Source over in.Snapshot. It is pure: all
// I/O is the caller's.
func Evaluate(in *PassInput) *Result {
	p := newPass(in)
	p.maint = p.maintenance()
	p.parents = p.buildParents()
	if in.Source == SourcePing {
		p.updateIncidents()
	}
	for i := range in.Rules {
		r := &in.Rules[i]
		if r.Enabled && r.Kind.Source() == in.Source {
			p.res.Stats.Rules++
			p.evalRule(r)
		}
	}
	p.finishOrphans()
	p.collectStates()
	return p.res
}

func newPass(in *PassInput) *pass {
	snap := in.Snapshot
	if snap == nil {
		snap = &Snapshot{}
	}
	p := &pass{in: in, now: in.Now.UTC(), nowMS: in.Now.UnixMilli(), snap: snap,
		devIdx: make(map[int64]int32, len(snap.Devices)), states: make(map[Key]*entry, len(in.States)),
		devStates: map[int64]map[int64]*entry{}, perRule: map[int64]int{}, rules: map[int64]*Rule{},
		res: &Result{Source: in.Source, Now: in.Now.UTC()}}
	for i := range snap.Devices {
		p.devIdx[snap.Devices[i].ID] = int32(i)
	}
	p.scopes = newScopeIndex(snap, p.devIdx)
	for _, st := range in.States {
		p.perRule[st.RuleID]++
	}
	for _, st := range in.States {
		p.addEntry(&entry{st: st, loaded: true, sig: sigOf(st)})
	}
	for i := range in.Rules {
		if in.Rules[i].Enabled {
			p.rules[in.Rules[i].ID] = &in.Rules[i]
		}
	}
	p.res.Stats.Devices = len(snap.Devices)
	return p
}

func (p *pass) addEntry(e *entry) {
	k := e.st.Key
	p.states[k] = e
	if k.Subject == "" {
		m := p.devStates[k.RuleID]
		if m == nil {
			m = make(map[int64]*entry, p.perRule[k.RuleID])
			p.devStates[k.RuleID] = m
		}
		m[k.DeviceID] = e
	}
}

// maintenance maps device index → active window id. Windows are few; devices are many: each
// window's targets go through the scope index.
func (p *pass) maintenance() map[int32]int64 {
	out := map[int32]int64{}
	for i := range p.in.Windows {
		w := &p.in.Windows[i]
		if !w.ActiveAt(p.now, nil) {
			continue
		}
		idx, all := p.scopes.devices(w.Targets)
		if all { // validation forbids it; never put the whole fleet in maintenance by accident
			continue
		}
		for _, di := range idx {
			if _, ok := out[di]; !ok {
				out[di] = w.ID
			}
		}
	}
	if p.in.Source == SourcePing {
		p.res.Maintenance = make(map[int64]int64, len(out))
		for di, w := range out {
			p.res.Maintenance[p.snap.Devices[di].ID] = w
		}
	}
	return out
}

// collectStates lists the states to write or delete (sorted, for stable writes).
func (p *pass) collectStates() {
	for _, e := range p.states {
		switch {
		case e.st.empty():
			if e.loaded {
				p.res.DeletedStates = append(p.res.DeletedStates, e.st)
			}
		case !e.loaded || !sigOf(e.st).same(e.sig) || e.change != nil:
			p.res.States = append(p.res.States, e.st)
		}
	}
	byKey := func(a, b *State) int { return cmpKey(a.Key, b.Key) }
	slices.SortFunc(p.res.DeletedStates, byKey)
	slices.SortFunc(p.res.States, byKey)
}

func cmpKey(a, b Key) int {
	switch {
	case a.RuleID != b.RuleID:
		return cmpInt(a.RuleID, b.RuleID)
	case a.DeviceID != b.DeviceID:
		return cmpInt(a.DeviceID, b.DeviceID)
	case a.Subject < b.Subject:
		return -1
	case a.Subject > b.Subject:
		return 1
	}
	return 0
}

func cmpInt(a, b int64) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}
