package store

import (
	"context"
	"errors"
)

// CreateOIDCUser inserts a user provisioned by single sign-on (source oidc): u's Username,
// Role, PasswordHash (a marker that is no PHC string), OIDCIssuer, OIDCSubject and scope. ErrConflict when
// the username is taken or the issuer and subject already have a user.
func (s *Store) CreateOIDCUser(ctx context.Context, u User) (User, error) {
	if u.OIDCIssuer == "" || u.OIDCSubject == "" {
		return User{}, errors.New("create single sign-on user: issuer and subject are required")
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	regions, branches := u.ScopeRegions, u.ScopeBranches
	if regions == nil {
		regions = []string{}
	}
	if branches == nil {
		branches = []string{}
	}
	row := s.pool.QueryRow(ctx, `INSERT INTO users (username, role, password_hash, oidc_issuer, oidc_subject, source,
			scope_regions, scope_branches)
		VALUES ($1, $2, $3, $4, $5, 'oidc', $6, $7) RETURNING `+authUserCols,
		u.Username, u.Role, u.PasswordHash, u.OIDCIssuer, u.OIDCSubject, regions, branches)
	out, err := authScanUser(row)
	return out, authErr(err, "create single sign-on user "+u.Username)
}

// UserByOIDC reads the user an OpenID issuer and subject were provisioned as; ErrNotFound
// when there is none.
func (s *Store) UserByOIDC(ctx context.Context, issuer, subject string) (User, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	u, err := authScanUser(s.pool.QueryRow(ctx, `SELECT `+authUserCols+` FROM users
		WHERE oidc_issuer = $1 AND oidc_subject = $2`, issuer, subject))
	return u, authErr(err, "read single sign-on user")
}
