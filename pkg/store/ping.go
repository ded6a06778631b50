package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardops/wardops/pkg/device"
)

// PingResult is the outcome of pinging one device in one slot (pkg/device owns the type).
type PingResult = device.PingResult

// StatusChange is a device whose status changed with a write (pkg/device owns the type).
type StatusChange = device.StatusChange

// partitionName is the name of the day partition of ping_results holding t.
func partitionName(t time.Time) string { return "ping_results_" + t.UTC().Format("20060102") }

// EnsurePingPartitions creates the day partitions of ping_results from the day of from for
// days days, if missing. It is idempotent and cheap when they exist.
func (s *Store) EnsurePingPartitions(ctx context.Context, from time.Time, days int) error {
	day := from.UTC().Truncate(24 * time.Hour)
	var stmts []string
	for i := 0; i < days; i++ {
		lo, hi := day.AddDate(0, 0, i), day.AddDate(0, 0, i+1)
		stmts = append(stmts, fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s PARTITION OF ping_results FOR VALUES FROM ('%s') TO ('%s')`,
			partitionName(lo), lo.Format(time.RFC3339), hi.Format(time.RFC3339)))
	}
	return s.createPartitions(ctx, stmts)
}

// createPartitions runs CREATE TABLE IF NOT EXISTS … PARTITION OF statements under one
// transaction-scoped advisory lock: IF NOT EXISTS alone races when several workers start at
// once (both see no table; the second fails with "already exists").
func (s *Store) createPartitions(ctx context.Context, stmts []string) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('wardops:partitions', 0))`); err != nil {
			return fmt.Errorf("lock partition creation: %w", err)
		}
		for _, q := range stmts {
			if _, err := tx.Exec(ctx, q); err != nil {
				return fmt.Errorf("create partition (%s): %w", q, err)
			}
		}
		return nil
	})
}

var pingCols = []string{"device_id", "slot_at", "measured_at", "sent", "received", "rtt_min_ms",
	"rtt_avg_ms", "rtt_max_ms", "jitter_ms", "loss_pct", "status"}

// WritePingResults stores one batch of results of one slot in one transaction: the history
// rows by COPY (replacing rows a retried task wrote before, so a retry never duplicates), the
// latest-status rows in one statement, and an event per status change. Status rows of devices
// in maintenance keep that status. It returns the changes.
func (s *Store) WritePingResults(ctx context.Context, results []PingResult) ([]StatusChange, error) {
	if len(results) == 0 {
		return nil, nil
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var changes []StatusChange
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := replacePingRows(ctx, tx, results); err != nil {
			return err
		}
		var err error
		changes, err = upsertStatus(ctx, tx, results)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("write %d ping results: %w", len(results), err)
	}
	return changes, nil
}

func replacePingRows(ctx context.Context, tx pgx.Tx, results []PingResult) error {
	ids := make([]int64, len(results))
	slots := make([]time.Time, len(results))
	for i, r := range results {
		ids[i], slots[i] = r.DeviceID, r.SlotAt
	}
	// The same batch may run twice at once (a rescued batch beside a worker that only stalled):
	// a lock per (slot, first device) makes the second wait and then replace the first's rows,
	// where it would otherwise fail on the primary key and be retried.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('ping_results:' || $1::bigint || ':' || $2::bigint, 0))`,
		slots[0].Unix(), slices.Min(ids)); err != nil {
		return fmt.Errorf("lock batch rows: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM ping_results p USING unnest($1::bigint[], $2::timestamptz[]) AS k(id, slot)
		WHERE p.device_id = k.id AND p.slot_at = k.slot`, ids, slots); err != nil {
		return fmt.Errorf("clear retried rows: %w", err)
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"ping_results"}, pingCols, pgx.CopyFromSlice(len(results), func(i int) ([]any, error) {
		r := results[i]
		return []any{r.DeviceID, r.SlotAt, r.MeasuredAt, int16(r.Sent), int16(r.Received), r.RTTMinMS,
			r.RTTAvgMS, r.RTTMaxMS, r.JitterMS, r.LossPct, r.Status}, nil
	}))
	if err != nil {
		return fmt.Errorf("copy ping results: %w", err)
	}
	return nil
}

// upsertStatus updates the latest-status rows and records changes. A row only moves forward
// in time (last_slot), so a late retry of an older slot cannot overwrite newer state.
func upsertStatus(ctx context.Context, tx pgx.Tx, results []PingResult) ([]StatusChange, error) {
	n := len(results)
	ids, statuses := make([]int64, n), make([]string, n)
	mins, avgs, maxs, jits := make([]*float64, n), make([]*float64, n), make([]*float64, n), make([]*float64, n)
	losses, slots, measured := make([]float64, n), make([]time.Time, n), make([]time.Time, n)
	for i, r := range results {
		ids[i], statuses[i], mins[i], avgs[i], maxs[i], jits[i] = r.DeviceID, string(r.Status), r.RTTMinMS, r.RTTAvgMS, r.RTTMaxMS, r.JitterMS
		losses[i], slots[i], measured[i] = r.LossPct, r.SlotAt, r.MeasuredAt
	}
	rows, err := tx.Query(ctx, `
		WITH new AS (
			SELECT * FROM unnest($1::bigint[], $2::text[], $3::float8[], $4::float8[], $5::float8[], $6::float8[],
				$7::float8[], $8::timestamptz[], $9::timestamptz[])
				AS t(device_id, status, rtt_min, rtt_avg, rtt_max, jitter, loss, slot_at, measured_at)
		), old AS (
			SELECT s.device_id, s.status FROM device_status s JOIN new USING (device_id)
		), up AS (
			INSERT INTO device_status AS s (device_id, status, rtt_min_ms, rtt_avg_ms, rtt_max_ms, jitter_ms, loss_pct,
				last_seen, last_change, last_slot)
			SELECT n.device_id, n.status, n.rtt_min, n.rtt_avg, n.rtt_max, n.jitter, n.loss,
				CASE WHEN n.status <> 'down' THEN n.measured_at END, n.measured_at, n.slot_at
			FROM new n JOIN devices d ON d.id = n.device_id AND d.deleted_at IS NULL
			ON CONFLICT (device_id) DO UPDATE SET
				status = CASE WHEN s.status = 'maintenance' THEN s.status ELSE EXCLUDED.status END,
				rtt_min_ms = EXCLUDED.rtt_min_ms, rtt_avg_ms = EXCLUDED.rtt_avg_ms, rtt_max_ms = EXCLUDED.rtt_max_ms,
				jitter_ms = EXCLUDED.jitter_ms, loss_pct = EXCLUDED.loss_pct,
				last_seen = coalesce(EXCLUDED.last_seen, s.last_seen),
				last_change = CASE WHEN s.status IN (EXCLUDED.status, 'maintenance') THEN s.last_change ELSE EXCLUDED.last_change END,
				last_slot = EXCLUDED.last_slot,
				version = CASE WHEN s.status IN (EXCLUDED.status, 'maintenance') THEN s.version ELSE nextval('device_status_version_seq') END
			WHERE s.last_slot IS NULL OR s.last_slot <= EXCLUDED.last_slot
			RETURNING s.device_id, s.status, s.last_change, s.version
		), ev AS (
			INSERT INTO device_events (device_id, at, kind, from_status, to_status)
			SELECT up.device_id, up.last_change, 'status', coalesce(old.status, 'unknown'), up.status
			FROM up LEFT JOIN old USING (device_id)
			WHERE coalesce(old.status, 'unknown') <> up.status
			RETURNING device_id, from_status, to_status, at
		)
		SELECT ev.device_id, ev.from_status, ev.to_status, ev.at, up.version FROM ev JOIN up USING (device_id)`,
		ids, statuses, mins, avgs, maxs, jits, losses, slots, measured)
	if err != nil {
		return nil, fmt.Errorf("update latest status: %w", err)
	}
	changes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (StatusChange, error) {
		var c StatusChange
		err := r.Scan(&c.DeviceID, &c.From, &c.To, &c.At, &c.Version)
		c.At = c.At.UTC()
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("update latest status: %w", err)
	}
	return changes, setChangeBlocked(ctx, tx, changes)
}

// setChangeBlocked fills BlockedBy of status changes, as this transaction sees the ancestors.
func setChangeBlocked(ctx context.Context, tx pgx.Tx, changes []StatusChange) error {
	if len(changes) == 0 {
		return nil
	}
	ids := make([]int64, len(changes))
	for i, c := range changes {
		ids[i] = c.DeviceID
	}
	m, err := blockedByIDs(ctx, tx, ids)
	if err != nil {
		return err
	}
	for i := range changes {
		if root, ok := m[changes[i].DeviceID]; ok {
			changes[i].BlockedBy = &root
		}
	}
	return nil
}

// PingHistory is what the status verdict of a device needs: its latest status (as stored, ”
// when it has none) and its last cycles before a slot, newest first.
type PingHistory struct {
	Status device.Status
	Cycles []PingCycle
}

// PingCycle is one stored cycle: echoes sent and replies received.
type PingCycle struct {
	Sent     int
	Received int
}

// RecentPings returns, per device, its latest status and up to n cycles before slot (within
// the day before it, so that only two day partitions are read).
func (s *Store) RecentPings(ctx context.Context, ids []int64, slot time.Time, n int) (map[int64]PingHistory, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `
		SELECT k.id, coalesce(st.status, ''), p.sent, p.received
		FROM unnest($1::bigint[]) AS k(id)
		LEFT JOIN device_status st ON st.device_id = k.id
		LEFT JOIN LATERAL (SELECT r.sent, r.received, r.slot_at FROM ping_results r
			WHERE r.device_id = k.id AND r.slot_at < $2 AND r.slot_at >= $2 - interval '1 day'
			ORDER BY r.slot_at DESC LIMIT $3) p ON true
		ORDER BY k.id, p.slot_at DESC`, ids, slot, n)
	if err != nil {
		return nil, fmt.Errorf("read recent pings of %d devices: %w", len(ids), err)
	}
	defer rows.Close()
	out := make(map[int64]PingHistory, len(ids))
	for rows.Next() {
		var id int64
		var status string
		var sent, recv *int16
		if err := rows.Scan(&id, &status, &sent, &recv); err != nil {
			return nil, fmt.Errorf("read recent pings: %w", err)
		}
		h := out[id]
		h.Status = device.Status(status)
		if sent != nil && recv != nil {
			h.Cycles = append(h.Cycles, PingCycle{Sent: int(*sent), Received: int(*recv)})
		}
		out[id] = h
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read recent pings: %w", err)
	}
	return out, nil
}
