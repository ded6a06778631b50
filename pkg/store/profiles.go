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
	// DeviceTypes are the device types whose devices default to this profile (a device's own
	// profile and its branch's come first).
	DeviceTypes []string `json:"device_types"`
	// WindowCycles is K, the cycles the degraded verdict is taken over (docs/STATUS.md).
	WindowCycles int `json:"window_cycles"`
	// RecoverLossPct is the loss over 3K answered cycles at or below which a degraded device is up
	// again; nil: half of DegradedLossPct.
	RecoverLossPct *float64 `json:"recover_loss_pct"`
	// RoleAliasPattern derives an interface's role from its alias (docs/ALERTING.md); "" none.
	RoleAliasPattern string `json:"role_alias_pattern"`
}

const profileCols = `p.id, p.name, p.ping_count, p.ping_interval_ms, p.ping_timeout_ms, p.degraded_loss_pct,
	ARRAY(SELECT t.type FROM device_type_profiles t WHERE t.profile_id = p.id ORDER BY t.type),
	p.window_cycles, p.recover_loss_pct, p.role_alias_pattern`

func scanProfile(row pgx.Row) (Profile, error) {
	var p Profile
	err := row.Scan(&p.ID, &p.Name, &p.PingCount, &p.PingIntervalMS, &p.PingTimeoutMS, &p.DegradedLossPct, &p.DeviceTypes,
		&p.WindowCycles, &p.RecoverLossPct, &p.RoleAliasPattern)
	if p.DeviceTypes == nil {
		p.DeviceTypes = []string{}
	}
	return p, err
}

// ListProfiles returns every monitoring profile.
func (s *Store) ListProfiles(ctx context.Context) ([]Profile, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+profileCols+` FROM monitoring_profiles p ORDER BY p.id`)
	if err != nil {
		return nil, fmt.Errorf("list profiles: %w", err)
	}
	defer rows.Close()
	var ps []Profile
	for rows.Next() {
		p, err := scanProfile(rows)
		if err != nil {
			return nil, fmt.Errorf("list profiles: %w", err)
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

// GetProfile reads one profile.
func (s *Store) GetProfile(ctx context.Context, id int64) (Profile, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	p, err := scanProfile(s.pool.QueryRow(ctx, `SELECT `+profileCols+` FROM monitoring_profiles p WHERE p.id = $1`, id))
	return p, mapErr(err, fmt.Sprintf("read profile %d", id))
}

// SaveProfile creates (ID 0) or updates a profile and the device types it is the default of
// (a type named by another profile moves to this one; nil DeviceTypes keeps the current ones).
func (s *Store) SaveProfile(ctx context.Context, p Profile) (Profile, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var out Profile
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		id := p.ID
		var err error
		if id == 0 {
			err = tx.QueryRow(ctx, `INSERT INTO monitoring_profiles (name, ping_count, ping_interval_ms, ping_timeout_ms, degraded_loss_pct,
				window_cycles, recover_loss_pct, role_alias_pattern)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id`, p.Name, p.PingCount, p.PingIntervalMS, p.PingTimeoutMS, p.DegradedLossPct,
				windowOrDefault(p.WindowCycles), p.RecoverLossPct, p.RoleAliasPattern).Scan(&id)
		} else {
			err = tx.QueryRow(ctx, `UPDATE monitoring_profiles SET name=$2, ping_count=$3, ping_interval_ms=$4, ping_timeout_ms=$5,
				degraded_loss_pct=$6, window_cycles=$7, recover_loss_pct=$8, role_alias_pattern=$9, updated_at=now()
				WHERE id=$1 RETURNING id`, id, p.Name, p.PingCount, p.PingIntervalMS, p.PingTimeoutMS, p.DegradedLossPct,
				windowOrDefault(p.WindowCycles), p.RecoverLossPct, p.RoleAliasPattern).Scan(&id)
		}
		if err != nil {
			return err
		}
		if p.DeviceTypes != nil {
			if _, err := tx.Exec(ctx, `DELETE FROM device_type_profiles WHERE profile_id = $1 AND type <> ALL($2)`, id, p.DeviceTypes); err != nil {
				return fmt.Errorf("clear device types: %w", err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO device_type_profiles (type, profile_id) SELECT unnest($2::text[]), $1
				ON CONFLICT (type) DO UPDATE SET profile_id = EXCLUDED.profile_id`, id, p.DeviceTypes); err != nil {
				return fmt.Errorf("set device types: %w", err)
			}
		}
		out, err = scanProfile(tx.QueryRow(ctx, `SELECT `+profileCols+` FROM monitoring_profiles p WHERE p.id = $1`, id))
		return err
	})
	return out, mapErr(err, "save profile "+p.Name)
}

// DeleteProfile removes a profile; its devices and branches fall back to the next default.
func (s *Store) DeleteProfile(ctx context.Context, id int64) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `DELETE FROM monitoring_profiles WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete profile %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete profile %d: %w", id, ErrNotFound)
	}
	return nil
}

// windowOrDefault is the stored window of a profile: 0 means the default of 5 cycles.
func windowOrDefault(k int) int {
	if k <= 0 {
		return 5
	}
	return k
}
