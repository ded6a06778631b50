package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/wardops/wardops/pkg/alert"
)

// AlertSort orders an alert list; the zero value is newest first by id (the cursor order).
type AlertSort string

// The orders of an alert list (AlertFilter.Sort). Desc reverses each of them.
const (
	// SortNewest is newest first by id; the only order a cursor pages.
	SortNewest AlertSort = ""
	// SortSeverity is severity, then age: with Desc the most severe first and, within a
	// severity, the oldest first (the triage order).
	SortSeverity AlertSort = "severity"
	// SortAge is by how long the alert has been open: with Desc the oldest first.
	SortAge AlertSort = "age"
	// SortDevice is by device name (case-insensitive), then age: without Desc A to Z and the
	// oldest first.
	SortDevice AlertSort = "device"
)

// Valid reports whether s is one of the orders above.
func (s AlertSort) Valid() bool {
	switch s {
	case SortNewest, SortSeverity, SortAge, SortDevice:
		return true
	}
	return false
}

// AlertFilter selects alerts for a list. Empty fields do not filter.
type AlertFilter struct {
	// State is firing, acknowledged, resolved, suppressed, or "open" (any but resolved).
	State    string
	Severity string
	DeviceID int64
	RuleID   int64
	// Kind is the rule kind (alert.Kind).
	Kind string
	// Branch and Region match the alert's device's (exactly); system alerts have neither.
	Branch, Region string
	// Text matches, case-insensitively, a substring of the device name, the summary, the rule
	// name or the subject.
	Text string
	// IncidentID lists the alerts under one incident.
	IncidentID int64
	// InOpenIncident, when set, keeps only the alerts that are (true) or are not (false) part of
	// an open incident: the alerts page shows the first under their incident, the rest apart.
	InOpenIncident *bool
	// Sort and Desc order the list (SortNewest when empty; Desc does not apply to it).
	Sort AlertSort
	Desc bool
	// Before is the cursor of SortNewest: the id of the last alert of the previous page.
	Before int64
	// Offset skips that many matches (paging of the other orders).
	Offset int
	// Limit is the page size (default 100, at most 1000).
	Limit int
	// Scope limits the list to alerts of a scoped caller's devices: system alerts (no device)
	// and alerts of deleted devices are outside every limited scope.
	Scope DeviceScope
}

// where builds the conditions of f over alerts a (LEFT JOINed to devices d when branch or
// region filter) and whether the join is needed. Before is left to the caller: a count ignores it.
func (f AlertFilter) where() (*where, bool) {
	w := &where{}
	switch {
	case f.State == "open":
		w.add("a.state <> 'resolved'")
	case f.State != "":
		w.add("a.state = ?", f.State)
	}
	if f.Severity != "" {
		w.add("a.severity = ?", f.Severity)
	}
	if f.DeviceID != 0 {
		w.add("a.device_id = ?", f.DeviceID)
	}
	if f.RuleID != 0 {
		w.add("a.rule_id = ?", f.RuleID)
	}
	if f.Kind != "" {
		w.add("a.kind = ?", f.Kind)
	}
	if f.IncidentID != 0 {
		w.add("a.incident_id = ?", f.IncidentID)
	}
	if f.Branch != "" {
		w.add("d.branch = ?", f.Branch)
	}
	if f.Region != "" {
		w.add("d.region = ?", f.Region)
	}
	if f.Text != "" {
		like := "%" + likeEscape(f.Text) + "%"
		w.add("(a.device_name ILIKE ? OR a.summary ILIKE ? OR a.rule_name ILIKE ? OR a.subject ILIKE ?)", like, like, like, like)
	}
	if f.InOpenIncident != nil {
		open := `EXISTS (SELECT 1 FROM incidents i WHERE i.id = a.incident_id AND i.state = 'open')`
		if !*f.InOpenIncident {
			open = "NOT " + open
		}
		w.add(open)
	}
	w.scopeIDs(f.Scope, "a.device_id")
	return w, f.Branch != "" || f.Region != ""
}

// orderBy is the ORDER BY of f.Sort: every order ends on the id, so pages never overlap.
func (f AlertFilter) orderBy() string {
	const rank = severityRankSQL
	// each order as written is its "ascending" form; Desc flips every key
	var keys []string
	switch f.Sort {
	case SortNewest:
		return "a.id DESC"
	case SortSeverity: // ascending: least severe first, the newest first within
		keys = []string{rank + " ASC", "a.started_at DESC", "a.id DESC"}
	case SortAge: // ascending: the youngest (newest) first
		keys = []string{"a.started_at DESC", "a.id DESC"}
	case SortDevice:
		keys = []string{"lower(a.device_name) ASC", "a.started_at ASC", "a.id ASC"}
	}
	if f.Desc {
		for i, k := range keys {
			if strings.HasSuffix(k, " ASC") {
				keys[i] = strings.TrimSuffix(k, " ASC") + " DESC"
			} else {
				keys[i] = strings.TrimSuffix(k, " DESC") + " ASC"
			}
		}
	}
	return strings.Join(keys, ", ")
}

func (f AlertFilter) from(join bool) string {
	if join {
		return ` FROM alerts a LEFT JOIN devices d ON d.id = a.device_id WHERE `
	}
	return ` FROM alerts a WHERE `
}

// ListAlerts returns one page of alerts in f's order and the cursor of the next page (0 when
// this is the last, and always 0 for an order other than SortNewest: those page by Offset).
func (s *Store) ListAlerts(ctx context.Context, f AlertFilter) ([]alert.Alert, int64, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	w, join := f.where()
	if f.Before != 0 && f.Sort == SortNewest {
		w.add("a.id < ?", f.Before)
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	// the page's ids are sorted apart from the rows: the sort then moves ids and keys, not
	// 5,000 whole rows (43 → 14 ms for a page of 5,000 firing alerts sorted by severity)
	rows, err := s.pool.Query(ctx, `SELECT `+alertCols+` FROM unnest(ARRAY(SELECT a.id`+f.from(join)+w.sql()+
		` ORDER BY `+f.orderBy()+` LIMIT `+w.arg(f.Limit+1)+` OFFSET `+w.arg(max(f.Offset, 0))+
		`)) WITH ORDINALITY AS p(id, n) JOIN alerts a ON a.id = p.id ORDER BY p.n`, w.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list alerts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (alert.Alert, error) { return scanAlert(r) })
	if err != nil {
		return nil, 0, fmt.Errorf("list alerts: %w", err)
	}
	var next int64
	if len(out) > f.Limit {
		out = out[:f.Limit]
		if f.Sort == SortNewest {
			next = out[len(out)-1].ID
		}
	}
	return out, next, nil
}

// CountAlerts returns how many alerts match f, whatever its page (Before, Offset, Limit).
func (s *Store) CountAlerts(ctx context.Context, f AlertFilter) (int, error) {
	w, join := f.where()
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*)`+f.from(join)+w.sql(), w.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count alerts: %w", err)
	}
	return n, nil
}
