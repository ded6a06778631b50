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
	// WindowCycles is K, the cycles the degraded verdict is taken over (docs/status.md).
	WindowCycles int `json:"window_cycles"`
	// RecoverLossPct is the loss over 2K-1 cycles at or below which a degraded device is up
	// again; nil: half of DegradedLossPct.
	RecoverLossPct *float64 `json:"recover_loss_pct"`
	// RoleAliasPattern derives an interface's role from its alias (docs/alerts.md); "" none.
	RoleAliasPattern string `json:"role_alias_pattern"`
}

const profileCols = `id, name, ping_count, ping_interval_ms, ping_timeout_ms, degraded_loss_pct,
	window_cycles, recover_loss_pct, role_alias_pattern`

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
		row = s.pool.QueryRow(ctx, `INSERT INTO monitoring_profiles (name, ping_count, ping_interval_ms, ping_timeout_ms, degraded_loss_pct,
			window_cycles, recover_loss_pct, role_alias_pattern)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING `+profileCols, p.Name, p.PingCount, p.PingIntervalMS, p.PingTimeoutMS, p.DegradedLossPct,
			windowOrDefault(p.WindowCycles), p.RecoverLossPct, p.RoleAliasPattern)
	} else {
		row = s.pool.QueryRow(ctx, `UPDATE monitoring_profiles SET name=$2, ping_count=$3, ping_interval_ms=$4, ping_timeout_ms=$5,
			degraded_loss_pct=$6, window_cycles=$7, recover_loss_pct=$8, role_alias_pattern=$9, updated_at=now()
			WHERE id=$1 RETURNING `+profileCols, p.ID, p.Name, p.PingCount, p.PingIntervalMS, p.PingTimeoutMS, p.DegradedLossPct,
			windowOrDefault(p.WindowCycles), p.RecoverLossPct, p.RoleAliasPattern)
	}
	var out Profile
	err := row.Scan(&out.ID, &out.Name, &out.PingCount, &out.PingIntervalMS, &out.PingTimeoutMS, &out.DegradedLossPct,
		&out.WindowCycles, &out.RecoverLossPct, &out.RoleAliasPattern)
	return out, mapErr(err, "save profile")
}

// windowOrDefault is the stored window of a profile: 0 means the default of 5 cycles.
func windowOrDefault(k int) int {
	if k <= 0 {
		return 5
	}
	return k
}
