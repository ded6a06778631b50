package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardops/wardops/pkg/alert"
)

// alertCols reads an alerts row "a"; coalesce keeps it scannable through a LEFT JOIN.
const alertCols = `coalesce(a.id, 0), coalesce(a.rule_id, 0), coalesce(a.rule_name, ''), coalesce(a.kind, ''),
	coalesce(a.device_id, 0), coalesce(a.device_name, ''), coalesce(a.subject, ''), coalesce(a.severity, ''),
	coalesce(a.state, ''), coalesce(a.suppressed_reason, ''), coalesce(a.maintenance_id, 0),
	coalesce(a.flapping, false), a.value, a.threshold, coalesce(a.summary, ''),
	coalesce(a.started_at, 'epoch'), coalesce(a.updated_at, 'epoch'), a.resolved_at, coalesce(a.acked_by, ''),
	a.acked_at, coalesce(a.ack_comment, ''), a.ack_expires_at, coalesce(a.closed_by, ''),
	coalesce(a.close_comment, ''), coalesce(a.incident_id, 0), coalesce(a.notified_channels, '{}'),
	a.last_notified_at, coalesce(a.version, 0)`

// nullAlert holds the scan targets of alertCols.
type nullAlert struct {
	a                              alert.Alert
	kind, sev, state               string
	resolved, acked, exp, notified *time.Time
}

func (n *nullAlert) dest() []any {
	a := &n.a
	return []any{&a.ID, &a.RuleID, &a.RuleName, &n.kind, &a.DeviceID, &a.DeviceName, &a.Subject, &n.sev,
		&n.state, &a.SuppressedReason, &a.MaintenanceID, &a.Flapping, &a.Value, &a.Threshold, &a.Summary,
		&a.StartedAt, &a.UpdatedAt, &n.resolved, &a.AckedBy, &n.acked, &a.AckComment, &n.exp, &a.ClosedBy,
		&a.CloseComment, &a.IncidentID, &a.NotifiedChannels, &n.notified, &a.Version}
}

func (n *nullAlert) alert() alert.Alert {
	a := n.a
	a.Kind, a.Severity, a.State = alert.Kind(n.kind), alert.Severity(n.sev), alert.AlertState(n.state)
	a.StartedAt, a.UpdatedAt = a.StartedAt.UTC(), a.UpdatedAt.UTC()
	a.ResolvedAt, a.AckedAt, a.AckExpiresAt, a.LastNotifiedAt = utcPtr(n.resolved), utcPtr(n.acked), utcPtr(n.exp), utcPtr(n.notified)
	return a
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func scanAlert(row pgx.Row) (alert.Alert, error) {
	var n nullAlert
	if err := row.Scan(n.dest()...); err != nil {
		return alert.Alert{}, err
	}
	return n.alert(), nil
}

// GetAlert reads one alert.
func (s *Store) GetAlert(ctx context.Context, id int64) (alert.Alert, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	a, err := scanAlert(s.pool.QueryRow(ctx, `SELECT `+alertCols+` FROM alerts a WHERE a.id = $1`, id))
	return a, mapErr(err, fmt.Sprintf("read alert %d", id))
}

// AlertEvent is one entry of an alert's history.
type AlertEvent struct {
	ID       int64          `json:"id"`
	AlertID  int64          `json:"alert_id"`
	At       time.Time      `json:"at"`
	Kind     string         `json:"kind"`
	From     string         `json:"from_state"`
	To       string         `json:"to_state"`
	Actor    string         `json:"actor,omitempty"`
	Comment  string         `json:"comment,omitempty"`
	Notified bool           `json:"notified"`
	Detail   map[string]any `json:"detail"`
}

// AlertEvents returns the history of an alert in the order it was recorded (ErrNotFound for an
// unknown alert).
func (s *Store) AlertEvents(ctx context.Context, alertID int64) ([]AlertEvent, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `
		SELECT e.id, a.id, e.at, e.kind, e.from_state, e.to_state, e.actor, e.comment, e.notified, e.detail
		FROM alerts a LEFT JOIN alert_events e ON e.alert_id = a.id
		WHERE a.id = $1 ORDER BY e.id`, alertID)
	if err != nil {
		return nil, fmt.Errorf("read events of alert %d: %w", alertID, err)
	}
	var found bool
	out := []AlertEvent{}
	for rows.Next() {
		found = true
		var e AlertEvent
		var id *int64
		var at *time.Time
		var kind, from, to, actor, comment *string
		var notified *bool
		if err := rows.Scan(&id, &e.AlertID, &at, &kind, &from, &to, &actor, &comment, &notified, &e.Detail); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read events of alert %d: %w", alertID, err)
		}
		if id == nil {
			continue
		}
		e.ID, e.At, e.Kind, e.From, e.To, e.Actor, e.Comment, e.Notified = *id, at.UTC(), *kind, *from, *to, *actor, *comment, *notified
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read events of alert %d: %w", alertID, err)
	}
	if !found {
		return nil, fmt.Errorf("read events of alert %d: %w", alertID, ErrNotFound)
	}
	return out, nil
}

const incidentCols = `id, root_device_id, root_name, branch, title, state, coalesce(alert_id, 0), affected_count,
	opened_at, root_up_since, resolved_at, updated_at`

func queryIncidents(ctx context.Context, q querier, tail string, args ...any) ([]alert.Incident, error) {
	rows, err := q.Query(ctx, `SELECT `+incidentCols+` FROM incidents `+tail, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (alert.Incident, error) {
		var i alert.Incident
		err := r.Scan(&i.ID, &i.RootDeviceID, &i.RootName, &i.Branch, &i.Title, &i.State, &i.AlertID,
			&i.AffectedCount, &i.OpenedAt, &i.RootUpSince, &i.ResolvedAt, &i.UpdatedAt)
		i.OpenedAt, i.UpdatedAt = i.OpenedAt.UTC(), i.UpdatedAt.UTC()
		i.RootUpSince, i.ResolvedAt = utcPtr(i.RootUpSince), utcPtr(i.ResolvedAt)
		return i, err
	})
}

// ListIncidents returns incidents newest first: state "open", "resolved" or "" for both; before
// is the cursor (id of the last incident of the previous page, 0 for the first page).
func (s *Store) ListIncidents(ctx context.Context, state string, before int64, limit int) ([]alert.Incident, error) {
	return s.ListIncidentsIn(ctx, DeviceScope{}, state, before, limit)
}

// ListIncidentsIn is ListIncidents limited to the incidents whose root device is in sc.
func (s *Store) ListIncidentsIn(ctx context.Context, sc DeviceScope, state string, before int64, limit int) ([]alert.Incident, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	cond, args := sc.idsIn("root_device_id", []any{state, before, limit})
	out, err := queryIncidents(ctx, s.pool, `WHERE ($1 = '' OR state = $1) AND ($2 = 0 OR id < $2) AND `+cond+`
		ORDER BY id DESC LIMIT $3`, args...)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	return out, nil
}

// GetIncident reads one incident.
func (s *Store) GetIncident(ctx context.Context, id int64) (alert.Incident, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	out, err := queryIncidents(ctx, s.pool, `WHERE id = $1`, id)
	if err != nil {
		return alert.Incident{}, fmt.Errorf("read incident %d: %w", id, err)
	}
	if len(out) == 0 {
		return alert.Incident{}, fmt.Errorf("read incident %d: %w", id, ErrNotFound)
	}
	return out[0], nil
}

// ProblemInput reads what the problem list is built from (alert.BuildProblems): every open
// alert and every open incident in sc, and which of their devices are in maintenance — three
// queries, whatever the number of alerts.
func (s *Store) ProblemInput(ctx context.Context, sc DeviceScope) (alert.ProblemInput, error) {
	in := alert.ProblemInput{InMaintenance: map[int64]bool{}}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	cond, args := sc.idsIn("a.device_id", nil)
	rows, err := s.pool.Query(ctx, `SELECT `+alertCols+` FROM alerts a WHERE a.state <> 'resolved' AND `+cond, args...)
	if err != nil {
		return in, fmt.Errorf("read open alerts: %w", err)
	}
	in.Alerts, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (alert.Alert, error) { return scanAlert(r) })
	if err != nil {
		return in, fmt.Errorf("read open alerts: %w", err)
	}
	cond, args = sc.idsIn("root_device_id", nil)
	in.Incidents, err = queryIncidents(ctx, s.pool, `WHERE state = 'open' AND `+cond+` ORDER BY id DESC LIMIT 1000`, args...)
	if err != nil {
		return in, fmt.Errorf("read open incidents: %w", err)
	}
	ids := make([]int64, 0, len(in.Alerts)+len(in.Incidents))
	for _, a := range in.Alerts {
		if a.DeviceID != 0 {
			ids = append(ids, a.DeviceID)
		}
	}
	for _, i := range in.Incidents {
		ids = append(ids, i.RootDeviceID)
	}
	if len(ids) == 0 {
		return in, nil
	}
	rows, err = s.pool.Query(ctx, `SELECT device_id FROM device_status WHERE device_id = ANY($1) AND status = 'maintenance'`, ids)
	if err != nil {
		return in, fmt.Errorf("read devices in maintenance: %w", err)
	}
	maint, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return in, fmt.Errorf("read devices in maintenance: %w", err)
	}
	for _, id := range maint {
		in.InMaintenance[id] = true
	}
	return in, nil
}
