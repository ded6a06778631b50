package alert

import (
	"math"
	"slices"
	"time"
)

// step advances one key by one observation, then settles its alert.
func (p *pass) step(r *Rule, di int32, subject string, e *entry, o obs, v float64) {
	if e == nil {
		k := Key{RuleID: r.ID, DeviceID: p.deviceID(di), Subject: subject}
		e = &entry{st: &State{Key: k, Value: math.NaN()}}
		p.addEntry(e)
	}
	e.seen = true
	st := e.st
	if o != obsNone {
		st.Value = v
	}
	switch o {
	case obsBad:
		st.GoodCount = 0
		if !st.Active && !st.Latched {
			st.BadCount++
			if st.BadCount >= r.ForCycles {
				st.Active, st.BadCount = true, 0
				p.changed(e, r)
			}
		}
	case obsGood:
		st.BadCount, st.Latched = 0, false
		if st.Active {
			st.GoodCount++
			if st.GoodCount >= r.RecoverCycles {
				st.Active, st.GoodCount = false, 0
				p.changed(e, r)
			}
		}
	}
	p.settle(r, di, e)
}

// changed records an Active change for flap detection.
func (p *pass) changed(e *entry, r *Rule) {
	st := e.st
	if r.FlapChanges == 0 {
		st.Changes = nil
		return
	}
	st.Changes = append(p.pruneChanges(st.Changes, r), p.nowMS)
	if !st.Flapping && len(st.Changes) >= r.FlapChanges {
		st.Flapping = true
	}
}

func (p *pass) pruneChanges(c []int64, r *Rule) []int64 {
	from := p.nowMS - int64(r.FlapWindowS)*1000
	i := 0
	for i < len(c) && c[i] <= from {
		i++
	}
	if i == len(c) {
		return nil
	}
	return c[i:]
}

// flapCheck ends flapping once the key has been stable for the flap window.
func (p *pass) flapCheck(e *entry, r *Rule) {
	st := e.st
	if len(st.Changes) == 0 {
		return
	}
	st.Changes = p.pruneChanges(st.Changes, r)
	if st.Flapping && len(st.Changes) == 0 {
		st.Flapping = false
	}
}

// settle brings the key's alert in line with its state.
func (p *pass) settle(r *Rule, di int32, e *entry) {
	st := e.st
	p.flapCheck(e, r)
	a := st.Alert
	switch {
	case a == nil && st.Active && !st.Latched:
		p.open(r, di, e)
	case a == nil:
	case !st.Active && !st.Flapping:
		p.resolve(di, e, "recovered")
	default:
		p.maintain(r, di, e)
	}
}

// open creates the key's alert: suppressed in maintenance or behind a down parent, else firing
// (and sent unless flapping).
func (p *pass) open(r *Rule, di int32, e *entry) {
	st, d := e.st, p.device(di)
	a := &Alert{RuleID: r.ID, RuleName: r.Name, Kind: r.Kind, DeviceID: st.DeviceID, Subject: st.Subject,
		Severity: r.Severity, State: StateFiring, Flapping: st.Flapping, Value: fptr(st.Value),
		Summary: summary(r, d, st.Subject, st.Value), StartedAt: p.now, UpdatedAt: p.now}
	if d != nil {
		a.DeviceName = d.Name
	}
	if r.Kind.Thresholded() {
		a.Threshold = fptr(r.Threshold)
	}
	ch := &AlertChange{Key: st.Key, Alert: a, New: true}
	e.change, st.Alert = ch, a
	p.res.Alerts = append(p.res.Alerts, ch)
	if reason, win, root := p.suppression(r.Kind, di); reason != "" {
		a.State, a.SuppressedReason, a.MaintenanceID = StateSuppressed, reason, win
		p.linkIncident(ch, root)
		p.event(ch, EventSuppressed, "", StateSuppressed).Detail = map[string]any{"reason": reason}
		p.res.Stats.Suppressed++
		return
	}
	if d != nil && r.Kind.Reachability() {
		if inc := p.parents.incidentOf(d.ID); inc != nil { // the root of an incident: its alert heads it
			ch.IncidentRoot, a.IncidentID = d.ID, inc.ID
		}
	}
	ev := p.event(ch, EventFired, "", StateFiring)
	p.res.Stats.Fired++
	if st.Flapping {
		p.event(ch, EventFlapping, StateFiring, StateFiring)
		return
	}
	p.notify(ev, d, NotifyFiring, p.routesFor(a.Severity, d))
}

// resolve closes the key's alert; the resolve is sent to every channel that was told it fired.
func (p *pass) resolve(di int32, e *entry, reason string) {
	a := e.st.Alert
	ch := p.touch(e)
	from := a.State
	a.State, a.ResolvedAt = StateResolved, tptr(p.now)
	if !math.IsNaN(e.st.Value) {
		a.Value = fptr(e.st.Value)
	}
	ev := p.event(ch, EventResolved, from, StateResolved)
	ev.Detail = map[string]any{"reason": reason}
	if len(a.NotifiedChannels) > 0 {
		p.notify(ev, p.device(di), NotifyResolved, p.enabledOf(a.NotifiedChannels))
	}
	e.st.Alert = nil
	p.res.Stats.Resolved++
}

// maintain handles an open alert whose condition holds (or is held by flapping).
func (p *pass) maintain(r *Rule, di int32, e *entry) {
	st, a := e.st, e.st.Alert
	if a.Flapping != st.Flapping {
		kind := EventFlapEnd
		if st.Flapping {
			kind = EventFlapping
		}
		p.touch(e)
		a.Flapping = st.Flapping
		p.event(e.change, kind, a.State, a.State)
	}
	switch a.State {
	case StateSuppressed:
		p.maintainSuppressed(r, di, e)
	case StateAcknowledged:
		if a.AckExpiresAt != nil && !p.now.Before(*a.AckExpiresAt) {
			ch := p.touch(e)
			a.State, a.AckExpiresAt = StateFiring, nil
			p.event(ch, EventAckExpired, StateAcknowledged, StateFiring)
			p.maintainFiring(r, di, e)
		}
	case StateFiring:
		p.maintainFiring(r, di, e)
	}
}

func (p *pass) maintainFiring(r *Rule, di int32, e *entry) {
	st, a := e.st, e.st.Alert
	if st.Flapping || !st.Active {
		return // held until stable
	}
	if _, inMaint := p.maint[di]; inMaint && di >= 0 {
		return // recorded, not sent
	}
	d := p.device(di)
	if len(a.NotifiedChannels) == 0 { // held by flapping, or no channel matched before
		if routes := p.routesFor(a.Severity, d); len(routes) > 0 {
			ch := p.touch(e)
			p.notify(p.event(ch, EventFired, StateFiring, StateFiring), d, NotifyFiring, routes)
		}
		return
	}
	if r.RepeatMinutes > 0 && a.LastNotifiedAt != nil &&
		p.now.Sub(*a.LastNotifiedAt) >= time.Duration(r.RepeatMinutes)*time.Minute {
		ch := p.touch(e)
		p.notify(p.event(ch, EventRepeat, StateFiring, StateFiring), d, NotifyRepeat, p.routesFor(a.Severity, d))
	}
}

// maintainSuppressed releases a suppressed alert whose reason is gone and whose condition
// still holds: it fires on its own. One still recovering stays suppressed and resolves quietly.
func (p *pass) maintainSuppressed(r *Rule, di int32, e *entry) {
	st, a := e.st, e.st.Alert
	reason, win, root := p.suppression(a.Kind, di)
	if reason == "" {
		if !st.Active {
			return
		}
		ch := p.touch(e)
		a.State, a.SuppressedReason, a.MaintenanceID = StateFiring, "", 0
		ev := p.event(ch, EventReleased, StateSuppressed, StateFiring)
		if !st.Flapping {
			d := p.device(di)
			p.notify(ev, d, NotifyFiring, p.routesFor(a.Severity, d))
		}
		return
	}
	if reason != a.SuppressedReason || win != a.MaintenanceID {
		ch := p.touch(e)
		a.SuppressedReason, a.MaintenanceID = reason, win
		p.linkIncident(ch, root)
		p.event(ch, EventReason, StateSuppressed, StateSuppressed).Detail = map[string]any{"reason": reason}
	}
	_ = r
}

// finishOrphans resolves the alerts of keys the pass did not visit: their rule was disabled or
// deleted, their device removed, disabled or moved out of scope, or their interface is gone.
func (p *pass) finishOrphans() {
	var keys []Key
	for k, e := range p.states {
		if e.seen {
			continue
		}
		if r := p.rules[k.RuleID]; r != nil && r.Kind.Source() != p.in.Source {
			continue // another pass's key
		}
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmpKey)
	for _, k := range keys {
		e := p.states[k]
		di, inSnap := p.devIdx[k.DeviceID]
		reason := "out of scope"
		switch {
		case p.rules[k.RuleID] == nil:
			reason = "rule disabled or deleted"
		case k.DeviceID != 0 && !inSnap:
			reason, di = "device removed or disabled", -1
		}
		if k.DeviceID == 0 {
			di = -1
		}
		if e.st.Alert != nil {
			p.resolve(di, e, reason)
		}
		*e.st = State{Key: k, Value: math.NaN(), Version: e.st.Version}
	}
}

// touch returns the change record of the key's open alert, creating it on first write.
func (p *pass) touch(e *entry) *AlertChange {
	a := e.st.Alert
	if e.change == nil || e.change.Alert != a {
		e.change = &AlertChange{Key: e.st.Key, Alert: a, BaseVersion: a.Version}
		p.res.Alerts = append(p.res.Alerts, e.change)
	}
	a.UpdatedAt = p.now
	return e.change
}

func (p *pass) event(ch *AlertChange, kind string, from, to AlertState) *Event {
	ev := &Event{Change: ch, Kind: kind, From: from, To: to, At: p.now}
	p.res.Events = append(p.res.Events, ev)
	return ev
}

func (p *pass) device(di int32) *Device {
	if di < 0 {
		return nil
	}
	return &p.snap.Devices[di]
}

func (p *pass) deviceID(di int32) int64 {
	if di < 0 {
		return 0
	}
	return p.snap.Devices[di].ID
}

func fptr(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	return &v
}

func tptr(t time.Time) *time.Time { return &t }
