package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/wardops/wardops/pkg/alert"
)

const ruleCols = `id, name, description, kind, metric, op, threshold, recovery_threshold, for_cycles,
	recover_cycles, severity, scope, repeat_minutes, flap_changes, flap_window_s, enabled, created_at, updated_at`

func scanRule(row pgx.Row) (alert.Rule, error) {
	var r alert.Rule
	var scope []byte
	err := row.Scan(&r.ID, &r.Name, &r.Description, &r.Kind, &r.Metric, &r.Op, &r.Threshold, &r.RecoveryThreshold,
		&r.ForCycles, &r.RecoverCycles, &r.Severity, &scope, &r.RepeatMinutes, &r.FlapChanges, &r.FlapWindowS,
		&r.Enabled, &r.CreatedAt, &r.UpdatedAt)
	if err != nil {
		return r, err
	}
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	if err := json.Unmarshal(scope, &r.Scope); err != nil {
		return r, fmt.Errorf("decode scope of rule %d: %w", r.ID, err)
	}
	return r, nil
}

func scopeJSON(s alert.Scope) []byte {
	b, _ := json.Marshal(s) // plain slices and maps always marshal
	return b
}

func (s *Store) queryRules(ctx context.Context, where string, args ...any) ([]alert.Rule, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+ruleCols+` FROM alert_rules `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []alert.Rule{}
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ListAlertRules returns every rule in id order.
func (s *Store) ListAlertRules(ctx context.Context) ([]alert.Rule, error) {
	rules, err := s.queryRules(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("list alert rules: %w", err)
	}
	return rules, nil
}

// EnabledAlertRules returns the enabled rules: what an evaluation pass runs (cached in Redis
// by the caller).
func (s *Store) EnabledAlertRules(ctx context.Context) ([]alert.Rule, error) {
	rules, err := s.queryRules(ctx, "WHERE enabled")
	if err != nil {
		return nil, fmt.Errorf("list enabled alert rules: %w", err)
	}
	return rules, nil
}

// GetAlertRule reads one rule.
func (s *Store) GetAlertRule(ctx context.Context, id int64) (alert.Rule, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	r, err := scanRule(s.pool.QueryRow(ctx, `SELECT `+ruleCols+` FROM alert_rules WHERE id = $1`, id))
	return r, mapErr(err, fmt.Sprintf("read alert rule %d", id))
}

// CreateAlertRule validates and inserts a rule. A duplicate name is ErrConflict.
func (s *Store) CreateAlertRule(ctx context.Context, in alert.RuleInput) (alert.Rule, error) {
	r, err := in.NewRule()
	if err != nil {
		return r, err
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	row := s.pool.QueryRow(ctx, `
		INSERT INTO alert_rules (name, description, kind, metric, op, threshold, recovery_threshold, for_cycles,
			recover_cycles, severity, scope, repeat_minutes, flap_changes, flap_window_s, enabled)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15) RETURNING `+ruleCols,
		r.Name, r.Description, r.Kind, r.Metric, r.Op, r.Threshold, r.RecoveryThreshold, r.ForCycles, r.RecoverCycles,
		r.Severity, scopeJSON(r.Scope), r.RepeatMinutes, r.FlapChanges, r.FlapWindowS, r.Enabled)
	out, err := scanRule(row)
	return out, mapErr(err, "create alert rule")
}

// UpdateAlertRule applies in (nil fields unchanged) to rule id, validating the result, in one
// transaction.
func (s *Store) UpdateAlertRule(ctx context.Context, id int64, in alert.RuleInput) (alert.Rule, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var out alert.Rule
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := scanRule(tx.QueryRow(ctx, `SELECT `+ruleCols+` FROM alert_rules WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return mapErr(err, fmt.Sprintf("read alert rule %d", id))
		}
		r, err := in.Apply(cur)
		if err != nil {
			return err
		}
		out, err = scanRule(tx.QueryRow(ctx, `
			UPDATE alert_rules SET name=$2, description=$3, kind=$4, metric=$5, op=$6, threshold=$7,
				recovery_threshold=$8, for_cycles=$9, recover_cycles=$10, severity=$11, scope=$12, repeat_minutes=$13,
				flap_changes=$14, flap_window_s=$15, enabled=$16, updated_at=now()
			WHERE id = $1 RETURNING `+ruleCols,
			id, r.Name, r.Description, r.Kind, r.Metric, r.Op, r.Threshold, r.RecoveryThreshold, r.ForCycles,
			r.RecoverCycles, r.Severity, scopeJSON(r.Scope), r.RepeatMinutes, r.FlapChanges, r.FlapWindowS, r.Enabled))
		return mapErr(err, fmt.Sprintf("update alert rule %d", id))
	})
	return out, err
}

// DeleteAlertRule removes a rule. Its open alerts are resolved by the next evaluation pass
// (and their resolves sent), which finds their state without a rule.
func (s *Store) DeleteAlertRule(ctx context.Context, id int64) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `DELETE FROM alert_rules WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete alert rule %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete alert rule %d: %w", id, ErrNotFound)
	}
	return nil
}
