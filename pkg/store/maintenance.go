package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/wardops/wardops/pkg/alert"
)

const windowCols = `id, name, description, kind, starts_at, ends_at, weekdays, start_time, duration_minutes,
	time_zone, targets, enabled, created_by, created_at, updated_at`

func scanWindow(row pgx.Row) (alert.Window, error) {
	var w alert.Window
	var days []int16
	var targets []byte
	err := row.Scan(&w.ID, &w.Name, &w.Description, &w.Kind, &w.StartsAt, &w.EndsAt, &days, &w.StartTime,
		&w.DurationMinutes, &w.TimeZone, &targets, &w.Enabled, &w.CreatedBy, &w.CreatedAt, &w.UpdatedAt)
	if err != nil {
		return w, err
	}
	w.Weekdays = make([]int, len(days))
	for i, d := range days {
		w.Weekdays[i] = int(d)
	}
	w.StartsAt, w.EndsAt = utcPtr(w.StartsAt), utcPtr(w.EndsAt)
	w.CreatedAt, w.UpdatedAt = w.CreatedAt.UTC(), w.UpdatedAt.UTC()
	if err := json.Unmarshal(targets, &w.Targets); err != nil {
		return w, fmt.Errorf("decode targets of window %d: %w", w.ID, err)
	}
	return w, nil
}

func (s *Store) queryWindows(ctx context.Context, where string, args ...any) ([]alert.Window, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+windowCols+` FROM maintenance_windows `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (alert.Window, error) { return scanWindow(r) })
}

// ListWindows returns every maintenance window in id order.
func (s *Store) ListWindows(ctx context.Context) ([]alert.Window, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	out, err := s.queryWindows(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("list maintenance windows: %w", err)
	}
	return out, nil
}

// GetWindow reads one maintenance window.
func (s *Store) GetWindow(ctx context.Context, id int64) (alert.Window, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	w, err := scanWindow(s.pool.QueryRow(ctx, `SELECT `+windowCols+` FROM maintenance_windows WHERE id = $1`, id))
	return w, mapErr(err, fmt.Sprintf("read maintenance window %d", id))
}

func weekdays(w alert.Window) []int16 {
	out := make([]int16, len(w.Weekdays))
	for i, d := range w.Weekdays {
		out[i] = int16(d)
	}
	return out
}

// CreateWindow validates and inserts a maintenance window. It takes effect at the next ping
// evaluation pass.
func (s *Store) CreateWindow(ctx context.Context, in alert.WindowInput) (alert.Window, error) {
	w, err := in.Window()
	if err != nil {
		return w, err
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	out, err := scanWindow(s.pool.QueryRow(ctx, `
		INSERT INTO maintenance_windows (name, description, kind, starts_at, ends_at, weekdays, start_time,
			duration_minutes, time_zone, targets, enabled, created_by)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) RETURNING `+windowCols,
		w.Name, w.Description, w.Kind, w.StartsAt, w.EndsAt, weekdays(w), w.StartTime, w.DurationMinutes, w.TimeZone,
		scopeJSON(w.Targets), w.Enabled, w.CreatedBy))
	return out, mapErr(err, "create maintenance window")
}

// UpdateWindow replaces a maintenance window (the API merges a PATCH onto the current one first).
func (s *Store) UpdateWindow(ctx context.Context, id int64, in alert.WindowInput) (alert.Window, error) {
	w, err := in.Window()
	if err != nil {
		return w, err
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	out, err := scanWindow(s.pool.QueryRow(ctx, `
		UPDATE maintenance_windows SET name=$2, description=$3, kind=$4, starts_at=$5, ends_at=$6, weekdays=$7,
			start_time=$8, duration_minutes=$9, time_zone=$10, targets=$11, enabled=$12, updated_at=now()
		WHERE id = $1 RETURNING `+windowCols,
		id, w.Name, w.Description, w.Kind, w.StartsAt, w.EndsAt, weekdays(w), w.StartTime, w.DurationMinutes,
		w.TimeZone, scopeJSON(w.Targets), w.Enabled))
	return out, mapErr(err, fmt.Sprintf("update maintenance window %d", id))
}

// DeleteWindow removes a maintenance window; its devices leave maintenance at the next ping pass.
func (s *Store) DeleteWindow(ctx context.Context, id int64) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `DELETE FROM maintenance_windows WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete maintenance window %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete maintenance window %d: %w", id, ErrNotFound)
	}
	return nil
}
