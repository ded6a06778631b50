package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Timeline sources: what a Change records.
const (
	// ChangeDevice is a device's recorded state change (device_events: status, reboot,
	// interface up/down, maintenance).
	ChangeDevice = "device"
	// ChangeAlert is an alert's recorded event (alert_events: fired, resolved, acknowledged…).
	ChangeAlert = "alert"
)

// Change is one line of the timeline of what changed: a device event or an alert event, with
// the names copied so the line reads on its own.
type Change struct {
	At         time.Time `json:"at"`
	Source     string    `json:"source"`
	Kind       string    `json:"kind"`
	DeviceID   *int64    `json:"device_id"`
	DeviceName string    `json:"device_name"`
	// From and To are the device's statuses (source device) or the alert's states (source alert).
	From string `json:"from"`
	To   string `json:"to"`
	// The alert fields are empty for device changes.
	AlertID  *int64 `json:"alert_id,omitempty"`
	Severity string `json:"severity,omitempty"`
	Rule     string `json:"rule,omitempty"`
	Subject  string `json:"subject,omitempty"`
	Summary  string `json:"summary,omitempty"`
	Actor    string `json:"actor,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

// TimelineFilter selects the changes of Timeline; the zero Until means now.
type TimelineFilter struct {
	Since, Until time.Time
	// Sources limits to ChangeDevice and/or ChangeAlert (empty: both).
	Sources []string
	// Severities limits alert changes to these severities (device changes are kept).
	Severities []string
	DeviceID   int64
	// Text matches device names, alert summaries and subjects, case-insensitively.
	Text  string
	Limit int
	Scope DeviceScope
}

// Timeline returns the changes of f newest first, at most f.Limit, and whether more matched.
// System alerts (no device) are left out of a limited scope.
func (s *Store) Timeline(ctx context.Context, f TimelineFilter) ([]Change, bool, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if f.Until.IsZero() {
		f.Until = time.Now()
	}
	args := []any{f.Since, f.Until}
	var parts []string
	if wants(f.Sources, ChangeDevice) {
		q, a := timelineDeviceQuery(f, args)
		parts, args = append(parts, q), a
	}
	if wants(f.Sources, ChangeAlert) {
		q, a := timelineAlertQuery(f, args)
		parts, args = append(parts, q), a
	}
	if len(parts) == 0 {
		return []Change{}, false, nil
	}
	args = append(args, f.Limit+1)
	q := "SELECT * FROM (" + strings.Join(parts, " UNION ALL ") + fmt.Sprintf(") c ORDER BY at DESC, src_id DESC LIMIT $%d", len(args))
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, false, fmt.Errorf("read timeline: %w", err)
	}
	defer rows.Close()
	out := []Change{}
	for rows.Next() {
		var c Change
		var srcID int64
		if err := rows.Scan(&c.At, &srcID, &c.Source, &c.Kind, &c.DeviceID, &c.DeviceName, &c.From, &c.To,
			&c.AlertID, &c.Severity, &c.Rule, &c.Subject, &c.Summary, &c.Actor, &c.Comment); err != nil {
			return nil, false, fmt.Errorf("read timeline: %w", err)
		}
		c.At = c.At.UTC()
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("read timeline: %w", err)
	}
	more := len(out) > f.Limit
	if more {
		out = out[:f.Limit]
	}
	return out, more, nil
}

func wants(sources []string, s string) bool { return len(sources) == 0 || slices.Contains(sources, s) }

// timelineDeviceQuery selects device_events in [$1, $2) of devices in scope.
func timelineDeviceQuery(f TimelineFilter, args []any) (string, []any) {
	cond, args := f.Scope.cond("d", args)
	q := `SELECT e.at, e.id AS src_id, 'device' AS source, e.kind, e.device_id, d.name AS device_name,
		coalesce(e.from_status, '') AS from_s, coalesce(e.to_status, '') AS to_s, NULL::bigint AS alert_id,
		'' AS severity, '' AS rule, coalesce(e.detail->>'subject', e.detail->>'if_name', '') AS subject, '' AS summary,
		coalesce(e.detail->>'actor', '') AS actor, '' AS comment
		FROM device_events e JOIN devices d ON d.id = e.device_id
		WHERE e.at >= $1 AND e.at < $2 AND ` + cond
	if f.DeviceID != 0 {
		args = append(args, f.DeviceID)
		q += fmt.Sprintf(" AND e.device_id = $%d", len(args))
	}
	if f.Text != "" {
		args = append(args, likePattern(f.Text))
		q += fmt.Sprintf(" AND d.name ILIKE $%d", len(args))
	}
	return q, args
}

// timelineAlertQuery selects alert_events in [$1, $2) of alerts in scope.
func timelineAlertQuery(f TimelineFilter, args []any) (string, []any) {
	cond, args := f.Scope.idsIn("a.device_id", args)
	q := `SELECT e.at, e.id AS src_id, 'alert' AS source, e.kind, a.device_id, a.device_name,
		e.from_state, e.to_state, a.id, a.severity, a.rule_name, a.subject, a.summary, e.actor, e.comment
		FROM alert_events e JOIN alerts a ON a.id = e.alert_id
		WHERE e.at >= $1 AND e.at < $2 AND ` + cond
	if len(f.Severities) > 0 {
		args = append(args, f.Severities)
		q += fmt.Sprintf(" AND a.severity = ANY($%d::text[])", len(args))
	}
	if f.DeviceID != 0 {
		args = append(args, f.DeviceID)
		q += fmt.Sprintf(" AND a.device_id = $%d", len(args))
	}
	if f.Text != "" {
		args = append(args, likePattern(f.Text))
		n := len(args)
		q += fmt.Sprintf(" AND (a.device_name ILIKE $%d OR a.summary ILIKE $%d OR a.subject ILIKE $%d)", n, n, n)
	}
	return q, args
}

// likePattern is an ILIKE pattern matching text anywhere, its own % _ \ taken literally.
func likePattern(text string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(text) + "%"
}
