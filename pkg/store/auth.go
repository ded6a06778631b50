package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrLastAdmin is returned when a change would leave no enabled admin user.
var ErrLastAdmin = errors.New("would leave no enabled admin")

// User is a person (or service account) who signs in to WardOps. Role is viewer, operator or
// admin; PasswordHash is a PHC-format argon2id string and must never leave the API.
type User struct {
	ID                int64
	Username          string
	Role              string
	PasswordHash      string
	Disabled          bool
	CreatedAt         time.Time
	UpdatedAt         time.Time
	PasswordChangedAt time.Time
	LastLoginAt       *time.Time
	// Source is SourceLocal or SourceLDAP (a directory user: no usable PasswordHash).
	Source string
	// ExternalDN is the directory entry of a SourceLDAP user.
	ExternalDN string
	// TOTPSecret is the sealed TOTP secret ("" when none); TOTPEnabledAt is set once
	// enrolment was confirmed; TOTPLastStep is the last time step a code was accepted for.
	TOTPSecret    string
	TOTPEnabledAt *time.Time
	TOTPLastStep  int64
	// ScopeRegions and ScopeBranches limit a viewer or operator to the devices of these regions
	// or branches (both empty: every device); an admin is never scoped (see auth.Scope).
	ScopeRegions  []string
	ScopeBranches []string
	// OIDCIssuer and OIDCSubject identify a user provisioned by single sign-on (both empty for
	// a local user); see CreateOIDCUser.
	OIDCIssuer, OIDCSubject string
}

// User sources.
const (
	// SourceLocal users sign in with the password stored here.
	SourceLocal = "local"
	// SourceLDAP users sign in against the directory; their role follows their groups.
	SourceLDAP = "ldap"
	// SourceOIDC users sign in through the OpenID Provider (OIDCIssuer, OIDCSubject); their
	// role and scope follow its claims at every sign-in.
	SourceOIDC = "oidc"
)

const authUserCols = `id, username, role, password_hash, disabled, created_at, updated_at,
	password_changed_at, last_login_at, source, external_dn, totp_secret, totp_enabled_at, totp_last_step,
	scope_regions, scope_branches, coalesce(oidc_issuer, ''), coalesce(oidc_subject, '')`

func authScanUser(row pgx.Row) (User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Username, &u.Role, &u.PasswordHash, &u.Disabled, &u.CreatedAt,
		&u.UpdatedAt, &u.PasswordChangedAt, &u.LastLoginAt, &u.Source, &u.ExternalDN, &u.TOTPSecret,
		&u.TOTPEnabledAt, &u.TOTPLastStep, &u.ScopeRegions, &u.ScopeBranches, &u.OIDCIssuer, &u.OIDCSubject)
	u.CreatedAt, u.UpdatedAt, u.PasswordChangedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC(), u.PasswordChangedAt.UTC()
	if u.LastLoginAt != nil {
		t := u.LastLoginAt.UTC()
		u.LastLoginAt = &t
	}
	if u.TOTPEnabledAt != nil {
		t := u.TOTPEnabledAt.UTC()
		u.TOTPEnabledAt = &t
	}
	return u, err
}

// authErr maps pgx errors of the auth tables to ErrNotFound / ErrConflict, naming the object.
func authErr(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return fmt.Errorf("%s: %w (%s)", what, ErrConflict, pe.ConstraintName)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// CreateUser inserts u (Username, Role, PasswordHash, Disabled, scope) and returns the stored
// row; ErrConflict when the username is taken.
func (s *Store) CreateUser(ctx context.Context, u User) (User, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	row := s.pool.QueryRow(ctx, `INSERT INTO users (username, role, password_hash, disabled, scope_regions, scope_branches)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+authUserCols, u.Username, u.Role, u.PasswordHash, u.Disabled,
		nonNil(u.ScopeRegions), nonNil(u.ScopeBranches))
	out, err := authScanUser(row)
	return out, authErr(err, "create user "+u.Username)
}

// CreateFirstUser inserts u only when the users table is empty; it reports whether it did.
// Two API replicas starting at once create the user once: the loser hits the unique username
// or sees a non-empty table.
func (s *Store) CreateFirstUser(ctx context.Context, u User) (bool, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `INSERT INTO users (username, role, password_hash)
		SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM users)
		ON CONFLICT (username) DO NOTHING`, u.Username, u.Role, u.PasswordHash)
	if err != nil {
		return false, authErr(err, "create first user")
	}
	return tag.RowsAffected() == 1, nil
}

// CountUsers returns how many users exist (enabled or not).
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n)
	return n, authErr(err, "count users")
}

// UserByID reads one user; ErrNotFound when absent.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	u, err := authScanUser(s.pool.QueryRow(ctx, `SELECT `+authUserCols+` FROM users WHERE id = $1`, id))
	return u, authErr(err, fmt.Sprintf("read user %d", id))
}

// UserByName reads one user by (lower-case) username; ErrNotFound when absent.
func (s *Store) UserByName(ctx context.Context, username string) (User, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	u, err := authScanUser(s.pool.QueryRow(ctx, `SELECT `+authUserCols+` FROM users WHERE username = $1`, username))
	return u, authErr(err, "read user "+username)
}

// ListUsers returns every user in id order.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+authUserCols+` FROM users ORDER BY id`)
	if err != nil {
		return nil, authErr(err, "list users")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (User, error) { return authScanUser(r) })
	return out, authErr(err, "list users")
}

// UpdateUser changes one user under a row lock: change receives the current row and edits it
// (Role, PasswordHash, Disabled, the scope; PasswordChangedAt is set when the hash changes). It refuses,
// with ErrLastAdmin, a change that leaves no enabled admin. It returns the rows before and after.
func (s *Store) UpdateUser(ctx context.Context, id int64, change func(*User) error) (before, after User, err error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		admins, err := authLockAdmins(ctx, tx)
		if err != nil {
			return err
		}
		before, err = authScanUser(tx.QueryRow(ctx, `SELECT `+authUserCols+` FROM users WHERE id = $1`, id))
		if err != nil {
			return err
		}
		after = before
		if err := change(&after); err != nil {
			return err
		}
		if after.PasswordHash != before.PasswordHash {
			after.PasswordChangedAt = time.Now().UTC()
		}
		after, err = authScanUser(tx.QueryRow(ctx, `UPDATE users SET role = $2, password_hash = $3,
			disabled = $4, password_changed_at = $5, scope_regions = $6, scope_branches = $7, updated_at = now()
			WHERE id = $1 RETURNING `+authUserCols,
			id, after.Role, after.PasswordHash, after.Disabled, after.PasswordChangedAt, nonNil(after.ScopeRegions), nonNil(after.ScopeBranches)))
		if err != nil {
			return err
		}
		return authCheckAdmins(ctx, tx, admins)
	})
	return before, after, authErr(err, fmt.Sprintf("update user %d", id))
}

// DeleteUser removes a user (their tokens go with them; audit rows keep the name). It refuses,
// with ErrLastAdmin, to delete the last enabled admin.
func (s *Store) DeleteUser(ctx context.Context, id int64) (User, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var u User
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		admins, err := authLockAdmins(ctx, tx)
		if err != nil {
			return err
		}
		u, err = authScanUser(tx.QueryRow(ctx, `DELETE FROM users WHERE id = $1 RETURNING `+authUserCols, id))
		if err != nil {
			return err
		}
		return authCheckAdmins(ctx, tx, admins)
	})
	return u, authErr(err, fmt.Sprintf("delete user %d", id))
}

// authLockAdmins serialises every change that could remove the last admin (two admins demoting
// each other concurrently would otherwise both see "another admin remains") and returns how
// many enabled admins there are before the change.
func authLockAdmins(ctx context.Context, tx pgx.Tx) (int64, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('wardops.users.admins'))`); err != nil {
		return 0, err
	}
	return authCountAdmins(ctx, tx)
}

func authCountAdmins(ctx context.Context, tx pgx.Tx) (int64, error) {
	var n int64
	err := tx.QueryRow(ctx, `SELECT count(*) FROM users WHERE role = 'admin' AND NOT disabled`).Scan(&n)
	return n, err
}

// authCheckAdmins refuses a change that took the number of enabled admins from some to none.
func authCheckAdmins(ctx context.Context, tx pgx.Tx, before int64) error {
	n, err := authCountAdmins(ctx, tx)
	if err != nil {
		return err
	}
	if before > 0 && n == 0 {
		return ErrLastAdmin
	}
	return nil
}

// TouchUserLogin records a successful sign-in.
func (s *Store) TouchUserLogin(ctx context.Context, id int64, at time.Time) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `UPDATE users SET last_login_at = $2 WHERE id = $1`, id, at.UTC())
	return authErr(err, fmt.Sprintf("record login of user %d", id))
}

// UpgradePasswordHash replaces a user's hash with a re-hash of the same password (new cost
// parameters), only if the hash is still oldHash; password_changed_at stays.
func (s *Store) UpgradePasswordHash(ctx context.Context, id int64, oldHash, newHash string) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2`,
		id, oldHash, newHash)
	return authErr(err, fmt.Sprintf("upgrade password hash of user %d", id))
}
