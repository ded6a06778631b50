package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ScheduleEntry is one periodic job of the schedule (table schedule_jobs): its slots start at
// multiples of Interval since the Unix epoch, plus Offset.
type ScheduleEntry struct {
	TaskType  string        `json:"task_type"`
	Interval  time.Duration `json:"-"`
	Offset    time.Duration `json:"-"`
	Enabled   bool          `json:"enabled"`
	UpdatedAt time.Time     `json:"updated_at"`
	UpdatedBy string        `json:"updated_by"`
}

const scheduleCols = `task_type, interval_ms, offset_ms, enabled, updated_at, updated_by`

func scanScheduleEntry(row pgx.Row) (ScheduleEntry, error) {
	var e ScheduleEntry
	var iv, off int64
	if err := row.Scan(&e.TaskType, &iv, &off, &e.Enabled, &e.UpdatedAt, &e.UpdatedBy); err != nil {
		return e, err
	}
	e.Interval, e.Offset, e.UpdatedAt = time.Duration(iv)*time.Millisecond, time.Duration(off)*time.Millisecond, e.UpdatedAt.UTC()
	return e, nil
}

// SeedSchedule inserts the entries that have no row yet (a fresh database takes the
// environment's defaults) and leaves every existing row as it is.
func (s *Store) SeedSchedule(ctx context.Context, defaults []ScheduleEntry) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	b := &pgx.Batch{}
	for _, e := range defaults {
		b.Queue(`INSERT INTO schedule_jobs (task_type, interval_ms, offset_ms, enabled) VALUES ($1, $2, $3, $4)
			ON CONFLICT (task_type) DO NOTHING`, e.TaskType, e.Interval.Milliseconds(), e.Offset.Milliseconds(), e.Enabled)
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("seed schedule: %w", err)
	}
	return nil
}

// ListSchedule returns every schedule entry in task type order.
func (s *Store) ListSchedule(ctx context.Context) ([]ScheduleEntry, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+scheduleCols+` FROM schedule_jobs ORDER BY task_type`)
	if err != nil {
		return nil, fmt.Errorf("list schedule: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ScheduleEntry, error) { return scanScheduleEntry(r) })
	if err != nil {
		return nil, fmt.Errorf("list schedule: %w", err)
	}
	return out, nil
}

// GetScheduleEntry reads one entry; ErrNotFound when the task type has none.
func (s *Store) GetScheduleEntry(ctx context.Context, taskType string) (ScheduleEntry, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	e, err := scanScheduleEntry(s.pool.QueryRow(ctx, `SELECT `+scheduleCols+` FROM schedule_jobs WHERE task_type = $1`, taskType))
	return e, authErr(err, "get schedule entry "+taskType)
}

// PutScheduleEntry updates an existing entry (the caller has validated it) and returns the
// stored row; ErrNotFound when the task type has none.
func (s *Store) PutScheduleEntry(ctx context.Context, e ScheduleEntry) (ScheduleEntry, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	out, err := scanScheduleEntry(s.pool.QueryRow(ctx, `UPDATE schedule_jobs SET interval_ms = $2, offset_ms = $3,
		enabled = $4, updated_by = $5, updated_at = now() WHERE task_type = $1 RETURNING `+scheduleCols,
		e.TaskType, e.Interval.Milliseconds(), e.Offset.Milliseconds(), e.Enabled, e.UpdatedBy))
	return out, authErr(err, "put schedule entry "+e.TaskType)
}
