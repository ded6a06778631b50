package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardops/wardops/pkg/notify"
)

const deliveryCols = `id, delivery_key, coalesce(alert_id, 0), coalesce(event_id, 0), channel_id, channel_name, message,
	state, attempts, last_error, created_at, updated_at, delivered_at`

func scanDelivery(row pgx.Row) (notify.Delivery, error) {
	var d notify.Delivery
	var msg []byte
	err := row.Scan(&d.ID, &d.Key, &d.AlertID, &d.EventID, &d.ChannelID, &d.ChannelName, &msg, &d.State, &d.Attempts,
		&d.LastError, &d.CreatedAt, &d.UpdatedAt, &d.DeliveredAt)
	if err != nil {
		return d, err
	}
	d.CreatedAt, d.UpdatedAt, d.DeliveredAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC(), utcPtr(d.DeliveredAt)
	if err := json.Unmarshal(msg, &d.Message); err != nil {
		return d, fmt.Errorf("decode message of delivery %s: %w", d.Key, err)
	}
	return d, nil
}

// ClaimDelivery takes the delivery of key for one send attempt: it leases it for lease and
// counts the attempt. A delivered key gives notify.ErrDelivered (never sent twice), a key leased
// by another worker notify.ErrBusy, an unknown key ErrNotFound.
func (s *Store) ClaimDelivery(ctx context.Context, key string, lease time.Duration) (notify.Delivery, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	d, err := scanDelivery(s.pool.QueryRow(ctx, `
		UPDATE deliveries SET state = 'sending', attempts = attempts + 1, lease_until = now() + $2::interval,
			updated_at = now()
		WHERE delivery_key = $1
			AND (state IN ('pending', 'failed') OR (state = 'sending' AND lease_until < now()))
		RETURNING `+deliveryCols, key, lease))
	if !errors.Is(err, pgx.ErrNoRows) {
		if err != nil {
			return d, fmt.Errorf("claim delivery %s: %w", key, err)
		}
		return d, nil
	}
	var state string
	err = s.pool.QueryRow(ctx, `SELECT state FROM deliveries WHERE delivery_key = $1`, key).Scan(&state)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return d, fmt.Errorf("claim delivery %s: %w %w", key, ErrNotFound, notify.ErrNoDelivery)
	case err != nil:
		return d, fmt.Errorf("claim delivery %s: %w", key, err)
	case state == notify.DeliveryDelivered:
		return d, fmt.Errorf("claim delivery %s: %w", key, notify.ErrDelivered)
	}
	return d, fmt.Errorf("claim delivery %s: %w", key, notify.ErrBusy)
}

// CompleteDelivery records a successful send.
func (s *Store) CompleteDelivery(ctx context.Context, key string) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `UPDATE deliveries SET state = 'delivered', delivered_at = now(), lease_until = NULL,
		last_error = '', updated_at = now() WHERE delivery_key = $1`, key)
	if err != nil {
		return fmt.Errorf("complete delivery %s: %w", key, err)
	}
	return nil
}

// FailDelivery records a failed attempt: pending again for the next retry, or failed for good
// when final.
func (s *Store) FailDelivery(ctx context.Context, key, reason string, final bool) error {
	state := notify.DeliveryPending
	if final {
		state = notify.DeliveryFailed
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `UPDATE deliveries SET state = $2, last_error = $3, lease_until = NULL, updated_at = now()
		WHERE delivery_key = $1 AND state <> 'delivered'`, key, state, reason)
	if err != nil {
		return fmt.Errorf("record failure of delivery %s: %w", key, err)
	}
	return nil
}

// RecordTestDelivery logs a "send test" of a channel (no alert) with its outcome.
func (s *Store) RecordTestDelivery(ctx context.Context, d notify.Delivery) error {
	msg, err := json.Marshal(d.Message)
	if err != nil {
		return fmt.Errorf("encode test message: %w", err)
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err = s.pool.Exec(ctx, `
		INSERT INTO deliveries (delivery_key, channel_id, channel_name, message, state, attempts, last_error, delivered_at)
		VALUES ($1, $2, $3, $4, $5, 1, $6, CASE WHEN $5 = 'delivered' THEN now() END)`,
		d.Key, d.ChannelID, d.ChannelName, msg, d.State, d.LastError)
	if err != nil {
		return fmt.Errorf("record test delivery %s: %w", d.Key, err)
	}
	return nil
}

// UnsentDeliveries lists deliveries pending (or with an expired lease) for longer than
// olderThan, oldest first: the evaluator enqueues them again (their task id makes that harmless
// when the task still exists).
func (s *Store) UnsentDeliveries(ctx context.Context, olderThan time.Duration, limit int) ([]string, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `
		SELECT delivery_key FROM deliveries
		WHERE state IN ('pending', 'sending') AND created_at < now() - $1::interval
			AND (state = 'pending' OR lease_until < now())
		ORDER BY created_at LIMIT $2`, olderThan, limit)
	if err != nil {
		return nil, fmt.Errorf("list unsent deliveries: %w", err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list unsent deliveries: %w", err)
	}
	return keys, nil
}

// DeliveryFilter selects deliveries for the log. Zero fields do not filter.
type DeliveryFilter struct {
	AlertID   int64
	ChannelID int64
	State     string
	// Before is the cursor (id of the last delivery of the previous page); Limit default 100.
	Before int64
	Limit  int
	// Scope limits the log to deliveries of alerts on a scoped caller's devices (test messages
	// and system alerts are outside every limited scope).
	Scope DeviceScope
}

// ListDeliveries returns the delivery log newest first.
func (s *Store) ListDeliveries(ctx context.Context, f DeliveryFilter) ([]notify.Delivery, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	cond, args := "true", []any{f.AlertID, f.ChannelID, f.State, f.Before, f.Limit}
	if !f.Scope.All() {
		cond, args = f.Scope.idsIn("sa.device_id", args)
		cond = "alert_id IN (SELECT sa.id FROM alerts sa WHERE " + cond + ")"
	}
	rows, err := s.pool.Query(ctx, `SELECT `+deliveryCols+` FROM deliveries
		WHERE ($1 = 0 OR alert_id = $1) AND ($2 = 0 OR channel_id = $2) AND ($3 = '' OR state = $3)
			AND ($4 = 0 OR id < $4) AND `+cond+`
		ORDER BY id DESC LIMIT $5`, args...)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (notify.Delivery, error) { return scanDelivery(r) })
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return out, nil
}
