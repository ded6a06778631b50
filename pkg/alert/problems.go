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
	// firing counts the row's firing alerts by severity (what the list's counts add up),
	// critical lists its firing criticals.
	firing   map[Severity]int
	critical []int64
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

// BuildProblems sorts the open alerts and incidents into the problem list. Rows are ordered by
// severity, then age (the oldest first); each section keeps its first limit rows and every
// critical row; a row carries at most perRow of its alerts.
func BuildProblems(in ProblemInput, limit, perRow int) Problems {
	p := Problems{Counts: map[Severity]int{SeverityCritical: 0, SeverityMajor: 0, SeverityMinor: 0, SeverityWarning: 0},
		Critical: []int64{}, DeviceSeverity: map[int64]Severity{}}
	var rows, acked, muted []ProblemRow
	byIncident := map[int64][]Alert{}
	for _, a := range in.Alerts {
		if a.IncidentID != 0 && a.State != StateSuppressed {
			byIncident[a.IncidentID] = append(byIncident[a.IncidentID], a)
		}
	}
	shown := map[int64]bool{}
	for _, inc := range in.Incidents {
		shown[inc.ID] = true
		r := incidentRow(inc, byIncident[inc.ID], perRow)
		switch {
		case in.InMaintenance[inc.RootDeviceID]:
			muted = append(muted, r)
		case r.Root != nil && r.Root.State == StateAcknowledged:
			acked = append(acked, r)
		default:
			rows = append(rows, r)
		}
	}
	type group struct {
		section *[]ProblemRow
		key     string
		alerts  []Alert
	}
	groups := map[string]*group{}
	var order []*group
	add := func(section *[]ProblemRow, prefix string, a Alert) {
		key := fmt.Sprintf("%s%d", prefix, a.DeviceID)
		if a.DeviceID == 0 {
			key = fmt.Sprintf("%ss%d", prefix, a.ID)
		}
		g := groups[key]
		if g == nil {
			g = &group{section: section, key: key}
			groups[key] = g
			order = append(order, g)
		}
		g.alerts = append(g.alerts, a)
	}
	for _, a := range in.Alerts {
		maint := in.InMaintenance[a.DeviceID] || (a.State == StateSuppressed && a.SuppressedReason == "maintenance")
		if a.DeviceID != 0 && !maint && (a.State == StateFiring || a.State == StateAcknowledged) &&
			SeverityRank(a.Severity) > SeverityRank(p.DeviceSeverity[a.DeviceID]) {
			p.DeviceSeverity[a.DeviceID] = a.Severity
		}
		switch {
		case a.IncidentID != 0 && shown[a.IncidentID]: // under its incident
		case maint:
			add(&muted, "m", a)
		case a.State == StateSuppressed: // behind a down parent: its incident shows it
		case a.State == StateAcknowledged:
			add(&acked, "a", a)
		default:
			add(&rows, "d", a)
		}
	}
	for _, g := range order {
		*g.section = append(*g.section, deviceRow(g.key, g.alerts, perRow))
	}
	for _, r := range rows {
		for s, n := range r.firing {
			p.Counts[s] += n
		}
		p.Critical = append(p.Critical, r.critical...)
	}
	slices.Sort(p.Critical)
	p.Rows, p.Acked, p.Muted = cut(rows, limit), cut(acked, limit), cut(muted, limit)
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

func incidentRow(inc Incident, own []Alert, perRow int) ProblemRow {
	r := ProblemRow{Key: fmt.Sprintf("i%d", inc.ID), Kind: "incident", Severity: SeverityCritical, Since: inc.OpenedAt,
		DeviceID: inc.RootDeviceID, Device: inc.RootName, Incident: &inc, firing: map[Severity]int{}}
	fill(&r, own, perRow)
	for i := range own {
		if own[i].ID == inc.AlertID {
			root := own[i]
			r.Root = &root
			r.Severity = root.Severity
		}
	}
	return r
}

func deviceRow(key string, list []Alert, perRow int) ProblemRow {
	r := ProblemRow{Key: key, Kind: "device", firing: map[Severity]int{}}
	fill(&r, list, perRow)
	if r.Count == 1 {
		r.Kind = "alert"
	}
	a0 := r.Alerts[0]
	r.Severity, r.DeviceID, r.Device = a0.Severity, a0.DeviceID, a0.DeviceName
	r.Since = a0.StartedAt
	for _, a := range list {
		if a.StartedAt.Before(r.Since) {
			r.Since = a.StartedAt
		}
	}
	return r
}

// fill sorts a row's alerts by urgency and sets its counts and its first perRow alerts; an
// incident row without an open alert takes the severity of the worst of its own.
func fill(r *ProblemRow, list []Alert, perRow int) {
	slices.SortFunc(list, byAlertUrgency)
	kinds := map[Kind]bool{}
	for _, a := range list {
		kinds[a.Kind] = true
		if a.State == StateFiring {
			r.firing[a.Severity]++
			if a.Severity == SeverityCritical {
				r.critical = append(r.critical, a.ID)
			}
		}
	}
	r.Count, r.Kinds = len(list), len(kinds)
	r.Alerts = list[:min(len(list), max(perRow, 1))]
	if r.Kind == "incident" && len(list) > 0 {
		r.Severity = list[0].Severity
	}
}
