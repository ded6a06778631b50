package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Device is one monitored device of the inventory.
type Device struct {
	ID        int64             `json:"id"`
	Name      string            `json:"name"`
	IP        netip.Addr        `json:"ip"`
	Branch    string            `json:"branch"`
	Region    string            `json:"region"`
	Type      string            `json:"type"`
	Vendor    string            `json:"vendor"`
	Labels    map[string]string `json:"labels"`
	ParentID  *int64            `json:"parent_id"`
	ProfileID *int64            `json:"profile_id"`
	// BranchID is the branch object the device sits in (null: no branch).
	BranchID *int64 `json:"branch_id"`
	// EffectiveProfileID is the profile the device is monitored with: its own, else its
	// branch's default, else its type's default (null: the worker's configured defaults).
	EffectiveProfileID *int64    `json:"effective_profile_id"`
	Enabled            bool      `json:"enabled"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
}

// DeviceInput is what a create or a full update writes.
type DeviceInput struct {
	Name      string
	IP        netip.Addr
	Branch    string
	Region    string
	Type      string
	Vendor    string
	Labels    map[string]string
	ParentID  *int64
	ProfileID *int64
	Enabled   bool
	// Strict refuses branch and region names that do not exist (the API's writes); otherwise
	// missing ones are created (imports, seeding).
	Strict bool
}

const deviceCols = `d.id, d.name, d.ip, d.branch, d.region, d.type, d.vendor, d.labels, d.parent_id,
	d.profile_id, d.branch_id, ` + effectiveProfile + `, d.enabled, d.created_at, d.updated_at`

// effectiveProfile is the SQL of device row d's effective profile id: device > branch > type.
const effectiveProfile = `coalesce(d.profile_id, (SELECT eb.profile_id FROM branches eb WHERE eb.id = d.branch_id),
	(SELECT et.profile_id FROM device_type_profiles et WHERE et.type = d.type))`

func scanDevice(row pgx.Row, extra ...any) (Device, error) {
	var d Device
	var labels []byte
	dest := append([]any{&d.ID, &d.Name, &d.IP, &d.Branch, &d.Region, &d.Type, &d.Vendor, &labels,
		&d.ParentID, &d.ProfileID, &d.BranchID, &d.EffectiveProfileID, &d.Enabled, &d.CreatedAt, &d.UpdatedAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return d, err
	}
	d.Labels = map[string]string{}
	if len(labels) > 0 {
		if err := json.Unmarshal(labels, &d.Labels); err != nil {
			return d, fmt.Errorf("decode labels of device %d: %w", d.ID, err)
		}
	}
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	return d, nil
}

func labelsJSON(m map[string]string) []byte {
	if m == nil {
		m = map[string]string{}
	}
	b, _ := json.Marshal(m) // a map of strings always marshals
	return b
}

// mapErr turns constraint violations into ErrConflict / ErrInvalidReference.
func mapErr(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return &ConstraintError{Kind: ErrConflict, Constraint: pe.ConstraintName, Detail: pe.Detail}
		case "23503":
			return &ConstraintError{Kind: ErrInvalidReference, Constraint: pe.ConstraintName, Detail: pe.Detail}
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// ErrInvalidReference is returned when a write names a row that does not exist (a parent or
// profile id).
var ErrInvalidReference = errors.New("invalid reference")

// ConstraintError says which constraint a write violated; it matches ErrConflict or
// ErrInvalidReference with errors.Is.
type ConstraintError struct {
	Kind       error
	Constraint string
	// Detail is PostgreSQL's own text (for logs; never sent to clients).
	Detail string
	// Message, when set, is a message written by the store for the client (a parent loop).
	Message string
}

func (e *ConstraintError) Error() string {
	if e.Message != "" {
		return fmt.Sprintf("%v: %s (%s)", e.Kind, e.Constraint, e.Message)
	}
	return fmt.Sprintf("%v: %s (%s)", e.Kind, e.Constraint, e.Detail)
}

// ClientMessage says what is wrong in the API's words, never PostgreSQL's (whose Detail names
// tables, columns and values: `Key (parent_id)=(7) is not present in table "devices"`).
func (e *ConstraintError) ClientMessage(what string) string {
	if e.Message != "" {
		return e.Message
	}
	field := e.Field()
	switch {
	case errors.Is(e, ErrConflict) && field != "":
		return fmt.Sprintf("another %s already has this %s", what, field)
	case errors.Is(e, ErrConflict):
		return fmt.Sprintf("the %s conflicts with an existing one", what)
	case field == "parent_id":
		return "parent_id does not name an existing device"
	case field == "profile_id":
		return "profile_id does not name an existing monitoring profile"
	case field == "region_id":
		return "region_id does not name an existing region"
	}
	return fmt.Sprintf("the %s refers to something that does not exist", what)
}

// Is lets errors.Is match the kind.
func (e *ConstraintError) Is(target error) bool { return target == e.Kind }

// Field names the input field behind the violated constraint, for API errors.
func (e *ConstraintError) Field() string {
	switch {
	case strings.Contains(e.Constraint, "name"):
		return "name"
	case strings.Contains(e.Constraint, "region_id"):
		return "region_id"
	case strings.Contains(e.Constraint, "profile"):
		return "profile_id"
	case strings.Contains(e.Constraint, "branch"):
		return "branch"
	case strings.Contains(e.Constraint, "region"):
		return "region"
	case strings.Contains(e.Constraint, "parent"):
		return "parent_id"
	}
	return ""
}

// CreateDevice inserts a device and its initial 'unknown' status row, in the branch (and
// region) it names; see DeviceInput.Strict for names that do not exist.
func (s *Store) CreateDevice(ctx context.Context, in DeviceInput) (Device, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var d Device
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		pl, err := resolvePlace(ctx, tx, in.Branch, in.Region, in.Strict)
		if err != nil {
			return err
		}
		row := tx.QueryRow(ctx, `
			WITH d AS (
				INSERT INTO devices (name, ip, branch, region, type, vendor, labels, parent_id, profile_id, enabled, branch_id)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING *
			), st AS (INSERT INTO device_status (device_id) SELECT id FROM d)
			SELECT `+deviceCols+` FROM d`,
			in.Name, in.IP, pl.Branch, pl.Region, in.Type, in.Vendor, labelsJSON(in.Labels), in.ParentID, in.ProfileID, in.Enabled, pl.BranchID)
		d, err = scanDevice(row)
		return err
	})
	return d, mapErr(err, "create device")
}

// GetDevice reads one device.
func (s *Store) GetDevice(ctx context.Context, id int64) (Device, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	d, err := scanDevice(s.pool.QueryRow(ctx, `SELECT `+deviceCols+` FROM devices d WHERE d.id = $1 AND d.deleted_at IS NULL`, id))
	return d, mapErr(err, fmt.Sprintf("read device %d", id))
}

// UpdateDevice replaces a device's fields (the API merges a PATCH onto the current row first).
func (s *Store) UpdateDevice(ctx context.Context, id int64, in DeviceInput) (Device, error) {
	if in.ParentID != nil && *in.ParentID == id {
		return Device{}, &ConstraintError{Kind: ErrInvalidReference, Constraint: "devices_parent_self", Message: "a device cannot be its own parent"}
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var d Device
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		pl, err := resolvePlace(ctx, tx, in.Branch, in.Region, in.Strict)
		if err != nil {
			return err
		}
		row := tx.QueryRow(ctx, `
			UPDATE devices d SET name=$2, ip=$3, branch=$4, region=$5, type=$6, vendor=$7, labels=$8,
				parent_id=$9, profile_id=$10, enabled=$11, branch_id=$12, updated_at=now()
			WHERE d.id = $1 AND d.deleted_at IS NULL RETURNING `+deviceCols,
			id, in.Name, in.IP, pl.Branch, pl.Region, in.Type, in.Vendor, labelsJSON(in.Labels), in.ParentID, in.ProfileID, in.Enabled, pl.BranchID)
		if d, err = scanDevice(row); err != nil || in.ParentID == nil {
			return err
		}
		return refuseParentLoop(ctx, tx, []string{d.Name})
	})
	return d, mapErr(err, fmt.Sprintf("update device %d", id))
}

// refuseParentLoop fails with a ConstraintError when one of the named devices is now part of a
// parent loop (A → B → A): incidents walk parents to find the root cause, so a loop has none.
// Run inside the writing transaction, so a refused write leaves nothing behind.
func refuseParentLoop(ctx context.Context, tx pgx.Tx, names []string) error {
	var loop []string
	err := tx.QueryRow(ctx, `
		WITH RECURSIVE up(start, cur, trail) AS (
			SELECT d.id, d.parent_id, ARRAY[d.id] FROM devices d WHERE d.name = ANY($1) AND d.parent_id IS NOT NULL AND d.deleted_at IS NULL
			UNION ALL
			SELECT up.start, p.parent_id, up.trail || p.id FROM up JOIN devices p ON p.id = up.cur
			WHERE p.parent_id IS NOT NULL AND p.id <> ALL(up.trail)
		)
		SELECT ARRAY(SELECT dv.name FROM unnest(up.trail || up.start) WITH ORDINALITY AS x(id, i)
			JOIN devices dv ON dv.id = x.id ORDER BY x.i)
		FROM up WHERE up.cur = up.start LIMIT 1`, names).Scan(&loop)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("check parent loops: %w", err)
	}
	return &ConstraintError{Kind: ErrInvalidReference, Constraint: "devices_parent_loop",
		Message: "parent loop: " + strings.Join(loop, " → ")}
}

// DeleteDevice soft-deletes a device: it leaves every list, cycle and lookup, its children lose
// it as parent, and its history (events, alerts, availability, audit) stays until retention
// purges it (PurgeDevices). ErrNotFound when it does not exist or is already deleted.
func (s *Store) DeleteDevice(ctx context.Context, id int64) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE devices SET deleted_at = now(), enabled = false, parent_id = NULL, updated_at = now()
			WHERE id = $1 AND deleted_at IS NULL`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		_, err = tx.Exec(ctx, `UPDATE devices SET parent_id = NULL, updated_at = now() WHERE parent_id = $1`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete device %d: %w", id, err)
	}
	return nil
}

// DevicesByID reads the given devices (missing ids are left out), in id order.
func (s *Store) DevicesByID(ctx context.Context, ids []int64) ([]Device, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+deviceCols+` FROM devices d WHERE d.id = ANY($1) AND d.deleted_at IS NULL ORDER BY d.id`, ids)
	if err != nil {
		return nil, fmt.Errorf("read devices by id: %w", err)
	}
	defer rows.Close()
	var out []Device
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, fmt.Errorf("read devices by id: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// EnabledDeviceIDs returns the ids of every enabled device in id order: the scheduler's fan-out.
func (s *Store) EnabledDeviceIDs(ctx context.Context) ([]int64, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT id FROM devices WHERE enabled AND deleted_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list enabled devices: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("list enabled devices: %w", err)
	}
	return ids, nil
}

// DevicesByName reads the (not deleted) devices with the given names, in name order; missing
// names are left out.
func (s *Store) DevicesByName(ctx context.Context, names []string) ([]Device, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+deviceCols+` FROM devices d WHERE d.name = ANY($1) AND d.deleted_at IS NULL ORDER BY d.name`, names)
	if err != nil {
		return nil, fmt.Errorf("read devices by name: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Device, error) { return scanDevice(r) })
	if err != nil {
		return nil, fmt.Errorf("read devices by name: %w", err)
	}
	return out, nil
}
