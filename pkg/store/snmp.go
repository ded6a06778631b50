package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// SNMPConfig is one stored SNMP configuration (a device_snmp or profile_snmp row). Secrets are
// sealed strings ("" = none): pkg/snmp seals and opens them, the store never sees clear text.
type SNMPConfig struct {
	Version            string
	Host               string
	Port               int
	TimeoutMS          int
	Retries            int
	MaxRepetitions     int
	Username           string
	SecurityLevel      string
	AuthProtocol       string
	PrivProtocol       string
	ContextName        string
	CommunitySealed    string
	AuthPasswordSealed string
	PrivPasswordSealed string
	UpdatedAt          time.Time
}

// SNMPProfileConfig is a profile's SNMP defaults: optional credentials and extra OIDs.
type SNMPProfileConfig struct {
	// Credentials is nil when the profile carries only extra OIDs.
	Credentials *SNMPConfig
	// ExtraOIDs is the JSON array of the profile's extra OIDs.
	ExtraOIDs json.RawMessage
	UpdatedAt time.Time
}

// SNMPDeviceConfig is what polling one device needs from its own and its profile's rows.
type SNMPDeviceConfig struct {
	DeviceID  int64
	ProfileID *int64
	// Device is the device's own configuration, nil if none.
	Device *SNMPConfig
	// Profile is the profile's credentials, nil if none.
	Profile *SNMPConfig
	// ExtraOIDs is the profile's JSON array ("[]" if none).
	ExtraOIDs json.RawMessage
}

const snmpConfigCols = `version, host, port, timeout_ms, retries, max_repetitions, username,
	security_level, auth_protocol, priv_protocol, context_name, coalesce(community_sealed, ''),
	coalesce(auth_password_sealed, ''), coalesce(priv_password_sealed, ''), updated_at`

func snmpConfigDest(c *SNMPConfig, version any) []any {
	return []any{version, &c.Host, &c.Port, &c.TimeoutMS, &c.Retries, &c.MaxRepetitions, &c.Username,
		&c.SecurityLevel, &c.AuthProtocol, &c.PrivProtocol, &c.ContextName, &c.CommunitySealed,
		&c.AuthPasswordSealed, &c.PrivPasswordSealed, &c.UpdatedAt}
}

func snmpConfigArgs(c SNMPConfig) []any {
	return []any{nullIfEmpty(c.Version), c.Host, c.Port, c.TimeoutMS, c.Retries, c.MaxRepetitions, c.Username,
		c.SecurityLevel, c.AuthProtocol, c.PrivProtocol, c.ContextName, nullIfEmpty(c.CommunitySealed),
		nullIfEmpty(c.AuthPasswordSealed), nullIfEmpty(c.PrivPasswordSealed)}
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// mapSNMPErr turns a missing device/profile (foreign key) into ErrNotFound.
func mapSNMPErr(err error, what string) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23503" {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// DeviceSNMPConfig returns a device's own SNMP configuration, or ErrNotFound.
func (s *Store) DeviceSNMPConfig(ctx context.Context, deviceID int64) (SNMPConfig, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var c SNMPConfig
	err := s.pool.QueryRow(ctx, `SELECT `+snmpConfigCols+` FROM device_snmp WHERE device_id = $1`, deviceID).
		Scan(snmpConfigDest(&c, &c.Version)...)
	if err != nil {
		return c, mapSNMPErr(err, fmt.Sprintf("read SNMP settings of device %d", deviceID))
	}
	c.UpdatedAt = c.UpdatedAt.UTC()
	return c, nil
}

// PutDeviceSNMPConfig creates or replaces a device's SNMP configuration (ErrNotFound if the
// device does not exist).
func (s *Store) PutDeviceSNMPConfig(ctx context.Context, deviceID int64, c SNMPConfig) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `
		INSERT INTO device_snmp (device_id, version, host, port, timeout_ms, retries, max_repetitions,
			username, security_level, auth_protocol, priv_protocol, context_name, community_sealed,
			auth_password_sealed, priv_password_sealed, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, now())
		ON CONFLICT (device_id) DO UPDATE SET version = EXCLUDED.version, host = EXCLUDED.host,
			port = EXCLUDED.port, timeout_ms = EXCLUDED.timeout_ms, retries = EXCLUDED.retries,
			max_repetitions = EXCLUDED.max_repetitions, username = EXCLUDED.username,
			security_level = EXCLUDED.security_level, auth_protocol = EXCLUDED.auth_protocol,
			priv_protocol = EXCLUDED.priv_protocol, context_name = EXCLUDED.context_name,
			community_sealed = EXCLUDED.community_sealed, auth_password_sealed = EXCLUDED.auth_password_sealed,
			priv_password_sealed = EXCLUDED.priv_password_sealed, updated_at = now()`,
		append([]any{deviceID}, snmpConfigArgs(c)...)...)
	if err != nil {
		return mapSNMPErr(err, fmt.Sprintf("write SNMP settings of device %d", deviceID))
	}
	return nil
}

// DeleteDeviceSNMPConfig removes a device's own SNMP configuration (no error if none).
func (s *Store) DeleteDeviceSNMPConfig(ctx context.Context, deviceID int64) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if _, err := s.pool.Exec(ctx, `DELETE FROM device_snmp WHERE device_id = $1`, deviceID); err != nil {
		return fmt.Errorf("delete SNMP settings of device %d: %w", deviceID, err)
	}
	return nil
}

// ProfileSNMPConfig returns a profile's SNMP defaults, or ErrNotFound.
func (s *Store) ProfileSNMPConfig(ctx context.Context, profileID int64) (SNMPProfileConfig, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var c SNMPConfig
	var version *string
	var p SNMPProfileConfig
	dest := append(snmpConfigDest(&c, &version), &p.ExtraOIDs)
	err := s.pool.QueryRow(ctx, `SELECT `+snmpConfigCols+`, extra_oids FROM profile_snmp WHERE profile_id = $1`, profileID).Scan(dest...)
	if err != nil {
		return p, mapSNMPErr(err, fmt.Sprintf("read SNMP settings of profile %d", profileID))
	}
	p.UpdatedAt = c.UpdatedAt.UTC()
	if version != nil {
		c.Version = *version
		c.UpdatedAt = p.UpdatedAt
		p.Credentials = &c
	}
	return p, nil
}

// PutProfileSNMPConfig creates or replaces a profile's SNMP defaults (ErrNotFound if the
// profile does not exist). ExtraOIDs must be a JSON array (nil means "[]").
func (s *Store) PutProfileSNMPConfig(ctx context.Context, profileID int64, p SNMPProfileConfig) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	c := SNMPConfig{Port: 161, TimeoutMS: 2000, Retries: 1, MaxRepetitions: 10}
	if p.Credentials != nil {
		c = *p.Credentials
	}
	extra := p.ExtraOIDs
	if len(extra) == 0 {
		extra = json.RawMessage("[]")
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO profile_snmp (profile_id, version, host, port, timeout_ms, retries, max_repetitions,
			username, security_level, auth_protocol, priv_protocol, context_name, community_sealed,
			auth_password_sealed, priv_password_sealed, extra_oids, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, now())
		ON CONFLICT (profile_id) DO UPDATE SET version = EXCLUDED.version, host = EXCLUDED.host,
			port = EXCLUDED.port, timeout_ms = EXCLUDED.timeout_ms, retries = EXCLUDED.retries,
			max_repetitions = EXCLUDED.max_repetitions, username = EXCLUDED.username,
			security_level = EXCLUDED.security_level, auth_protocol = EXCLUDED.auth_protocol,
			priv_protocol = EXCLUDED.priv_protocol, context_name = EXCLUDED.context_name,
			community_sealed = EXCLUDED.community_sealed, auth_password_sealed = EXCLUDED.auth_password_sealed,
			priv_password_sealed = EXCLUDED.priv_password_sealed, extra_oids = EXCLUDED.extra_oids,
			updated_at = now()`,
		append(append([]any{profileID}, snmpConfigArgs(c)...), string(extra))...)
	if err != nil {
		return mapSNMPErr(err, fmt.Sprintf("write SNMP settings of profile %d", profileID))
	}
	return nil
}

// DeleteProfileSNMPConfig removes a profile's SNMP defaults (no error if none).
func (s *Store) DeleteProfileSNMPConfig(ctx context.Context, profileID int64) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if _, err := s.pool.Exec(ctx, `DELETE FROM profile_snmp WHERE profile_id = $1`, profileID); err != nil {
		return fmt.Errorf("delete SNMP settings of profile %d: %w", profileID, err)
	}
	return nil
}

// SNMPConfigs returns, for each existing device of ids, its own and its profile's SNMP
// configuration, in one query.
func (s *Store) SNMPConfigs(ctx context.Context, ids []int64) (map[int64]SNMPDeviceConfig, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `
		SELECT d.id, `+effectiveProfile+`, coalesce(p.extra_oids, '[]'::jsonb),
			ds.version, ds.host, ds.port, ds.timeout_ms, ds.retries, ds.max_repetitions, ds.username,
			ds.security_level, ds.auth_protocol, ds.priv_protocol, ds.context_name,
			coalesce(ds.community_sealed, ''), coalesce(ds.auth_password_sealed, ''),
			coalesce(ds.priv_password_sealed, ''), ds.updated_at,
			p.version, p.host, p.port, p.timeout_ms, p.retries, p.max_repetitions, p.username,
			p.security_level, p.auth_protocol, p.priv_protocol, p.context_name,
			coalesce(p.community_sealed, ''), coalesce(p.auth_password_sealed, ''),
			coalesce(p.priv_password_sealed, ''), p.updated_at
		FROM devices d
		LEFT JOIN device_snmp ds ON ds.device_id = d.id
		LEFT JOIN profile_snmp p ON p.profile_id = `+effectiveProfile+`
		WHERE d.id = ANY($1) AND d.deleted_at IS NULL`, ids)
	if err != nil {
		return nil, fmt.Errorf("read SNMP settings of %d devices: %w", len(ids), err)
	}
	defer rows.Close()
	out := make(map[int64]SNMPDeviceConfig, len(ids))
	for rows.Next() {
		c, err := scanSNMPDeviceConfig(rows)
		if err != nil {
			return nil, fmt.Errorf("scan SNMP settings: %w", err)
		}
		out[c.DeviceID] = c
	}
	return out, rows.Err()
}

// nullableConfig scans a LEFT JOINed configuration whose columns may all be NULL.
type nullableConfig struct {
	version, host, user, level, auth, priv, ctxName, comm, authPw, privPw *string
	port, timeout, retries, maxRep                                        *int
	updated                                                               *time.Time
}

func (n *nullableConfig) dest() []any {
	return []any{&n.version, &n.host, &n.port, &n.timeout, &n.retries, &n.maxRep, &n.user, &n.level,
		&n.auth, &n.priv, &n.ctxName, &n.comm, &n.authPw, &n.privPw, &n.updated}
}

func (n *nullableConfig) config() *SNMPConfig {
	if n.version == nil {
		return nil
	}
	return &SNMPConfig{Version: *n.version, Host: *n.host, Port: *n.port, TimeoutMS: *n.timeout,
		Retries: *n.retries, MaxRepetitions: *n.maxRep, Username: *n.user, SecurityLevel: *n.level,
		AuthProtocol: *n.auth, PrivProtocol: *n.priv, ContextName: *n.ctxName, CommunitySealed: *n.comm,
		AuthPasswordSealed: *n.authPw, PrivPasswordSealed: *n.privPw, UpdatedAt: n.updated.UTC()}
}

func scanSNMPDeviceConfig(rows pgx.Rows) (SNMPDeviceConfig, error) {
	var c SNMPDeviceConfig
	var dev, prof nullableConfig
	dest := append([]any{&c.DeviceID, &c.ProfileID, &c.ExtraOIDs}, dev.dest()...)
	if err := rows.Scan(append(dest, prof.dest()...)...); err != nil {
		return c, err
	}
	c.Device, c.Profile = dev.config(), prof.config()
	return c, nil
}

// CountSealedSNMPSecrets counts the stored SNMP secrets (device and profile). The binaries
// refuse to start without WARDOPS_SECRET_KEY when it is not zero.
func (s *Store) CountSealedSNMPSecrets(ctx context.Context) (int64, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var n int64
	err := s.pool.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM device_snmp WHERE community_sealed IS NOT NULL
		           OR auth_password_sealed IS NOT NULL OR priv_password_sealed IS NOT NULL)
		     + (SELECT count(*) FROM profile_snmp WHERE community_sealed IS NOT NULL
		           OR auth_password_sealed IS NOT NULL OR priv_password_sealed IS NOT NULL)`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count SNMP secrets: %w", err)
	}
	return n, nil
}

// SNMPDeviceIDs returns the enabled devices that have SNMP settings (their own or their
// profile's credentials), in id order: the fan-out of an SNMP cycle.
func (s *Store) SNMPDeviceIDs(ctx context.Context) ([]int64, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `
		SELECT d.id FROM devices d
		WHERE d.enabled AND d.deleted_at IS NULL AND (EXISTS (SELECT 1 FROM device_snmp ds WHERE ds.device_id = d.id)
			OR EXISTS (SELECT 1 FROM profile_snmp p WHERE p.profile_id = d.profile_id AND p.version IS NOT NULL))
		ORDER BY d.id`)
	if err != nil {
		return nil, fmt.Errorf("list SNMP devices: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("list SNMP devices: %w", err)
	}
	return ids, nil
}

// SNMPWait is the longest one SNMP request can wait for its answer under some stored settings:
// its timeout for the first try and for each retry, and whose settings they are.
type SNMPWait struct {
	Timeout time.Duration
	Retries int
	// Owner names the settings: `device "x"` or `profile "y"`.
	Owner string
}

// Total is the request's timeout times its tries.
func (w SNMPWait) Total() time.Duration { return w.Timeout * time.Duration(w.Retries+1) }

// LongestSNMPWait returns the stored SNMP settings (of an enabled device, or of a profile) whose
// request waits longest, or ErrNotFound when there are none.
func (s *Store) LongestSNMPWait(ctx context.Context) (SNMPWait, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var w SNMPWait
	var ms int
	err := s.pool.QueryRow(ctx, `
		SELECT timeout_ms, retries, owner FROM (
			SELECT c.timeout_ms, c.retries, 'device "' || d.name || '"' AS owner
			  FROM device_snmp c JOIN devices d ON d.id = c.device_id WHERE d.enabled AND d.deleted_at IS NULL
			UNION ALL
			SELECT c.timeout_ms, c.retries, 'profile "' || p.name || '"'
			  FROM profile_snmp c JOIN monitoring_profiles p ON p.id = c.profile_id
		) w ORDER BY timeout_ms::bigint * (retries + 1) DESC, owner LIMIT 1`).Scan(&ms, &w.Retries, &w.Owner)
	if err != nil {
		return w, mapSNMPErr(err, "read the longest SNMP wait")
	}
	w.Timeout = time.Duration(ms) * time.Millisecond
	return w, nil
}
