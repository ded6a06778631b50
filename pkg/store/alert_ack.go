package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardops/wardops/pkg/alert"
)

// AckAlert acknowledges a firing alert: no repeats until it resolves or the acknowledgement
// expires (expires nil: never). ErrNotFound for an unknown alert, ErrConflict when it is not
// firing; a *alert.FieldError for bad input.
func (s *Store) AckAlert(ctx context.Context, id int64, by, comment string, expires *time.Time) (alert.Alert, error) {
	by = strings.TrimSpace(by)
	if by == "" {
		return alert.Alert{}, &alert.FieldError{Field: "by", Message: "must name who acknowledges"}
	}
	if expires != nil && !expires.After(time.Now()) {
		return alert.Alert{}, &alert.FieldError{Field: "expires_at", Message: "must be in the future"}
	}
	return s.alertTransition(ctx, id, "acknowledge", alert.StateFiring, `
		UPDATE alerts a SET state = 'acknowledged', acked_by = $2, acked_at = now(), ack_comment = $3,
			ack_expires_at = $4, updated_at = now(), version = version + 1
		WHERE id = $1 AND state = 'firing' RETURNING `+alertCols,
		alert.EventAcknowledged, by, comment, id, by, comment, utcPtr(expires))
}

// UnackAlert takes an acknowledgement back: the alert is firing again.
func (s *Store) UnackAlert(ctx context.Context, id int64, by string) (alert.Alert, error) {
	return s.alertTransition(ctx, id, "unacknowledge", alert.StateAcknowledged, `
		UPDATE alerts a SET state = 'firing', ack_expires_at = NULL, updated_at = now(), version = version + 1
		WHERE id = $1 AND state = 'acknowledged' RETURNING `+alertCols,
		alert.EventUnacknowledged, strings.TrimSpace(by), "", id)
}

// alertTransition runs one conditional UPDATE of an alert and records the event, in one
// transaction; no row updated means ErrNotFound or ErrConflict.
func (s *Store) alertTransition(ctx context.Context, id int64, what string, from alert.AlertState, update string,
	kind, actor, comment string, args ...any) (alert.Alert, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var a alert.Alert
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		a, err = scanAlert(tx.QueryRow(ctx, update, args...))
		if errors.Is(err, pgx.ErrNoRows) {
			return alertStateConflict(ctx, tx, id, what)
		}
		if err != nil {
			return fmt.Errorf("%s alert %d: %w", what, id, err)
		}
		_, err = insertAlertEvent(ctx, tx, id, kind, from, a.State, actor, comment, false)
		return err
	})
	return a, err
}

func alertStateConflict(ctx context.Context, tx pgx.Tx, id int64, what string) error {
	var state string
	err := tx.QueryRow(ctx, `SELECT state FROM alerts WHERE id = $1`, id).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s alert %d: %w", what, id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("%s alert %d: %w", what, id, err)
	}
	return fmt.Errorf("%s alert %d: it is %s: %w", what, id, state, ErrConflict)
}

func insertAlertEvent(ctx context.Context, tx pgx.Tx, alertID int64, kind string, from, to alert.AlertState,
	actor, comment string, notified bool) (int64, error) {
	var evID int64
	err := tx.QueryRow(ctx, `
		INSERT INTO alert_events (alert_id, at, kind, from_state, to_state, actor, comment, notified)
		VALUES ($1, now(), $2, $3, $4, $5, $6, $7) RETURNING id`,
		alertID, kind, from, to, actor, comment, notified).Scan(&evID)
	if err != nil {
		return 0, fmt.Errorf("record %s event of alert %d: %w", kind, alertID, err)
	}
	return evID, nil
}

// CloseAlert resolves an open alert by hand with a comment. Its rule does not fire again for the
// same key before a good cycle. If its firing was sent, the resolve deliveries are written; their
// keys are returned for the caller to enqueue (alert.EnqueueDelivery).
func (s *Store) CloseAlert(ctx context.Context, id int64, by, comment string) (alert.Alert, []string, error) {
	by = strings.TrimSpace(by)
	if by == "" {
		return alert.Alert{}, nil, &alert.FieldError{Field: "by", Message: "must name who closes the alert"}
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var a alert.Alert
	var keys []string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var from string
		if err := tx.QueryRow(ctx, `SELECT state FROM alerts WHERE id = $1 FOR UPDATE`, id).Scan(&from); err != nil {
			return mapErr(err, fmt.Sprintf("close alert %d", id))
		}
		if from == string(alert.StateResolved) {
			return fmt.Errorf("close alert %d: it is resolved: %w", id, ErrConflict)
		}
		var err error
		a, err = scanAlert(tx.QueryRow(ctx, `
			UPDATE alerts a SET state = 'resolved', resolved_at = now(), closed_by = $2, close_comment = $3,
				updated_at = now(), version = version + 1
			WHERE id = $1 RETURNING `+alertCols, id, by, comment))
		if err != nil {
			return fmt.Errorf("close alert %d: %w", id, err)
		}
		if _, err := tx.Exec(ctx, `
			UPDATE alert_state SET active = false, bad_count = 0, good_count = 0, latched = true, alert_id = NULL,
				version = version + 1, updated_at = now()
			WHERE alert_id = $1`, id); err != nil {
			return fmt.Errorf("latch state of alert %d: %w", id, err)
		}
		evID, err := insertAlertEvent(ctx, tx, id, alert.EventClosed, alert.AlertState(from), alert.StateResolved,
			by, comment, len(a.NotifiedChannels) > 0)
		if err != nil {
			return err
		}
		keys, err = closeDeliveries(ctx, tx, &a, evID, comment)
		return err
	})
	return a, keys, err
}

// closeDeliveries writes the resolve of a closed alert to every channel its firing went to.
func closeDeliveries(ctx context.Context, tx pgx.Tx, a *alert.Alert, evID int64, comment string) ([]string, error) {
	if len(a.NotifiedChannels) == 0 {
		return nil, nil
	}
	var dev *alert.Device
	if a.DeviceID != 0 {
		d := alert.Device{}
		err := tx.QueryRow(ctx, `SELECT host(ip), branch, region FROM devices WHERE id = $1`, a.DeviceID).Scan(&d.IP, &d.Branch, &d.Region)
		if err == nil {
			dev = &d
		}
	}
	msg := alert.NewMessage(a, dev, alert.NotifyResolved, time.Now())
	msg.Comment = comment
	rows := make([]deliveryRow, 0, len(a.NotifiedChannels))
	for _, ch := range a.NotifiedChannels {
		rows = append(rows, deliveryRow{alertID: a.ID, eventID: evID, channelID: ch, msg: msg})
	}
	return insertDeliveries(ctx, tx, rows)
}

// deliveryRow is one (alert event, channel) delivery to write.
type deliveryRow struct {
	alertID, eventID, channelID int64
	msg                         alert.Message
}

// DeliveryKey is the idempotency key of the delivery of one alert event to one channel.
func DeliveryKey(alertID, eventID, channelID int64) string {
	return fmt.Sprintf("a%d-e%d-c%d", alertID, eventID, channelID)
}

// insertDeliveries writes pending deliveries to channels that still exist and returns their keys.
func insertDeliveries(ctx context.Context, tx pgx.Tx, rows []deliveryRow) ([]string, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	n := len(rows)
	keys, alerts, events, chans, msgs := make([]string, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]string, n)
	for i, r := range rows {
		keys[i], alerts[i], events[i], chans[i] = DeliveryKey(r.alertID, r.eventID, r.channelID), r.alertID, r.eventID, r.channelID
		r.msg.DeliveryKey = keys[i]
		b, err := json.Marshal(r.msg)
		if err != nil {
			return nil, fmt.Errorf("encode message of %s: %w", keys[i], err)
		}
		msgs[i] = string(b)
	}
	out, err := tx.Query(ctx, `
		INSERT INTO deliveries (delivery_key, alert_id, event_id, channel_id, channel_name, message)
		SELECT u.k, u.a, u.e, u.c, ch.name, u.m::jsonb
		FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[]) AS u(k, a, e, c, m)
		JOIN channels ch ON ch.id = u.c
		ON CONFLICT (delivery_key) DO NOTHING
		RETURNING delivery_key`, keys, alerts, events, chans, msgs)
	if err != nil {
		return nil, fmt.Errorf("write deliveries: %w", err)
	}
	written, err := pgx.CollectRows(out, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("write deliveries: %w", err)
	}
	return written, nil
}
