package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardops/wardops/pkg/alert"
)

var _ alert.Repository = (*Store)(nil)

// alertPassLockKey is the advisory lock key that serialises evaluation passes.
const alertPassLockKey = 0x77617264_616c7274 // "wardalrt"

// LockAlertPass takes the session advisory lock that serialises evaluation passes across
// workers, on a connection of its own; unlock releases both (idempotent). Waiting honours ctx.
func (s *Store) LockAlertPass(ctx context.Context) (func(), error) {
	conn, err := s.root.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("acquire connection: %w", err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(alertPassLockKey)); err != nil {
		conn.Release()
		return nil, fmt.Errorf("advisory lock: %w", err)
	}
	done := false
	return func() {
		if done {
			return
		}
		done = true
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, int64(alertPassLockKey)); err != nil {
			// closing the session is the sure way to drop a session lock
			_ = conn.Conn().Close(uctx)
		}
		conn.Release()
	}, nil
}

// LoadAlertPass reads what one evaluation pass of src needs: the snapshot (ping and SNMP
// passes: every enabled device with its latest status and SNMP state — the static fields come
// from inv, re-read only for devices added or changed since —, plus interfaces for SNMP
// passes), the stored states of src's rules and of rules that are gone or disabled, the open
// incidents, the enabled maintenance windows and the enabled channels' routes.
func (s *Store) LoadAlertPass(ctx context.Context, src alert.Source, rules []alert.Rule, inv *alert.Inventory) (*alert.PassData, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	d := &alert.PassData{Snapshot: &alert.Snapshot{At: time.Now().UTC()}}
	var ids []int64
	for _, r := range rules {
		if r.Kind.Source() == src {
			ids = append(ids, r.ID)
		}
	}
	// The big reads run side by side on their own connections; the small ones follow.
	var wg sync.WaitGroup
	var devErr, ifErr, stErr error
	if src != alert.SourceSystem {
		wg.Go(func() { d.Snapshot.Devices, devErr = loadSnapshotDevices(ctx, s.pool, inv) })
	}
	if src == alert.SourceSNMP {
		wg.Go(func() { d.Snapshot.Interfaces, ifErr = loadSnapshotInterfaces(ctx, s.pool) })
	}

	wg.Go(func() { d.States, stErr = loadStates(ctx, s.pool, ids) })
	var err error
	if d.Incidents, err = loadOpenIncidents(ctx, s.pool); err != nil {
		return nil, err
	}
	if d.Windows, err = s.queryWindows(ctx, "WHERE enabled"); err != nil {
		return nil, fmt.Errorf("load maintenance windows: %w", err)
	}
	if d.Routes, err = loadRoutes(ctx, s.pool); err != nil {
		return nil, err
	}
	wg.Wait()
	if err := errors.Join(devErr, ifErr, stErr); err != nil {
		return nil, err
	}
	if src == alert.SourceSNMP && hasKind(rules, alert.KindExtraOID) {
		if d.Snapshot.Extra, err = loadExtraValues(ctx, s.pool); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func hasKind(rules []alert.Rule, k alert.Kind) bool {
	for _, r := range rules {
		if r.Kind == k {
			return true
		}
	}
	return false
}

// loadExtraValues reads the extra/vendor OID values of every device that has some.
func loadExtraValues(ctx context.Context, q querier) (map[int64]map[string]float64, error) {
	rows, err := q.Query(ctx, `SELECT device_id, extra FROM device_snmp_state WHERE extra <> '{}'::jsonb`)
	if err != nil {
		return nil, fmt.Errorf("load extra OID values: %w", err)
	}
	defer rows.Close()
	out := map[int64]map[string]float64{}
	for rows.Next() {
		var id int64
		var raw []byte
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, fmt.Errorf("load extra OID values: %w", err)
		}
		m := map[string]float64{}
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("decode extra OID values of device %d: %w", id, err)
		}
		out[id] = m
	}
	return out, rows.Err()
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func orNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func loadSnapshotInterfaces(ctx context.Context, q querier) ([]alert.Interface, error) {
	rows, err := q.Query(ctx, `
		SELECT i.device_id, i.if_index, CASE WHEN i.name <> '' THEN i.name ELSE 'ifIndex ' || i.if_index END,
			i.alias, i.role, coalesce(p.role_alias_pattern, ''), i.seen_up,
			i.admin_status = 'up', i.oper_status NOT IN ('down', 'lowerLayerDown'), i.speed_bps::float8,
			i.in_bps, i.out_bps,
			CASE WHEN i.in_errors_ps IS NULL AND i.out_errors_ps IS NULL THEN NULL
				ELSE coalesce(i.in_errors_ps, 0) + coalesce(i.out_errors_ps, 0) END
		FROM snmp_interfaces i JOIN devices d ON d.id = i.device_id AND d.enabled AND d.deleted_at IS NULL
		LEFT JOIN monitoring_profiles p ON p.id = `+effectiveProfile+`
		ORDER BY i.device_id, i.if_index`)
	if err != nil {
		return nil, fmt.Errorf("load interface snapshot: %w", err)
	}
	defer rows.Close()
	var out []alert.Interface
	var in, outb, errs *float64
	var pattern string
	roles := rolePatterns{}
	for rows.Next() {
		var f alert.Interface
		var idx int64
		if err := rows.Scan(&f.DeviceID, &idx, &f.Name, &f.Alias, &f.Role, &pattern, &f.SeenUp, &f.AdminUp, &f.OperUp,
			&f.SpeedBps, &in, &outb, &errs); err != nil {
			return nil, fmt.Errorf("load interface snapshot: %w", err)
		}
		f.Index, f.InBps, f.OutBps, f.ErrorsPS = int(idx), orNaN(in), orNaN(outb), orNaN(errs)
		if f.Role == "" && pattern != "" {
			f.Role = alert.RoleFromAlias(roles.get(pattern), f.Alias)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load interface snapshot: %w", err)
	}
	return out, nil
}

// rolePatterns compiles each profile's role pattern once per load; a bad one (stored before
// validation) derives no role.
type rolePatterns map[string]*regexp.Regexp

func (m rolePatterns) get(pattern string) *regexp.Regexp {
	re, ok := m[pattern]
	if !ok {
		re, _ = alert.CompileRolePattern("role_alias_pattern", pattern)
		m[pattern] = re
	}
	return re
}

func loadStates(ctx context.Context, q querier, ruleIDs []int64) ([]*alert.State, error) {
	rows, err := q.Query(ctx, `
		SELECT st.rule_id, st.device_id, st.subject, st.bad_count, st.good_count, st.active, st.flapping,
			st.latched, st.changes, st.value, st.version, a.id IS NOT NULL, `+alertCols+`
		FROM alert_state st
		LEFT JOIN alerts a ON a.id = st.alert_id AND a.state <> 'resolved'
		WHERE st.rule_id = ANY($1)
		   OR NOT EXISTS (SELECT 1 FROM alert_rules r WHERE r.id = st.rule_id AND r.enabled)`, ruleIDs)
	if err != nil {
		return nil, fmt.Errorf("load alert states: %w", err)
	}
	defer rows.Close()
	var out []*alert.State
	for rows.Next() {
		st, err := scanState(rows)
		if err != nil {
			return nil, fmt.Errorf("load alert states: %w", err)
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load alert states: %w", err)
	}
	return out, nil
}

func scanState(rows pgx.Rows) (*alert.State, error) {
	st := &alert.State{}
	var value *float64
	var has bool
	var n nullAlert
	dest := append([]any{&st.RuleID, &st.DeviceID, &st.Subject, &st.BadCount, &st.GoodCount, &st.Active,
		&st.Flapping, &st.Latched, &st.Changes, &value, &st.Version, &has}, n.dest()...)
	if err := rows.Scan(dest...); err != nil {
		return nil, err
	}
	st.Value = orNaN(value)
	if has {
		a := n.alert()
		st.Alert = &a
	}
	return st, nil
}

func loadOpenIncidents(ctx context.Context, q querier) ([]*alert.Incident, error) {
	incs, err := queryIncidents(ctx, q, `WHERE state = 'open' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("load open incidents: %w", err)
	}
	out := make([]*alert.Incident, len(incs))
	for i := range incs {
		out[i] = &incs[i]
	}
	return out, nil
}

func loadRoutes(ctx context.Context, q querier) ([]alert.Route, error) {
	rows, err := q.Query(ctx, `SELECT id, name, severities, scope FROM channels WHERE enabled ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("load channel routes: %w", err)
	}
	defer rows.Close()
	var out []alert.Route
	for rows.Next() {
		var r alert.Route
		var sev []string
		var scope []byte
		if err := rows.Scan(&r.ChannelID, &r.Name, &sev, &scope); err != nil {
			return nil, fmt.Errorf("load channel routes: %w", err)
		}
		for _, v := range sev {
			r.Severities = append(r.Severities, alert.Severity(strings.TrimSpace(v)))
		}
		if err := json.Unmarshal(scope, &r.Scope); err != nil {
			return nil, fmt.Errorf("decode scope of channel %d: %w", r.ChannelID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
