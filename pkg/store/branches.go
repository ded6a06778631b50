package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Branch is one branch of the bank: a place with devices, in a region.
type Branch struct {
	ID        int64    `json:"id"`
	Name      string   `json:"name"`
	RegionID  *int64   `json:"region_id"`
	Region    string   `json:"region"`
	Address   string   `json:"address"`
	Latitude  *float64 `json:"latitude"`
	Longitude *float64 `json:"longitude"`
	// ISP is the upstream provider, CircuitID its circuit reference.
	ISP       string `json:"isp"`
	CircuitID string `json:"circuit_id"`
	Contacts  string `json:"contacts"`
	// TimeZone is an IANA name ("Europe/Zurich").
	TimeZone string `json:"time_zone"`
	// ProfileID is the default monitoring profile of the branch's devices.
	ProfileID *int64    `json:"profile_id"`
	Devices   int       `json:"devices"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// BranchInput is what a branch create or update writes.
type BranchInput struct {
	Name      string
	RegionID  *int64
	Address   string
	Latitude  *float64
	Longitude *float64
	ISP       string
	CircuitID string
	Contacts  string
	TimeZone  string
	ProfileID *int64
}

const branchCols = `b.id, b.name, b.region_id, coalesce(r.name, ''), b.address, b.latitude, b.longitude, b.isp,
	b.circuit_id, b.contacts, b.time_zone, b.profile_id,
	(SELECT count(*) FROM devices dv WHERE dv.branch_id = b.id AND dv.deleted_at IS NULL)::int, b.created_at, b.updated_at`

const branchFrom = ` FROM branches b LEFT JOIN regions r ON r.id = b.region_id`

func scanBranch(row pgx.Row) (Branch, error) {
	var b Branch
	err := row.Scan(&b.ID, &b.Name, &b.RegionID, &b.Region, &b.Address, &b.Latitude, &b.Longitude, &b.ISP,
		&b.CircuitID, &b.Contacts, &b.TimeZone, &b.ProfileID, &b.Devices, &b.CreatedAt, &b.UpdatedAt)
	b.CreatedAt, b.UpdatedAt = b.CreatedAt.UTC(), b.UpdatedAt.UTC()
	return b, err
}

// ListBranches returns every branch (of one region when regionID is not 0) by region and name.
func (s *Store) ListBranches(ctx context.Context, regionID int64) ([]Branch, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+branchCols+branchFrom+` WHERE $1 = 0 OR b.region_id = $1
		ORDER BY lower(coalesce(r.name, '')), lower(b.name)`, regionID)
	if err != nil {
		return nil, fmt.Errorf("list branches: %w", err)
	}
	defer rows.Close()
	var out []Branch
	for rows.Next() {
		b, err := scanBranch(rows)
		if err != nil {
			return nil, fmt.Errorf("list branches: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// GetBranch reads one branch.
func (s *Store) GetBranch(ctx context.Context, id int64) (Branch, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	b, err := scanBranch(s.pool.QueryRow(ctx, `SELECT `+branchCols+branchFrom+` WHERE b.id = $1`, id))
	return b, mapErr(err, fmt.Sprintf("read branch %d", id))
}

// SaveBranch creates (id 0) or updates a branch; a rename or a move to another region
// rewrites its devices' branch and region names in the same transaction.
func (s *Store) SaveBranch(ctx context.Context, id int64, in BranchInput) (Branch, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	args := []any{in.Name, in.RegionID, in.Address, in.Latitude, in.Longitude, in.ISP, in.CircuitID, in.Contacts, in.TimeZone, in.ProfileID}
	var b Branch
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if id == 0 {
			if err := tx.QueryRow(ctx, `INSERT INTO branches (name, region_id, address, latitude, longitude, isp, circuit_id,
				contacts, time_zone, profile_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id`, args...).Scan(&id); err != nil {
				return err
			}
		} else {
			tag, err := tx.Exec(ctx, `UPDATE branches SET name=$2, region_id=$3, address=$4, latitude=$5, longitude=$6, isp=$7,
				circuit_id=$8, contacts=$9, time_zone=$10, profile_id=$11, updated_at=now() WHERE id=$1`, append([]any{id}, args...)...)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return pgx.ErrNoRows
			}
		}
		if err := syncDevicePlaces(ctx, tx, `b.id = $1`, id); err != nil {
			return err
		}
		var err error
		b, err = scanBranch(tx.QueryRow(ctx, `SELECT `+branchCols+branchFrom+` WHERE b.id = $1`, id))
		return err
	})
	return b, mapErr(err, "save branch "+in.Name)
}

// DeleteBranch removes a branch that holds no device (ErrConflict otherwise).
func (s *Store) DeleteBranch(ctx context.Context, id int64) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var tag pgconn.CommandTag
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// deleted devices keep their branch's name for their history, not the row
		if _, err := tx.Exec(ctx, `UPDATE devices SET branch_id = NULL WHERE branch_id = $1 AND deleted_at IS NOT NULL`, id); err != nil {
			return err
		}
		var err error
		tag, err = tx.Exec(ctx, `DELETE FROM branches WHERE id = $1`, id)
		return err
	})
	if err != nil {
		err = mapErr(err, fmt.Sprintf("delete branch %d", id))
		var ce *ConstraintError
		if errors.As(err, &ce) {
			ce.Kind, ce.Constraint, ce.Message = ErrConflict, "in_use", "the branch still has devices: move or delete them first"
		}
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete branch %d: %w", id, ErrNotFound)
	}
	return nil
}
