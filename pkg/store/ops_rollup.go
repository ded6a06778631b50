package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// HourlyPing is one row of ping_hourly: a device's pings over one UTC hour.
type HourlyPing struct {
	DeviceID    int64     `json:"device_id"`
	Hour        time.Time `json:"hour"`
	Slots       int       `json:"slots"`
	UpSlots     int       `json:"up_slots"`
	Sent        int       `json:"sent"`
	Received    int       `json:"received"`
	RTTMinMS    *float64  `json:"rtt_min_ms"`
	RTTAvgMS    *float64  `json:"rtt_avg_ms"`
	RTTMaxMS    *float64  `json:"rtt_max_ms"`
	JitterAvgMS *float64  `json:"jitter_avg_ms"`
	LossPct     float64   `json:"loss_pct"`
}

// RollupPing writes the hourly roll-ups of the ping_results rows with slot_at in [from, to)
// (both on whole UTC hours) into ping_hourly, replacing rows an earlier run wrote for those
// hours, so it may run any number of times. The ping_hourly partitions must exist
// (EnsureHourlyPartitions). stmtTimeout bounds the statement (it may exceed the query timeout:
// an hour of a large fleet is millions of rows). It returns the rows written.
func (s *Store) RollupPing(ctx context.Context, from, to time.Time, stmtTimeout time.Duration) (int64, error) {
	if stmtTimeout <= 0 {
		stmtTimeout = s.timeout
	}
	ctx, cancel := context.WithTimeout(ctx, stmtTimeout+time.Second)
	defer cancel()
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = `+strconv.FormatInt(stmtTimeout.Milliseconds(), 10)); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `
			INSERT INTO ping_hourly AS h (device_id, hour, slots, up_slots, sent, received,
				rtt_min_ms, rtt_avg_ms, rtt_max_ms, jitter_avg_ms, loss_pct)
			SELECT device_id, date_trunc('hour', slot_at, 'UTC'), count(*),
				count(*) FILTER (WHERE status IN ('up', 'degraded')),
				sum(sent), sum(received), min(rtt_min_ms),
				sum(rtt_avg_ms * received) / nullif(sum(received) FILTER (WHERE rtt_avg_ms IS NOT NULL), 0),
				max(rtt_max_ms), avg(jitter_ms),
				coalesce(100.0 * (sum(sent) - sum(received)) / nullif(sum(sent), 0), 100)
			FROM ping_results
			WHERE slot_at >= $1 AND slot_at < $2
			GROUP BY 1, 2
			ON CONFLICT (device_id, hour) DO UPDATE SET
				slots = EXCLUDED.slots, up_slots = EXCLUDED.up_slots, sent = EXCLUDED.sent,
				received = EXCLUDED.received, rtt_min_ms = EXCLUDED.rtt_min_ms,
				rtt_avg_ms = EXCLUDED.rtt_avg_ms, rtt_max_ms = EXCLUDED.rtt_max_ms,
				jitter_avg_ms = EXCLUDED.jitter_avg_ms, loss_pct = EXCLUDED.loss_pct`, from.UTC(), to.UTC())
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("roll up pings %s to %s: %w", from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), err)
	}
	return n, nil
}

// HourlyPings returns the roll-ups of a device with hour in [from, to), oldest first.
func (s *Store) HourlyPings(ctx context.Context, deviceID int64, from, to time.Time) ([]HourlyPing, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT device_id, hour, slots, up_slots, sent, received, rtt_min_ms,
			rtt_avg_ms, rtt_max_ms, jitter_avg_ms, loss_pct
		FROM ping_hourly WHERE device_id = $1 AND hour >= $2 AND hour < $3 ORDER BY hour`, deviceID, from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("read hourly pings of device %d: %w", deviceID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (HourlyPing, error) {
		var h HourlyPing
		err := r.Scan(&h.DeviceID, &h.Hour, &h.Slots, &h.UpSlots, &h.Sent, &h.Received, &h.RTTMinMS,
			&h.RTTAvgMS, &h.RTTMaxMS, &h.JitterAvgMS, &h.LossPct)
		h.Hour = h.Hour.UTC()
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("read hourly pings of device %d: %w", deviceID, err)
	}
	return out, nil
}

// Names of ops_state rows.
const (
	// OpsRollupWatermark: every hour before its time is rolled up.
	OpsRollupWatermark = "rollup_watermark"
	// OpsRetentionLastRun: the outcome of the last retention run (detail is its JSON report).
	OpsRetentionLastRun = "retention_last_run"
)

// OpsState reads a named ops_state row; found is false when it was never written. detail, when
// not nil, receives the row's JSON detail.
func (s *Store) OpsState(ctx context.Context, name string, detail any) (at time.Time, found bool, err error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var raw []byte
	err = s.pool.QueryRow(ctx, `SELECT at, detail FROM ops_state WHERE name = $1`, name).Scan(&at, &raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read ops state %s: %w", name, err)
	}
	if detail != nil {
		if err := json.Unmarshal(raw, detail); err != nil {
			return time.Time{}, false, fmt.Errorf("decode ops state %s: %w", name, err)
		}
	}
	return at.UTC(), true, nil
}

// SetOpsState writes a named ops_state row; detail is stored as JSON (nil: {}).
func (s *Store) SetOpsState(ctx context.Context, name string, at time.Time, detail any) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	raw := []byte("{}")
	if detail != nil {
		var err error
		if raw, err = json.Marshal(detail); err != nil {
			return fmt.Errorf("encode ops state %s: %w", name, err)
		}
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO ops_state (name, at, detail) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET at = EXCLUDED.at, detail = EXCLUDED.detail, updated_at = now()`,
		name, at.UTC(), raw)
	if err != nil {
		return fmt.Errorf("write ops state %s: %w", name, err)
	}
	return nil
}

// opsLockClass is the first key of the two-key advisory locks of housekeeping jobs.
const opsLockClass = 0x6f7073 // "ops"

// TryOpsLock takes the session advisory lock of a housekeeping job by name without waiting, so
// that two workers (or a worker and an operator) never run the same job at once. ok is false
// when another session holds it. release unlocks and returns the connection; call it once.
func (s *Store) TryOpsLock(ctx context.Context, name string) (release func(), ok bool, err error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	conn, err := s.root.Acquire(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("lock %s: %w", name, err)
	}
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, hashtext($2))`, opsLockClass, name).Scan(&ok); err != nil {
		conn.Release()
		return nil, false, fmt.Errorf("lock %s: %w", name, err)
	}
	if !ok {
		conn.Release()
		return nil, false, nil
	}
	return func() {
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock($1, hashtext($2))`, opsLockClass, name); err != nil {
			// a session whose unlock failed must not go back to the pool still holding the lock
			_ = conn.Conn().Close(uctx)
		}
		conn.Release()
	}, true, nil
}
