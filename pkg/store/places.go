package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Region is a region of the bank's network: a named group of branches.
type Region struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Branches    int       `json:"branches"`
	Devices     int       `json:"devices"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// RegionInput is what a region create or update writes.
type RegionInput struct {
	Name        string
	Description string
}

const regionCols = `r.id, r.name, r.description,
	(SELECT count(*) FROM branches b WHERE b.region_id = r.id)::int,
	(SELECT count(*) FROM devices dv JOIN branches b ON b.id = dv.branch_id WHERE b.region_id = r.id AND dv.deleted_at IS NULL)::int,
	r.created_at, r.updated_at`

func scanRegion(row pgx.Row) (Region, error) {
	var r Region
	err := row.Scan(&r.ID, &r.Name, &r.Description, &r.Branches, &r.Devices, &r.CreatedAt, &r.UpdatedAt)
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	return r, err
}

// ListRegions returns every region by name.
func (s *Store) ListRegions(ctx context.Context) ([]Region, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+regionCols+` FROM regions r ORDER BY lower(r.name)`)
	if err != nil {
		return nil, fmt.Errorf("list regions: %w", err)
	}
	defer rows.Close()
	var out []Region
	for rows.Next() {
		r, err := scanRegion(rows)
		if err != nil {
			return nil, fmt.Errorf("list regions: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// GetRegion reads one region.
func (s *Store) GetRegion(ctx context.Context, id int64) (Region, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	r, err := scanRegion(s.pool.QueryRow(ctx, `SELECT `+regionCols+` FROM regions r WHERE r.id = $1`, id))
	return r, mapErr(err, fmt.Sprintf("read region %d", id))
}

// SaveRegion creates (id 0) or updates a region; a rename rewrites its devices' region name in
// the same transaction.
func (s *Store) SaveRegion(ctx context.Context, id int64, in RegionInput) (Region, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var r Region
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if id == 0 {
			if err := tx.QueryRow(ctx, `INSERT INTO regions (name, description) VALUES ($1, $2) RETURNING id`,
				in.Name, in.Description).Scan(&id); err != nil {
				return err
			}
		} else {
			tag, err := tx.Exec(ctx, `UPDATE regions SET name=$2, description=$3, updated_at=now() WHERE id=$1`, id, in.Name, in.Description)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return pgx.ErrNoRows
			}
		}
		if err := syncDevicePlaces(ctx, tx, `b.region_id = $1`, id); err != nil {
			return err
		}
		var err error
		r, err = scanRegion(tx.QueryRow(ctx, `SELECT `+regionCols+` FROM regions r WHERE r.id = $1`, id))
		return err
	})
	return r, mapErr(err, "save region "+in.Name)
}

// DeleteRegion removes a region that holds no branch (ErrInvalidReference otherwise).
func (s *Store) DeleteRegion(ctx context.Context, id int64) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `DELETE FROM regions WHERE id = $1`, id)
	if err != nil {
		err = mapErr(err, fmt.Sprintf("delete region %d", id))
		var ce *ConstraintError
		if errors.As(err, &ce) {
			ce.Kind, ce.Constraint, ce.Message = ErrConflict, "in_use", "the region still has branches: move or delete them first"
		}
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete region %d: %w", id, ErrNotFound)
	}
	return nil
}

// syncDevicePlaces rewrites the branch and region names of the devices of the branches that
// match cond (over branches b, with $1 = arg) to the objects' current names.
func syncDevicePlaces(ctx context.Context, tx pgx.Tx, cond string, arg any) error {
	_, err := tx.Exec(ctx, `UPDATE devices d SET branch = b.name, region = coalesce(r.name, ''), updated_at = now()
		FROM branches b LEFT JOIN regions r ON r.id = b.region_id
		WHERE d.branch_id = b.id AND `+cond+` AND (d.branch <> b.name OR d.region <> coalesce(r.name, ''))`, arg)
	if err != nil {
		return fmt.Errorf("rename devices' places: %w", err)
	}
	return nil
}

// placeRefs is where a device write puts the device: its branch id and the canonical names.
type placeRefs struct {
	BranchID       *int64
	Branch, Region string
	// Created says what a non-strict resolution created ("branch X in region Y").
	Created []string
}

// unknownPlace is the error of a strict device write that names a branch or region that does
// not exist.
func unknownPlace(field, name string) error {
	how := "POST /api/v1/regions or `api region create`"
	if field == "branch" {
		how = "POST /api/v1/branches or `api branch create`"
	}
	return &ConstraintError{Kind: ErrInvalidReference, Constraint: "devices_" + field + "_unknown",
		Message: fmt.Sprintf("%s %q does not exist; create it first (%s) or import devices from CSV, which creates missing ones", field, name, how)}
}

// resolvePlace finds (or, unless strict, creates) the region and branch a device names.
// Names match case- and whitespace-insensitively; an empty region takes the branch's.
func resolvePlace(ctx context.Context, tx pgx.Tx, branch, region string, strict bool) (placeRefs, error) {
	var out placeRefs
	branch, region = strings.TrimSpace(branch), strings.TrimSpace(region)
	var rid *int64
	if region != "" {
		id, name, err := findOrCreateRegion(ctx, tx, region, strict, &out)
		if err != nil {
			return out, err
		}
		rid, out.Region = &id, name
	}
	if branch == "" {
		return out, nil
	}
	type match struct {
		id     int64
		name   string
		region string
	}
	rows, err := tx.Query(ctx, `SELECT b.id, b.name, coalesce(r.name, '') FROM branches b LEFT JOIN regions r ON r.id = b.region_id
		WHERE lower(b.name) = lower($1) AND ($2::bigint IS NULL OR b.region_id = $2) ORDER BY lower(r.name)`, branch, rid)
	if err != nil {
		return out, fmt.Errorf("find branch %q: %w", branch, err)
	}
	ms, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (match, error) {
		var m match
		return m, r.Scan(&m.id, &m.name, &m.region)
	})
	if err != nil {
		return out, fmt.Errorf("find branch %q: %w", branch, err)
	}
	switch {
	case len(ms) == 1:
		out.BranchID, out.Branch, out.Region = &ms[0].id, ms[0].name, ms[0].region
		return out, nil
	case len(ms) > 1:
		var rs []string
		for _, m := range ms {
			rs = append(rs, m.region)
		}
		return out, &ConstraintError{Kind: ErrInvalidReference, Constraint: "devices_branch_ambiguous",
			Message: fmt.Sprintf("branch %q exists in regions %s: give the region too", branch, strings.Join(rs, ", "))}
	case strict:
		return out, unknownPlace("branch", branch)
	}
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO branches (name, region_id) VALUES ($1, $2) RETURNING id`, branch, rid).Scan(&id); err != nil {
		return out, fmt.Errorf("create branch %q: %w", branch, err)
	}
	out.BranchID, out.Branch = &id, branch
	if out.Region == "" {
		out.Created = append(out.Created, fmt.Sprintf("created branch %s (no region)", branch))
	} else {
		out.Created = append(out.Created, fmt.Sprintf("created branch %s in region %s", branch, out.Region))
	}
	return out, nil
}

func findOrCreateRegion(ctx context.Context, tx pgx.Tx, name string, strict bool, out *placeRefs) (int64, string, error) {
	var id int64
	var canon string
	err := tx.QueryRow(ctx, `SELECT id, name FROM regions WHERE lower(name) = lower($1)`, name).Scan(&id, &canon)
	switch {
	case err == nil:
		return id, canon, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return 0, "", fmt.Errorf("find region %q: %w", name, err)
	case strict:
		return 0, "", unknownPlace("region", name)
	}
	if err := tx.QueryRow(ctx, `INSERT INTO regions (name) VALUES ($1) RETURNING id`, name).Scan(&id); err != nil {
		return 0, "", fmt.Errorf("create region %q: %w", name, err)
	}
	out.Created = append(out.Created, "created region "+name)
	return id, name, nil
}
