package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/notify"
)

var (
	_ notify.ChannelStore  = (*Store)(nil)
	_ notify.DeliveryStore = (*Store)(nil)
)

const channelCols = `id, name, type, config, secret, secret_names, severities, scope, enabled, created_at, updated_at`

func scanChannel(row pgx.Row) (notify.Channel, error) {
	var c notify.Channel
	var cfg, scope []byte
	var sev []string
	err := row.Scan(&c.ID, &c.Name, &c.Type, &cfg, &c.Sealed, &c.SecretNames, &sev, &scope, &c.Enabled, &c.CreatedAt, &c.UpdatedAt)
	if err != nil {
		return c, err
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	c.Severities = make([]alert.Severity, len(sev))
	for i, v := range sev {
		c.Severities[i] = alert.Severity(v)
	}
	if err := json.Unmarshal(cfg, &c.Config); err != nil {
		return c, fmt.Errorf("decode config of channel %d: %w", c.ID, err)
	}
	if err := json.Unmarshal(scope, &c.Scope); err != nil {
		return c, fmt.Errorf("decode scope of channel %d: %w", c.ID, err)
	}
	return c, nil
}

func channelArgs(c notify.Channel) []any {
	cfg, _ := json.Marshal(c.Config) // plain fields always marshal
	sev := make([]string, len(c.Severities))
	for i, v := range c.Severities {
		sev[i] = string(v)
	}
	names := c.SecretNames
	if names == nil {
		names = []string{}
	}
	return []any{c.ID, c.Name, string(c.Type), cfg, c.Sealed, names, sev, scopeJSON(c.Scope), c.Enabled}
}

// NewChannelID reserves the id of a channel about to be created (its secrets are sealed bound to it).
func (s *Store) NewChannelID(ctx context.Context) (int64, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var id int64
	if err := s.pool.QueryRow(ctx, `SELECT nextval('channels_id_seq')`).Scan(&id); err != nil {
		return 0, fmt.Errorf("reserve channel id: %w", err)
	}
	return id, nil
}

// CreateChannel inserts c with its reserved id. A duplicate name is ErrConflict.
func (s *Store) CreateChannel(ctx context.Context, c notify.Channel) (notify.Channel, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	out, err := scanChannel(s.pool.QueryRow(ctx, `
		INSERT INTO channels (id, name, type, config, secret, secret_names, severities, scope, enabled)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING `+channelCols, channelArgs(c)...))
	return out, mapErr(err, "create channel")
}

// UpdateChannel replaces channel c.ID.
func (s *Store) UpdateChannel(ctx context.Context, c notify.Channel) (notify.Channel, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	out, err := scanChannel(s.pool.QueryRow(ctx, `
		UPDATE channels SET name=$2, type=$3, config=$4, secret=$5, secret_names=$6, severities=$7, scope=$8,
			enabled=$9, updated_at=now()
		WHERE id = $1 RETURNING `+channelCols, channelArgs(c)...))
	return out, mapErr(err, fmt.Sprintf("update channel %d", c.ID))
}

// GetChannel reads one channel, sealed secrets included.
func (s *Store) GetChannel(ctx context.Context, id int64) (notify.Channel, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	c, err := scanChannel(s.pool.QueryRow(ctx, `SELECT `+channelCols+` FROM channels WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("read channel %d: %w %w", id, ErrNotFound, notify.ErrNoChannel)
	}
	return c, mapErr(err, fmt.Sprintf("read channel %d", id))
}

// ListChannels returns every channel in id order.
func (s *Store) ListChannels(ctx context.Context) ([]notify.Channel, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+channelCols+` FROM channels ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (notify.Channel, error) { return scanChannel(r) })
	if err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	return out, nil
}

// DeleteChannel removes a channel; its delivery log stays.
func (s *Store) DeleteChannel(ctx context.Context, id int64) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `DELETE FROM channels WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete channel %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete channel %d: %w", id, ErrNotFound)
	}
	return nil
}
