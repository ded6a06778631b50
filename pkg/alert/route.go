package alert

import "slices"

// notify attaches a notification for channels to ev. Firing and repeat add the channels to
// the alert's notified set, which its resolve goes to.
func (p *pass) notify(ev *Event, d *Device, kind string, channels []int64) {
	if len(channels) == 0 {
		return
	}
	a := ev.Change.Alert
	ev.Notify = &Notification{Channels: channels, Message: p.message(ev.Change, d, kind)}
	if kind != NotifyResolved {
		for _, c := range channels {
			if !slices.Contains(a.NotifiedChannels, c) {
				a.NotifiedChannels = append(a.NotifiedChannels, c)
			}
		}
		a.LastNotifiedAt = tptr(p.now)
	}
	p.res.Stats.Notifications += len(channels)
}

// message builds what a notification says. AlertID and Incident.ID of rows created in this
// pass are filled in when the pass is saved.
func (p *pass) message(ch *AlertChange, d *Device, kind string) Message {
	a := ch.Alert
	m := NewMessage(a, d, kind, p.now)
	if d != nil {
		if a.Kind.Reachability() {
			if inc := p.parents.incidentOf(d.ID); inc != nil {
				m.Incident = &IncidentRef{ID: inc.ID, RootDeviceID: inc.RootDeviceID, Title: inc.Title, Affected: inc.AffectedCount}
			}
		}
	}
	return m
}

// routesFor lists the channels subscribed to an alert of severity sev on device d (nil for a
// system alert, which only channels scoped to everything receive).
func (p *pass) routesFor(sev Severity, d *Device) []int64 {
	var out []int64
	for i := range p.in.Routes {
		rt := &p.in.Routes[i]
		if len(rt.Severities) > 0 && !slices.Contains(rt.Severities, sev) {
			continue
		}
		if d == nil && !rt.Scope.IsAll() || d != nil && !rt.Scope.Matches(d) {
			continue
		}
		out = append(out, rt.ChannelID)
	}
	return out
}

// enabledOf keeps the channels that still exist and are enabled.
func (p *pass) enabledOf(ids []int64) []int64 {
	var out []int64
	for _, id := range ids {
		for i := range p.in.Routes {
			if p.in.Routes[i].ChannelID == id {
				out = append(out, id)
				break
			}
		}
	}
	return out
}
