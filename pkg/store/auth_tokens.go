package store

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/jackc/pgx/v5"
)

// APIToken is a bearer token's metadata. The secret is never stored: only its SHA-256, which
// is not part of this struct. The token acts as UserID, capped at Role.
type APIToken struct {
	ID         int64
	Name       string
	UserID     int64
	Username   string
	Role       string
	Prefix     string
	CreatedBy  *int64
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	RevokedAt  *time.Time
	LastUsedAt *time.Time
	LastUsedIP *netip.Addr
	// Purpose is TokenPurposeAPI or TokenPurposeDisplay (empty on create: API).
	Purpose string
}

// Token purposes: an API token calls the API as its user; a display token only signs a wall
// screen in (issue 14: an unattended room screen that does not expire each shift).
const (
	TokenPurposeAPI     = "api"
	TokenPurposeDisplay = "display"
)

const authTokenCols = `t.id, t.name, t.user_id, u.username, t.role, t.prefix, t.created_by, t.created_at,
	t.expires_at, t.revoked_at, t.last_used_at, t.last_used_ip, t.purpose`

func authScanToken(row pgx.Row, extra ...any) (APIToken, error) {
	var t APIToken
	dest := append([]any{&t.ID, &t.Name, &t.UserID, &t.Username, &t.Role, &t.Prefix, &t.CreatedBy,
		&t.CreatedAt, &t.ExpiresAt, &t.RevokedAt, &t.LastUsedAt, &t.LastUsedIP, &t.Purpose}, extra...)
	err := row.Scan(dest...)
	t.CreatedAt = t.CreatedAt.UTC()
	for _, p := range []**time.Time{&t.ExpiresAt, &t.RevokedAt, &t.LastUsedAt} {
		if *p != nil {
			v := (*p).UTC()
			*p = &v
		}
	}
	return t, err
}

// CreateAPIToken stores a token's metadata and the SHA-256 of its secret.
func (s *Store) CreateAPIToken(ctx context.Context, t APIToken, hash []byte) (APIToken, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var id int64
	if t.Purpose == "" {
		t.Purpose = TokenPurposeAPI
	}
	err := s.pool.QueryRow(ctx, `INSERT INTO api_tokens (name, user_id, role, token_hash, prefix, created_by, expires_at, purpose)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		t.Name, t.UserID, t.Role, hash, t.Prefix, t.CreatedBy, t.ExpiresAt, t.Purpose).Scan(&id)
	if err != nil {
		return APIToken{}, authErr(err, "create api token "+t.Name)
	}
	return s.APITokenByID(ctx, id)
}

// APITokenByID reads one token's metadata; ErrNotFound when absent.
func (s *Store) APITokenByID(ctx context.Context, id int64) (APIToken, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	t, err := authScanToken(s.pool.QueryRow(ctx, `SELECT `+authTokenCols+`
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1`, id))
	return t, authErr(err, fmt.Sprintf("read api token %d", id))
}

// APITokenByHash finds the token whose secret hashes to hash, with its user (for the user's
// current role, disabled flag and scope); ErrNotFound when no token matches.
func (s *Store) APITokenByHash(ctx context.Context, hash []byte) (APIToken, User, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var u User
	t, err := authScanToken(s.pool.QueryRow(ctx, `SELECT `+authTokenCols+`, u.role, u.disabled, u.scope_regions, u.scope_branches
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1`, hash), &u.Role, &u.Disabled,
		&u.ScopeRegions, &u.ScopeBranches)
	u.ID, u.Username = t.UserID, t.Username
	return t, u, authErr(err, "read api token by hash")
}

// TouchAPIToken records a use of the token, at most once a minute per token so a busy client
// does not turn every request into a write.
func (s *Store) TouchAPIToken(ctx context.Context, id int64, at time.Time, ip *netip.Addr) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `UPDATE api_tokens SET last_used_at = $2, last_used_ip = $3
		WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2::timestamptz - interval '1 minute')`, id, at.UTC(), ip)
	return authErr(err, fmt.Sprintf("record use of api token %d", id))
}

// ListAPITokens returns every token's metadata, newest first.
func (s *Store) ListAPITokens(ctx context.Context) ([]APIToken, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+authTokenCols+`
		FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id DESC`)
	if err != nil {
		return nil, authErr(err, "list api tokens")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (APIToken, error) { return authScanToken(r) })
	return out, authErr(err, "list api tokens")
}

// RevokeAPIToken marks a token revoked at at (a second revoke keeps the first time) and returns
// its metadata; ErrNotFound when absent.
func (s *Store) RevokeAPIToken(ctx context.Context, id int64, at time.Time) (APIToken, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1`, id, at.UTC())
	if err != nil {
		return APIToken{}, authErr(err, fmt.Sprintf("revoke api token %d", id))
	}
	if tag.RowsAffected() == 0 {
		return APIToken{}, fmt.Errorf("revoke api token %d: %w", id, ErrNotFound)
	}
	return s.APITokenByID(ctx, id)
}
