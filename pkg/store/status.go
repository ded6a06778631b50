package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardops/wardops/pkg/device"
)

// Device statuses: pkg/device owns the words; these names stay for the store's callers.
const (
	StatusUp          = device.Up
	StatusDown        = device.Down
	StatusDegraded    = device.Degraded
	StatusUnknown     = device.Unknown
	StatusMaintenance = device.Maintenance
)

// ValidStatus reports whether s is one of the five device statuses.
func ValidStatus(s string) bool { return device.Status(s).Valid() }

// Status is the latest state of one device.
type Status struct {
	Status     device.Status `json:"status"`
	RTTMinMS   *float64      `json:"rtt_min_ms"`
	RTTAvgMS   *float64      `json:"rtt_ms"`
	RTTMaxMS   *float64      `json:"rtt_max_ms"`
	JitterMS   *float64      `json:"jitter_ms"`
	LossPct    *float64      `json:"loss_pct"`
	LastSeen   *time.Time    `json:"last_seen"`
	LastChange time.Time     `json:"last_change"`
	// Version grows with every status change of the device (one sequence for all devices): of
	// two states of a device, the one with the higher version is the newer.
	Version int64 `json:"version"`
}

// DeviceWithStatus is a device and its latest status, as the device lists return it.
type DeviceWithStatus struct {
	Device
	Status
	// BlockedBy is the id of the topmost down ancestor of the device, or nil (see blocked.go).
	BlockedBy *int64 `json:"blocked_by"`
}

const statusCols = `coalesce(s.status,'unknown'), s.rtt_min_ms, s.rtt_avg_ms, s.rtt_max_ms, s.jitter_ms,
	s.loss_pct, s.last_seen, coalesce(s.last_change, d.created_at), coalesce(s.version, 0)`

func scanDeviceStatus(row pgx.Row) (DeviceWithStatus, error) {
	var ds DeviceWithStatus
	st := &ds.Status
	d, err := scanDevice(row, &st.Status, &st.RTTMinMS, &st.RTTAvgMS, &st.RTTMaxMS, &st.JitterMS,
		&st.LossPct, &st.LastSeen, &st.LastChange, &st.Version)
	ds.Device = d
	if st.LastSeen != nil {
		t := st.LastSeen.UTC()
		st.LastSeen = &t
	}
	st.LastChange = st.LastChange.UTC()
	return ds, err
}

// DeviceFilter selects devices for a list page. Empty fields do not filter.
type DeviceFilter struct {
	Branch string
	Region string
	Type   string
	Status string
	// Query matches a substring of the name (case-insensitive) or a prefix of the IP.
	Query string
	// After is the cursor: the id of the last device of the previous page.
	After int64
	// Limit is the page size (1..1000).
	Limit int
	// Scope limits the list to a scoped caller's devices (zero: every device).
	Scope DeviceScope
}

// ListDevices returns one page of devices with their latest status in id order, and the cursor
// of the next page (0 when this is the last).
func (s *Store) ListDevices(ctx context.Context, f DeviceFilter) ([]DeviceWithStatus, int64, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var w where
	w.add("d.id > ?", f.After)
	w.add("d.deleted_at IS NULL")
	if f.Branch != "" {
		w.add("d.branch = ?", f.Branch)
	}
	if f.Region != "" {
		w.add("d.region = ?", f.Region)
	}
	if f.Type != "" {
		w.add("d.type = ?", f.Type)
	}
	if f.Status != "" {
		w.add("coalesce(s.status,'unknown') = ?", f.Status)
	}
	if f.Query != "" {
		w.add("(strpos(lower(d.name), lower(?)) > 0 OR host(d.ip) LIKE ?)", f.Query, likeEscape(f.Query)+"%")
	}
	w.scope(f.Scope, "d")
	q := `SELECT ` + deviceCols + `, ` + statusCols + ` FROM devices d LEFT JOIN device_status s ON s.device_id = d.id
		WHERE ` + w.sql() + ` ORDER BY d.id LIMIT ` + w.arg(f.Limit+1)
	rows, err := s.pool.Query(ctx, q, w.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list devices: %w", err)
	}
	defer rows.Close()
	out := make([]DeviceWithStatus, 0, f.Limit)
	for rows.Next() {
		ds, err := scanDeviceStatus(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list devices: %w", err)
		}
		out = append(out, ds)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list devices: %w", err)
	}
	var next int64
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = out[len(out)-1].ID
	}
	if err := s.setBlockedBy(ctx, out); err != nil {
		return nil, 0, err
	}
	return out, next, nil
}

// likeEscape escapes LIKE wildcards so a search is literal.
func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// DeviceWithStatusByID reads one device and its latest status.
func (s *Store) DeviceWithStatusByID(ctx context.Context, id int64) (DeviceWithStatus, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	ds, err := scanDeviceStatus(s.pool.QueryRow(ctx, `SELECT `+deviceCols+`, `+statusCols+`
		FROM devices d LEFT JOIN device_status s ON s.device_id = d.id WHERE d.id = $1 AND d.deleted_at IS NULL`, id))
	if err != nil {
		return ds, mapErr(err, fmt.Sprintf("read device %d", id))
	}
	list := []DeviceWithStatus{ds}
	if err := s.setBlockedBy(ctx, list); err != nil {
		return ds, err
	}
	return list[0], nil
}

// StandaloneRow is one device of the standalone list — GET /api/v1/devices/standalone/list,
// the whole fleet with its latest status in one unpaged answer (pkg/api/standalone.go) — in
// SPEC.md's compact shape.
type StandaloneRow struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	IP       string `json:"ip"`
	Branch   string `json:"branch"`
	Region   string `json:"region"`
	Type     string `json:"type"`
	ParentID *int64 `json:"parent_id"`
	// BlockedBy is the id of the topmost down ancestor, or nil (see blocked.go).
	BlockedBy  *int64        `json:"blocked_by"`
	Status     device.Status `json:"status"`
	RTTMS      *float64      `json:"rtt_ms"`
	LossPct    *float64      `json:"loss_pct"`
	JitterMS   *float64      `json:"jitter_ms"`
	LastSeen   *time.Time    `json:"last_seen"`
	LastChange time.Time     `json:"last_change"`
	// Version is the status version (see Status.Version).
	Version int64 `json:"version"`
}

// StandaloneList returns every device with its latest status in one query (no history scan).
func (s *Store) StandaloneList(ctx context.Context) ([]StandaloneRow, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `
		SELECT d.id, d.name, host(d.ip), d.branch, d.region, d.type, d.parent_id,
			coalesce(s.status,'unknown'), s.rtt_avg_ms, s.loss_pct, s.jitter_ms, s.last_seen,
			coalesce(s.last_change, d.created_at), coalesce(s.version, 0)
		FROM devices d LEFT JOIN device_status s ON s.device_id = d.id WHERE d.deleted_at IS NULL ORDER BY d.id`)
	if err != nil {
		return nil, fmt.Errorf("standalone list: %w", err)
	}
	defer rows.Close()
	out := make([]StandaloneRow, 0, 1024)
	for rows.Next() {
		var r StandaloneRow
		if err := rows.Scan(&r.ID, &r.Name, &r.IP, &r.Branch, &r.Region, &r.Type, &r.ParentID, &r.Status,
			&r.RTTMS, &r.LossPct, &r.JitterMS, &r.LastSeen, &r.LastChange, &r.Version); err != nil {
			return nil, fmt.Errorf("standalone list: %w", err)
		}
		if r.LastSeen != nil {
			t := r.LastSeen.UTC()
			r.LastSeen = &t
		}
		r.LastChange = r.LastChange.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("standalone list: %w", err)
	}
	setStandaloneBlocked(out)
	return out, nil
}

// Event is one recorded state change of a device.
type Event struct {
	ID         int64          `json:"id"`
	DeviceID   int64          `json:"device_id"`
	At         time.Time      `json:"at"`
	Kind       string         `json:"kind"`
	FromStatus *string        `json:"from_status"`
	ToStatus   *string        `json:"to_status"`
	Detail     map[string]any `json:"detail"`
}

// DeviceEvents returns the newest events of a device, newest first.
func (s *Store) DeviceEvents(ctx context.Context, deviceID int64, limit int) ([]Event, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT id, device_id, at, kind, from_status, to_status, detail
		FROM device_events WHERE device_id = $1 ORDER BY at DESC, id DESC LIMIT $2`, deviceID, limit)
	if err != nil {
		return nil, fmt.Errorf("read events of device %d: %w", deviceID, err)
	}
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.ID, &e.DeviceID, &e.At, &e.Kind, &e.FromStatus, &e.ToStatus, &e.Detail); err != nil {
			return nil, fmt.Errorf("read events of device %d: %w", deviceID, err)
		}
		e.At = e.At.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}
