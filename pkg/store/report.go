package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// AvailabilityRow is the time one device spent in each status over a report window, from its
// status events (kind 'status' in device_events). Seconds are float: events carry sub-second times.
type AvailabilityRow struct {
	DeviceID int64
	Name     string
	Branch   string
	Region   string
	// MonitoredS is the part of the window the device existed (it may have been created inside it).
	MonitoredS    float64
	DownS         float64
	MaintenanceS  float64
	UnknownS      float64
	Outages       int
	CurrentStatus string
}

// Outage is one period a device spent down. Start is when it went down, which may be before
// the window; End is nil while it is still down.
type Outage struct {
	DeviceID int64
	Name     string
	Branch   string
	Region   string
	Start    time.Time
	End      *time.Time
}

// segmentsCTE cuts [greatest(created_at, $1), $2) of every device into periods of one status:
// the status at the window's start (the last status event before it, else the "from" of the
// first event inside it, else the current status), then one period per status event inside
// the window. Two index lookups per device plus the window's events: no history scan.
// The dev CTE keeps the devices of the caller's scope: segmentsCTE(cond) with cond on alias d.
func segmentsCTE(scopeCond string) string {
	return `
WITH dev AS (
	SELECT d.id, d.name, d.branch, d.region, greatest(d.created_at, $1::timestamptz) AS t0,
		least(coalesce(d.deleted_at, $2::timestamptz), $2::timestamptz) AS t1
	FROM devices d WHERE d.created_at < $2::timestamptz AND (d.deleted_at IS NULL OR d.deleted_at > $1::timestamptz) AND ` + scopeCond + `
), start AS (
	SELECT dev.id AS device_id, dev.t0 AS at, 0::bigint AS ord,
		coalesce(b.to_status, a.from_status, s.status, 'unknown') AS status, coalesce(b.at, dev.t0) AS since
	FROM dev
	LEFT JOIN LATERAL (SELECT e.to_status, e.at FROM device_events e
		WHERE e.device_id = dev.id AND e.kind = 'status' AND e.at <= dev.t0 ORDER BY e.at DESC, e.id DESC LIMIT 1) b ON true
	LEFT JOIN LATERAL (SELECT e.from_status FROM device_events e
		WHERE e.device_id = dev.id AND e.kind = 'status' AND e.at > dev.t0 AND e.at < dev.t1 ORDER BY e.at, e.id LIMIT 1) a ON true
	LEFT JOIN device_status s ON s.device_id = dev.id
), ev AS (
	SELECT e.device_id, e.at, e.id AS ord, coalesce(e.to_status, 'unknown') AS status, e.at AS since
	FROM device_events e JOIN dev ON dev.id = e.device_id
	WHERE e.kind = 'status' AND e.at > dev.t0 AND e.at < dev.t1
), seg AS (
	SELECT device_id, status, at, since, lead(at) OVER w AS next_at, lag(status) OVER w AS prev
	FROM (SELECT * FROM start UNION ALL SELECT * FROM ev) x
	WINDOW w AS (PARTITION BY device_id ORDER BY at, ord)
)`
}

// Availability returns the time by status of every device of scope sc that existed in
// [from, to), in id order.
func (s *Store) Availability(ctx context.Context, from, to time.Time, sc DeviceScope) ([]AvailabilityRow, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	cond, args := sc.cond("d", []any{from.UTC(), to.UTC()})
	rows, err := s.pool.Query(ctx, segmentsCTE(cond)+`
	SELECT dev.id, dev.name, dev.branch, dev.region, extract(epoch FROM dev.t1 - dev.t0)::float8,
		coalesce(sum(extract(epoch FROM coalesce(seg.next_at, dev.t1) - seg.at)) FILTER (WHERE seg.status = 'down'), 0)::float8,
		coalesce(sum(extract(epoch FROM coalesce(seg.next_at, dev.t1) - seg.at)) FILTER (WHERE seg.status = 'maintenance'), 0)::float8,
		coalesce(sum(extract(epoch FROM coalesce(seg.next_at, dev.t1) - seg.at)) FILTER (WHERE seg.status = 'unknown'), 0)::float8,
		count(*) FILTER (WHERE seg.status = 'down' AND seg.prev IS DISTINCT FROM 'down'),
		coalesce(max(seg.status) FILTER (WHERE seg.next_at IS NULL), 'unknown')
	FROM dev JOIN seg ON seg.device_id = dev.id
	GROUP BY dev.id, dev.name, dev.branch, dev.region, dev.t0, dev.t1
	ORDER BY dev.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("availability %s..%s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AvailabilityRow, error) {
		var a AvailabilityRow
		err := r.Scan(&a.DeviceID, &a.Name, &a.Branch, &a.Region, &a.MonitoredS, &a.DownS, &a.MaintenanceS, &a.UnknownS, &a.Outages, &a.CurrentStatus)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("availability %s..%s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	return out, nil
}

// Outages returns the down periods of devices of scope sc that overlap [from, to), newest
// first, at most limit of them, and whether more were left out.
func (s *Store) Outages(ctx context.Context, from, to time.Time, limit int, sc DeviceScope) ([]Outage, bool, error) {
	if limit <= 0 {
		limit = 10000
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	cond, args := sc.cond("d", []any{from.UTC(), to.UTC(), limit + 1})
	rows, err := s.pool.Query(ctx, segmentsCTE(cond)+`
	SELECT dev.id, dev.name, dev.branch, dev.region, seg.since,
		coalesce(seg.next_at, CASE WHEN dev.t1 < $2::timestamptz THEN dev.t1 END) -- a deleted device's outage ends with it
	FROM seg JOIN dev ON dev.id = seg.device_id
	WHERE seg.status = 'down' AND seg.prev IS DISTINCT FROM 'down'
	ORDER BY seg.since DESC, dev.id LIMIT $3`, args...)
	if err != nil {
		return nil, false, fmt.Errorf("outages %s..%s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Outage, error) {
		var o Outage
		err := r.Scan(&o.DeviceID, &o.Name, &o.Branch, &o.Region, &o.Start, &o.End)
		o.Start = o.Start.UTC()
		o.End = utcPtr(o.End)
		return o, err
	})
	if err != nil {
		return nil, false, fmt.Errorf("outages %s..%s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	if len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, nil
}
