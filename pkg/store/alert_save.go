package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardops/wardops/pkg/alert"
)

// SaveAlertPass writes a pass's result in one transaction: incidents, alerts (updates only
// where the row still has the version the pass read: an ack or close by hand wins, and that
// key's changes wait for the next pass), states, history events, the deliveries of its
// notifications, and the maintenance status of devices. It returns the delivery keys to enqueue
// and the live events to publish after the commit.
func (s *Store) SaveAlertPass(ctx context.Context, res *alert.Result) (*alert.Saved, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	saved := &alert.Saved{}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		saved.DeliveryKeys, saved.Live, saved.Dropped = nil, nil, 0
		roots, err := saveIncidents(ctx, tx, res.Incidents)
		if err != nil {
			return err
		}
		dropped, err := saveAlerts(ctx, tx, res.Alerts, roots)
		if err != nil {
			return err
		}
		saved.Dropped = len(dropped)
		if err := saveStates(ctx, tx, res, dropped); err != nil {
			return err
		}
		if saved.DeliveryKeys, saved.Live, err = saveEvents(ctx, tx, res, dropped, roots); err != nil {
			return err
		}
		if err := linkIncidentAlerts(ctx, tx); err != nil {
			return err
		}
		saved.Status, err = saveMaintenance(ctx, tx, res)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("save %s alert pass: %w", res.Source, err)
	}
	return saved, nil
}

// saveIncidents inserts new incidents and updates changed ones; it returns root device → id.
func saveIncidents(ctx context.Context, tx pgx.Tx, incs []*alert.Incident) (map[int64]int64, error) {
	roots := map[int64]int64{}
	for _, inc := range incs {
		if inc.ID == 0 {
			err := tx.QueryRow(ctx, `
				INSERT INTO incidents (root_device_id, root_name, branch, title, state, affected_count, opened_at, updated_at)
				VALUES ($1,$2,$3,$4,'open',$5,$6,$6)
				ON CONFLICT (root_device_id) WHERE state = 'open' DO UPDATE SET title = EXCLUDED.title,
					affected_count = EXCLUDED.affected_count, root_up_since = NULL, updated_at = EXCLUDED.updated_at
				RETURNING id`, inc.RootDeviceID, inc.RootName, inc.Branch, inc.Title, inc.AffectedCount, inc.OpenedAt).Scan(&inc.ID)
			if err != nil {
				return nil, fmt.Errorf("open incident of device %d: %w", inc.RootDeviceID, err)
			}
		} else if _, err := tx.Exec(ctx, `
				UPDATE incidents SET title = $2, state = $3, affected_count = $4, root_up_since = $5, resolved_at = $6,
					updated_at = $7 WHERE id = $1`,
			inc.ID, inc.Title, inc.State, inc.AffectedCount, inc.RootUpSince, inc.ResolvedAt, inc.UpdatedAt); err != nil {
			return nil, fmt.Errorf("update incident %d: %w", inc.ID, err)
		}
		roots[inc.RootDeviceID] = inc.ID
	}
	return roots, nil
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// saveAlerts inserts new alerts and applies updates, pipelined in one batch. It returns the
// changes that were not applied (version moved on, or an open alert already holds the key).
func saveAlerts(ctx context.Context, tx pgx.Tx, changes []*alert.AlertChange, roots map[int64]int64) (map[*alert.AlertChange]bool, error) {
	b := &pgx.Batch{}
	for _, ch := range changes {
		a := ch.Alert
		if a.IncidentID == 0 && ch.IncidentRoot != 0 {
			a.IncidentID = roots[ch.IncidentRoot]
		}
		if ch.New {
			b.Queue(`INSERT INTO alerts (rule_id, rule_name, kind, device_id, device_name, subject, severity, state,
					suppressed_reason, maintenance_id, flapping, value, threshold, summary, started_at, updated_at,
					incident_id, notified_channels, last_notified_at, resolved_at)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)
				ON CONFLICT (rule_id, (coalesce(device_id, 0)), subject) WHERE state <> 'resolved' DO NOTHING
				RETURNING id, version`,
				a.RuleID, a.RuleName, a.Kind, nullID(a.DeviceID), a.DeviceName, a.Subject, a.Severity, a.State,
				a.SuppressedReason, nullID(a.MaintenanceID), a.Flapping, a.Value, a.Threshold, a.Summary, a.StartedAt,
				a.UpdatedAt, nullID(a.IncidentID), channelIDs(a.NotifiedChannels), a.LastNotifiedAt, a.ResolvedAt)
			continue
		}
		b.Queue(`UPDATE alerts SET state = $3, suppressed_reason = $4, maintenance_id = $5, flapping = $6, value = $7,
				updated_at = $8, resolved_at = $9, ack_expires_at = $10, incident_id = $11, notified_channels = $12,
				last_notified_at = $13, version = version + 1
			WHERE id = $1 AND version = $2 RETURNING id, version`,
			a.ID, ch.BaseVersion, a.State, a.SuppressedReason, nullID(a.MaintenanceID), a.Flapping, a.Value, a.UpdatedAt,
			a.ResolvedAt, a.AckExpiresAt, nullID(a.IncidentID), channelIDs(a.NotifiedChannels), a.LastNotifiedAt)
	}
	br := tx.SendBatch(ctx, b)
	dropped := map[*alert.AlertChange]bool{}
	for _, ch := range changes {
		err := br.QueryRow().Scan(&ch.Alert.ID, &ch.Alert.Version)
		if errors.Is(err, pgx.ErrNoRows) {
			dropped[ch] = true
			continue
		}
		if err != nil {
			_ = br.Close()
			return nil, fmt.Errorf("write alert of rule %d device %d: %w", ch.Key.RuleID, ch.Key.DeviceID, err)
		}
	}
	if err := br.Close(); err != nil {
		return nil, fmt.Errorf("write alerts: %w", err)
	}
	return dropped, nil
}

func channelIDs(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}

// saveStates upserts and deletes states in two statements, each guarded by the version the pass
// read. States of keys whose alert change was dropped are left as they are.
func saveStates(ctx context.Context, tx pgx.Tx, res *alert.Result, dropped map[*alert.AlertChange]bool) error {
	skip := map[alert.Key]bool{}
	for ch := range dropped {
		skip[ch.Key] = true
	}
	var c stateCols
	for _, st := range res.States {
		if !skip[st.Key] {
			c.add(st)
		}
	}
	if c.n > 0 {
		if _, err := tx.Exec(ctx, `
			INSERT INTO alert_state AS s (rule_id, device_id, subject, bad_count, good_count, active, flapping, latched,
				changes, alert_id, value, version, updated_at)
			SELECT u.r, u.d, u.s, u.b, u.g, u.a, u.f, u.l, u.c::bigint[], u.al, u.v, u.ver, $13
			FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::int[], $5::int[], $6::bool[], $7::bool[], $8::bool[],
				$9::text[], $10::bigint[], $11::float8[], $12::int[]) AS u(r, d, s, b, g, a, f, l, c, al, v, ver)
			ON CONFLICT (rule_id, device_id, subject) DO UPDATE SET bad_count = EXCLUDED.bad_count,
				good_count = EXCLUDED.good_count, active = EXCLUDED.active, flapping = EXCLUDED.flapping,
				latched = EXCLUDED.latched, changes = EXCLUDED.changes, alert_id = EXCLUDED.alert_id,
				value = EXCLUDED.value, version = s.version + 1, updated_at = EXCLUDED.updated_at
			WHERE s.version = EXCLUDED.version`,
			c.rule, c.dev, c.subj, c.bad, c.good, c.active, c.flap, c.latched, c.changes, c.alert, c.value, c.version, res.Now); err != nil {
			return fmt.Errorf("write alert states: %w", err)
		}
	}
	return deleteStates(ctx, tx, res, skip)
}

func deleteStates(ctx context.Context, tx pgx.Tx, res *alert.Result, skip map[alert.Key]bool) error {
	var rule, dev []int64
	var subj []string
	var ver []int32
	for _, k := range res.DeletedStates {
		if !skip[k.Key] {
			rule, dev, subj, ver = append(rule, k.RuleID), append(dev, k.DeviceID), append(subj, k.Subject), append(ver, int32(k.Version))
		}
	}
	if len(rule) == 0 {
		return nil
	}
	// A row closed by hand since the pass read it has a newer version and stays.
	if _, err := tx.Exec(ctx, `
		DELETE FROM alert_state s USING unnest($1::bigint[], $2::bigint[], $3::text[], $4::int[]) AS u(r, d, sub, ver)
		WHERE s.rule_id = u.r AND s.device_id = u.d AND s.subject = u.sub AND s.version = u.ver`, rule, dev, subj, ver); err != nil {
		return fmt.Errorf("delete alert states: %w", err)
	}
	return nil
}

// stateCols are the column arrays of a state upsert.
type stateCols struct {
	n                     int
	rule, dev             []int64
	subj, changes         []string
	bad, good, version    []int32
	active, flap, latched []bool
	alert                 []*int64
	value                 []*float64
}

func (c *stateCols) add(st *alert.State) {
	c.n++
	c.rule, c.dev, c.subj = append(c.rule, st.RuleID), append(c.dev, st.DeviceID), append(c.subj, st.Subject)
	c.bad, c.good, c.version = append(c.bad, int32(st.BadCount)), append(c.good, int32(st.GoodCount)), append(c.version, int32(st.Version))
	c.active, c.flap, c.latched = append(c.active, st.Active), append(c.flap, st.Flapping), append(c.latched, st.Latched)
	c.changes = append(c.changes, pgArray(st.Changes))
	var id *int64
	if st.Alert != nil {
		id = nullID(st.Alert.ID)
	}
	c.alert = append(c.alert, id)
	var v *float64
	if !math.IsNaN(st.Value) {
		v = &st.Value
	}
	c.value = append(c.value, v)
}

func pgArray(v []int64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = strconv.FormatInt(x, 10)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// linkIncidentAlerts points open incidents at their root device's open reachability alert.
func linkIncidentAlerts(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `
		UPDATE incidents i SET alert_id = a.id
		FROM alerts a
		WHERE i.state = 'open' AND i.alert_id IS NULL AND a.device_id = i.root_device_id
			AND a.kind = 'device_down' AND a.state <> 'resolved'`)
	if err != nil {
		return fmt.Errorf("link incidents to alerts: %w", err)
	}
	return nil
}

// saveEvents writes the history events of applied changes with ids taken up front, and the
// deliveries of their notifications.
func saveEvents(ctx context.Context, tx pgx.Tx, res *alert.Result, dropped map[*alert.AlertChange]bool,
	roots map[int64]int64) ([]string, []alert.LiveEvent, error) {
	var evs []*alert.Event
	for _, ev := range res.Events {
		if !dropped[ev.Change] {
			evs = append(evs, ev)
		}
	}
	if len(evs) == 0 {
		return nil, nil, nil
	}
	rows, err := tx.Query(ctx, `SELECT nextval('alert_events_id_seq') FROM generate_series(1, $1)`, len(evs))
	if err != nil {
		return nil, nil, fmt.Errorf("allocate event ids: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, nil, fmt.Errorf("allocate event ids: %w", err)
	}
	var deliveries []deliveryRow
	live := make([]alert.LiveEvent, 0, len(evs))
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"alert_events"},
		[]string{"id", "alert_id", "at", "kind", "from_state", "to_state", "actor", "comment", "notified", "detail"},
		pgx.CopyFromSlice(len(evs), func(i int) ([]any, error) {
			ev := evs[i]
			a := ev.Change.Alert
			detail, err := json.Marshal(orEmpty(ev.Detail))
			if err != nil {
				return nil, fmt.Errorf("encode event detail: %w", err)
			}
			if ev.Notify != nil {
				msg := ev.Notify.Message
				msg.AlertID = a.ID
				if msg.Incident != nil && msg.Incident.ID == 0 {
					inc := *msg.Incident
					inc.ID = roots[inc.RootDeviceID]
					msg.Incident = &inc
				}
				for _, c := range ev.Notify.Channels {
					deliveries = append(deliveries, deliveryRow{alertID: a.ID, eventID: ids[i], channelID: c, msg: msg})
				}
			}
			live = append(live, alert.LiveEvent{Event: ev.Kind, Alert: *a})
			return []any{ids[i], a.ID, ev.At, ev.Kind, string(ev.From), string(ev.To), ev.Actor, ev.Comment, ev.Notify != nil, detail}, nil
		}))
	if err != nil {
		return nil, nil, fmt.Errorf("write alert events: %w", err)
	}
	keys, err := insertDeliveries(ctx, tx, deliveries)
	return keys, live, err
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// saveMaintenance sets device_status.status to 'maintenance' for the devices of active windows
// and gives the others back the status of their latest ping, recording a device event for each
// change and giving it a new status version. The ping writer keeps 'maintenance' while it is
// set. Ping passes only. It returns the changes, for live events.
func saveMaintenance(ctx context.Context, tx pgx.Tx, res *alert.Result) ([]alert.StatusChange, error) {
	if res.Maintenance == nil {
		return nil, nil
	}
	ids, wins := make([]int64, 0, len(res.Maintenance)), make([]int64, 0, len(res.Maintenance))
	for d, w := range res.Maintenance {
		ids, wins = append(ids, d), append(wins, w)
	}
	rows, err := tx.Query(ctx, `
		WITH m AS (SELECT * FROM unnest($1::bigint[], $2::bigint[]) AS m(device_id, window_id)),
		old AS (SELECT s.device_id, s.status, m.window_id FROM device_status s JOIN m USING (device_id)
			WHERE s.status <> 'maintenance' FOR UPDATE OF s),
		up AS (UPDATE device_status s SET status = 'maintenance', last_change = $3,
			version = nextval('device_status_version_seq') FROM old
			WHERE s.device_id = old.device_id RETURNING s.device_id, s.version),
		ev AS (INSERT INTO device_events (device_id, at, kind, from_status, to_status, detail)
			SELECT old.device_id, $3, 'maintenance', old.status, 'maintenance', jsonb_build_object('window_id', old.window_id)
			FROM old JOIN up USING (device_id))
		SELECT old.device_id, old.status, 'maintenance', up.version FROM old JOIN up USING (device_id)`, ids, wins, res.Now)
	if err != nil {
		return nil, fmt.Errorf("enter maintenance: %w", err)
	}
	entered, err := collectStatusChanges(rows, res.Now)
	if err != nil {
		return nil, fmt.Errorf("enter maintenance: %w", err)
	}
	rows, err = tx.Query(ctx, `
		WITH old AS (SELECT s.device_id FROM device_status s
			WHERE s.status = 'maintenance' AND NOT (s.device_id = ANY($1)) FOR UPDATE OF s),
		up AS (UPDATE device_status s SET status = coalesce((SELECT p.status FROM ping_results p
				WHERE p.device_id = s.device_id AND p.slot_at = s.last_slot), 'unknown'), last_change = $2,
				version = nextval('device_status_version_seq')
			FROM old WHERE s.device_id = old.device_id RETURNING s.device_id, s.status, s.version),
		ev AS (INSERT INTO device_events (device_id, at, kind, from_status, to_status)
			SELECT device_id, $2, 'maintenance_end', 'maintenance', status FROM up)
		SELECT device_id, 'maintenance', status, version FROM up`, ids, res.Now)
	if err != nil {
		return nil, fmt.Errorf("leave maintenance: %w", err)
	}
	left, err := collectStatusChanges(rows, res.Now)
	if err != nil {
		return nil, fmt.Errorf("leave maintenance: %w", err)
	}
	changes := append(entered, left...)
	if len(changes) == 0 {
		return nil, nil
	}
	blockedIDs := make([]int64, len(changes))
	for i, c := range changes {
		blockedIDs[i] = c.DeviceID
	}
	m, err := blockedByIDs(ctx, tx, blockedIDs)
	if err != nil {
		return nil, err
	}
	for i := range changes {
		if root, ok := m[changes[i].DeviceID]; ok {
			changes[i].BlockedBy = &root
		}
	}
	return changes, nil
}

// collectStatusChanges reads (device_id, from, to, version) rows of changes made at at.
func collectStatusChanges(rows pgx.Rows, at time.Time) ([]alert.StatusChange, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (alert.StatusChange, error) {
		c := alert.StatusChange{At: at.UTC()}
		err := r.Scan(&c.DeviceID, &c.From, &c.To, &c.Version)
		return c, err
	})
}
