package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Profile is a monitoring profile: how devices that use it are pinged.
type Profile struct {
	ID              int64   `json:"id"`
	Name            string  `json:"name"`
	PingCount       int     `json:"ping_count"`
	PingIntervalMS  int     `json:"ping_interval_ms"`
	PingTimeoutMS   int     `json:"ping_timeout_ms"`
	DegradedLossPct float64 `json:"degraded_loss_pct"`
}

const profileCols = `id, name, ping_count, ping_interval_ms, ping_timeout_ms, degraded_loss_pct`

// ListProfiles returns every monitoring profile.
func (s *Store) ListProfiles(ctx context.Context) ([]Profile, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+profileCols+` FROM monitoring_profiles ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list profiles: %w", err)
	}
	ps, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Profile])
	if err != nil {
		return nil, fmt.Errorf("list profiles: %w", err)
	}
	return ps, nil
}

// SaveProfile creates (ID 0) or updates a profile.
func (s *Store) SaveProfile(ctx context.Context, p Profile) (Profile, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var row pgx.Row
	if p.ID == 0 {
		row = s.pool.QueryRow(ctx, `INSERT INTO monitoring_profiles (name, ping_count, ping_interval_ms, ping_timeout_ms, degraded_loss_pct)
			VALUES ($1,$2,$3,$4,$5) RETURNING `+profileCols, p.Name, p.PingCount, p.PingIntervalMS, p.PingTimeoutMS, p.DegradedLossPct)
	} else {
		row = s.pool.QueryRow(ctx, `UPDATE monitoring_profiles SET name=$2, ping_count=$3, ping_interval_ms=$4, ping_timeout_ms=$5,
			degraded_loss_pct=$6, updated_at=now() WHERE id=$1 RETURNING `+profileCols, p.ID, p.Name, p.PingCount, p.PingIntervalMS, p.PingTimeoutMS, p.DegradedLossPct)
	}
	var out Profile
	err := row.Scan(&out.ID, &out.Name, &out.PingCount, &out.PingIntervalMS, &out.PingTimeoutMS, &out.DegradedLossPct)
	return out, mapErr(err, "save profile")
}
