package alert

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// The problem list (issue 14) is what the overview, the wall and the alerts page show as "what
// is wrong now". It is built here, on the server, from every open alert and incident in the
// caller's scope, so that a page asks for a few kilobytes (the counts, the first rows, every
// critical row) instead of every open alert: at 5,000 firing alerts that was 2.3 MB of JSON
// in five sequential requests, sorted and folded in the browser.

// ProblemInput is what the problem list is built from.
type ProblemInput struct {
	// Alerts are the open alerts (firing, acknowledged, suppressed).
	Alerts []Alert
	// Incidents are the open incidents.
	Incidents []Incident
	// InMaintenance holds the devices whose stored status is maintenance.
	InMaintenance map[int64]bool
}

// ProblemRow is one row of the problem list: an open incident (its root alert and the alerts
// under it), or the open alerts of one device in one section folded into one row.
type ProblemRow struct {
	// Key identifies the row across loads (i<incident>, d/a/m<device> for a device's alerts
	// in the red list / acknowledged / in maintenance; s<alert> for a system alert).
	Key string `json:"key"`
	// Kind is incident, device (several alerts folded) or alert (one).
	Kind     string    `json:"kind"`
	Severity Severity  `json:"severity"`
	Since    time.Time `json:"since"`
	DeviceID int64     `json:"device_id,omitempty"`
	Device   string    `json:"device,omitempty"`
	// Count is the number of alerts in the row; Alerts holds the most urgent of them (at most
	// the per-row limit asked for), most urgent first.
	Count  int     `json:"count"`
	Kinds  int     `json:"kinds"`
	Alerts []Alert `json:"alerts"`
	// Incident and Root (its root alert, if open) are set on an incident row.
	Incident *Incident `json:"incident,omitempty"`
	Root     *Alert    `json:"root,omitempty"`
}

// ProblemSection is one part of the list: its rows (cut at the limit asked for, every
// critical row kept) and how many rows it has in all.
type ProblemSection struct {
	Rows  []ProblemRow `json:"rows"`
	Total int          `json:"total"`
}

// Problems is the problem list: Counts are the firing alerts by severity in the red list (not
// acknowledged, not in maintenance, not behind a down parent); Critical the ids of those of
// them that are critical (a page announces a new one); DeviceSeverity the worst severity of
// each device's firing or acknowledged alerts outside maintenance (the branch tiles).
type Problems struct {
	Counts         map[Severity]int   `json:"counts"`
	Critical       []int64            `json:"critical_ids"`
	DeviceSeverity map[int64]Severity `json:"device_severity"`
	Rows           ProblemSection     `json:"rows"`
	Acked          ProblemSection     `json:"acknowledged"`
	Muted          ProblemSection     `json:"maintenance"`
}

// SeverityRank ranks severities, most severe highest (0 for an unknown one).
func SeverityRank(s Severity) int {
	switch s {
	case SeverityCritical:
		return 4
	case SeverityMajor:
		return 3
	case SeverityMinor:
		return 2
	case SeverityWarning:
		return 1
	}
	return 0
}

// ProblemGroup is one row of the problem list before it is cut and filled with alerts: the
// store aggregates it in SQL (or GroupProblems from the alerts themselves).
type ProblemGroup struct {
	// Key is as ProblemRow.Key; Section is rows, acked or muted.
	Key, Section string
	DeviceID     int64
	Device       string
	// IncidentID is set on an incident's row.
	IncidentID int64
	Count      int
	Kinds      int
	Since      time.Time
	Severity   Severity
	// Firing counts the firing alerts by severity; Critical lists the firing criticals.
	Firing   map[Severity]int
	Critical []int64
}

// Problem list sections.
const (
	SectionRows  = "rows"
	SectionAcked = "acked"
	SectionMuted = "muted"
)

// GroupProblems folds the open alerts and incidents into the problem list's groups and the
// worst alert severity per device: the reference of the store's SQL (store.ProblemGroups),
// which must agree with it.
func GroupProblems(in ProblemInput) ([]ProblemGroup, map[int64]Severity, map[int64]string) {
	devSev := map[int64]Severity{}
	keyOf := map[int64]string{} // alert id → the key of its group
	incidents := map[int64]Incident{}
	for _, inc := range in.Incidents {
		incidents[inc.ID] = inc
	}
	groups := map[string]*ProblemGroup{}
	var order []string
	add := func(key string, a Alert) *ProblemGroup {
		g := groups[key]
		if g == nil {
			g = &ProblemGroup{Key: key, DeviceID: a.DeviceID, Device: a.DeviceName, Since: a.StartedAt, Firing: map[Severity]int{}}
			groups[key] = g
			order = append(order, key)
		}
		g.Count++
		if a.StartedAt.Before(g.Since) {
			g.Since = a.StartedAt
		}
		if SeverityRank(a.Severity) > SeverityRank(g.Severity) {
			g.Severity = a.Severity
		}
		if a.State == StateFiring {
			g.Firing[a.Severity]++
			if a.Severity == SeverityCritical {
				g.Critical = append(g.Critical, a.ID)
			}
		}
		return g
	}
	kinds := map[string]map[Kind]bool{}
	for _, a := range in.Alerts {
		maint := in.InMaintenance[a.DeviceID] || (a.State == StateSuppressed && a.SuppressedReason == "maintenance")
		if a.DeviceID != 0 && !maint && (a.State == StateFiring || a.State == StateAcknowledged) &&
			SeverityRank(a.Severity) > SeverityRank(devSev[a.DeviceID]) {
			devSev[a.DeviceID] = a.Severity
		}
		dev := fmt.Sprint(a.DeviceID)
		if a.DeviceID == 0 {
			dev = fmt.Sprintf("s%d", a.ID)
		}
		var key, section string
		if inc, ok := incidents[a.IncidentID]; ok && a.IncidentID != 0 {
			if a.State == StateSuppressed {
				continue // behind the down parent: the incident row counts its devices
			}
			key = fmt.Sprintf("i%d", inc.ID)
		} else {
			switch {
			case maint:
				key, section = "m"+dev, SectionMuted
			case a.State == StateSuppressed: // behind a down parent: its incident shows it
				continue
			case a.State == StateAcknowledged:
				key, section = "a"+dev, SectionAcked
			default:
				key, section = "d"+dev, SectionRows
			}
		}
		keyOf[a.ID] = key
		g := add(key, a)
		g.Section = section
		if kinds[key] == nil {
			kinds[key] = map[Kind]bool{}
		}
		kinds[key][a.Kind] = true
		g.Kinds = len(kinds[key])
	}
	out := make([]ProblemGroup, 0, len(order)+len(in.Incidents))
	for _, k := range order {
		if groups[k].Section != "" {
			out = append(out, *groups[k])
		}
	}
	for _, inc := range in.Incidents {
		key := fmt.Sprintf("i%d", inc.ID)
		g := groups[key]
		if g == nil {
			g = &ProblemGroup{Key: key, Since: inc.OpenedAt, Severity: SeverityCritical, Firing: map[Severity]int{}}
		}
		g.IncidentID, g.DeviceID, g.Device, g.Since = inc.ID, inc.RootDeviceID, inc.RootName, inc.OpenedAt
		g.Section = SectionRows
		for _, a := range in.Alerts {
			if a.ID == inc.AlertID && a.IncidentID == inc.ID && a.State != StateSuppressed {
				g.Severity = a.Severity // the root's, not the worst under it
				if a.State == StateAcknowledged {
					g.Section = SectionAcked
				}
			}
		}
		if in.InMaintenance[inc.RootDeviceID] {
			g.Section = SectionMuted
		}
		out = append(out, *g)
	}
	return out, devSev, keyOf
}

// CutProblems sorts the groups into the problem list: each section by severity, then age (the
// oldest first), cut at limit rows with every critical row kept. The rows have no alerts yet
// (Keys names the rows that need them; Fill puts them in).
func CutProblems(groups []ProblemGroup, incidents []Incident, devSev map[int64]Severity, limit int) Problems {
	p := Problems{Counts: map[Severity]int{SeverityCritical: 0, SeverityMajor: 0, SeverityMinor: 0, SeverityWarning: 0},
		Critical: []int64{}, DeviceSeverity: devSev}
	if p.DeviceSeverity == nil {
		p.DeviceSeverity = map[int64]Severity{}
	}
	byID := map[int64]Incident{}
	for _, inc := range incidents {
		byID[inc.ID] = inc
	}
	var rows, acked, muted []ProblemRow
	for _, g := range groups {
		r := ProblemRow{Key: g.Key, Kind: "device", Severity: g.Severity, Since: g.Since, DeviceID: g.DeviceID, Device: g.Device,
			Count: g.Count, Kinds: g.Kinds, Alerts: []Alert{}}
		if g.Count == 1 {
			r.Kind = "alert"
		}
		if inc, ok := byID[g.IncidentID]; ok && g.IncidentID != 0 {
			r.Kind, r.Incident = "incident", &inc
			r.DeviceID, r.Device, r.Since = inc.RootDeviceID, inc.RootName, inc.OpenedAt
		}
		switch g.Section {
		case SectionAcked:
			acked = append(acked, r)
		case SectionMuted:
			muted = append(muted, r)
		default:
			rows = append(rows, r)
			for s, n := range g.Firing {
				p.Counts[s] += n
			}
			p.Critical = append(p.Critical, g.Critical...)
		}
	}
	slices.Sort(p.Critical)
	p.Rows, p.Acked, p.Muted = cut(rows, limit), cut(acked, limit), cut(muted, limit)
	return p
}

// Keys names the rows of p, every section.
func (p *Problems) Keys() []string {
	var out []string
	for _, s := range []*ProblemSection{&p.Rows, &p.Acked, &p.Muted} {
		for _, r := range s.Rows {
			out = append(out, r.Key)
		}
	}
	return out
}

// Fill puts each row's alerts in (byKey: a row's alerts, most urgent first; perRow of them are
// kept) and an incident row's root alert.
func (p *Problems) Fill(byKey map[string][]Alert, perRow int) {
	for _, s := range []*ProblemSection{&p.Rows, &p.Acked, &p.Muted} {
		for i := range s.Rows {
			r := &s.Rows[i]
			list := byKey[r.Key]
			slices.SortFunc(list, byAlertUrgency)
			r.Alerts = list[:min(len(list), max(perRow, 1))]
			if r.Incident == nil {
				continue
			}
			for _, a := range list {
				if a.ID == r.Incident.AlertID {
					r.Root = &a
				}
			}
		}
	}
}

// BuildProblems is the whole problem list from the open alerts and incidents themselves
// (GroupProblems, CutProblems, Fill): the reference the store's SQL path agrees with.
func BuildProblems(in ProblemInput, limit, perRow int) Problems {
	groups, devSev, keyOf := GroupProblems(in)
	p := CutProblems(groups, in.Incidents, devSev, limit)
	keep := map[string]bool{}
	for _, k := range p.Keys() {
		keep[k] = true
	}
	byKey := map[string][]Alert{}
	for _, a := range in.Alerts {
		if k, ok := keyOf[a.ID]; ok && keep[k] {
			byKey[k] = append(byKey[k], a)
		}
	}
	p.Fill(byKey, perRow)
	return p
}

// cut sorts a section by urgency and keeps its first limit rows and every critical one.
func cut(rows []ProblemRow, limit int) ProblemSection {
	slices.SortFunc(rows, byUrgency)
	total, keep := len(rows), limit
	for keep < len(rows) && rows[keep].Severity == SeverityCritical {
		keep++
	}
	if keep < len(rows) {
		rows = rows[:keep]
	}
	s := ProblemSection{Rows: rows, Total: total}
	if s.Rows == nil {
		s.Rows = []ProblemRow{}
	}
	return s
}

func byUrgency(a, b ProblemRow) int {
	return cmp.Or(SeverityRank(b.Severity)-SeverityRank(a.Severity), a.Since.Compare(b.Since), cmp.Compare(a.Key, b.Key))
}

func byAlertUrgency(a, b Alert) int {
	return cmp.Or(SeverityRank(b.Severity)-SeverityRank(a.Severity), a.StartedAt.Compare(b.StartedAt), cmp.Compare(a.ID, b.ID))
}
