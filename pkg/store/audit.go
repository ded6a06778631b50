package store

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// AuditRecord is one row of the audit trail. Before, After and Detail are JSON documents whose
// secrets the caller (pkg/audit) has already redacted.
type AuditRecord struct {
	ID         int64
	At         time.Time
	ActorID    *int64
	ActorName  string
	Via        string
	TokenID    *int64
	ClientIP   *netip.Addr
	Action     string
	TargetType string
	TargetID   string
	Before     json.RawMessage
	After      json.RawMessage
	Detail     json.RawMessage
}

// AuditFilter selects audit rows, newest first. Zero fields do not filter.
type AuditFilter struct {
	// Actor is an exact (lower-case) actor name.
	Actor string
	// Action is an exact action, or a prefix when it ends in '*' ("device.*").
	Action string
	// TargetType and TargetID are exact.
	TargetType string
	TargetID   string
	// ClientIP is an exact address.
	ClientIP *netip.Addr
	// Since and Until bound At: Since <= at < Until.
	Since, Until time.Time
	// BeforeID is the page cursor: only rows with id < BeforeID.
	BeforeID int64
	// Limit caps the page (default 100, at most 1000).
	Limit int
}

const auditCols = `id, at, actor_id, actor_name, via, token_id, client_ip, action, target_type, target_id,
	before, after, detail`

// InsertAudit appends a record and returns its id. A zero At means now.
func (s *Store) InsertAudit(ctx context.Context, r AuditRecord) (int64, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if r.At.IsZero() {
		r.At = time.Now()
	}
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO audit_log (at, actor_id, actor_name, via, token_id, client_ip,
		action, target_type, target_id, before, after, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		r.At.UTC(), r.ActorID, r.ActorName, r.Via, r.TokenID, r.ClientIP, r.Action, r.TargetType, r.TargetID,
		auditJSON(r.Before), auditJSON(r.After), auditJSON(r.Detail)).Scan(&id)
	return id, authErr(err, "insert audit record "+r.Action)
}

// auditJSON passes nil for an absent document so the column is NULL, not JSON null.
func auditJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return []byte(b)
}

// ListAudit returns one page of audit rows matching f, newest first, and the cursor of the next
// page (0 when this is the last). Every filter value is a bound parameter.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]AuditRecord, int64, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit = min(f.Limit, 1000)
	w := auditWhere(f)
	q := `SELECT ` + auditCols + ` FROM audit_log WHERE ` + w.sql() + ` ORDER BY id DESC LIMIT ` + w.arg(f.Limit+1)
	rows, err := s.pool.Query(ctx, q, w.args...)
	if err != nil {
		return nil, 0, authErr(err, "list audit records")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditRecord, error) { return auditScan(r) })
	if err != nil {
		return nil, 0, authErr(err, "list audit records")
	}
	var next int64
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

func auditWhere(f AuditFilter) *where {
	w := &where{}
	add := func(cond string, v any) { w.add(cond, v) }
	if f.Actor != "" {
		add("actor_name = ?", f.Actor)
	}
	if prefix, ok := strings.CutSuffix(f.Action, "*"); ok {
		add(`action LIKE ? ESCAPE '\'`, auditLikeEscape(prefix)+"%")
	} else if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.TargetType != "" {
		add("target_type = ?", f.TargetType)
	}
	if f.TargetID != "" {
		add("target_id = ?", f.TargetID)
	}
	if f.ClientIP != nil {
		add("client_ip = ?", *f.ClientIP)
	}
	if !f.Since.IsZero() {
		add("at >= ?", f.Since.UTC())
	}
	if !f.Until.IsZero() {
		add("at < ?", f.Until.UTC())
	}
	if f.BeforeID > 0 {
		add("id < ?", f.BeforeID)
	}
	return w
}

func auditLikeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func auditScan(row pgx.Row) (AuditRecord, error) {
	var r AuditRecord
	var before, after, detail []byte
	err := row.Scan(&r.ID, &r.At, &r.ActorID, &r.ActorName, &r.Via, &r.TokenID, &r.ClientIP, &r.Action,
		&r.TargetType, &r.TargetID, &before, &after, &detail)
	r.At = r.At.UTC()
	r.Before, r.After, r.Detail = before, after, detail
	return r, err
}
