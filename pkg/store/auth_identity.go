package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// UpsertDirectoryUser creates or updates the SourceLDAP user username with role, its scope
// (regions, branches; both empty: every device) and its directory DN, re-enabling nothing (an
// admin's local disable stays). It answers ErrConflict when a local account has that name: a
// local account is never turned into a directory one. The last-admin rule does not apply: the
// directory decides a directory user's role.
func (s *Store) UpsertDirectoryUser(ctx context.Context, username, role, dn string, regions, branches []string) (User, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if regions == nil {
		regions = []string{}
	}
	if branches == nil {
		branches = []string{}
	}
	u, err := authScanUser(s.pool.QueryRow(ctx, `INSERT INTO users (username, role, password_hash, source, external_dn,
			scope_regions, scope_branches)
		VALUES ($1, $2, '!', 'ldap', $3, $4, $5)
		ON CONFLICT (username) DO UPDATE SET role = EXCLUDED.role, external_dn = EXCLUDED.external_dn,
			scope_regions = EXCLUDED.scope_regions, scope_branches = EXCLUDED.scope_branches,
			updated_at = CASE WHEN users.role <> EXCLUDED.role OR users.external_dn <> EXCLUDED.external_dn
				OR users.scope_regions <> EXCLUDED.scope_regions OR users.scope_branches <> EXCLUDED.scope_branches
				THEN now() ELSE users.updated_at END
		WHERE users.source = 'ldap'
		RETURNING `+authUserCols, username, role, dn, regions, branches))
	if errors.Is(err, pgx.ErrNoRows) {
		return u, fmt.Errorf("directory user %s: %w (a local account has this name)", username, ErrConflict)
	}
	return u, authErr(err, "save directory user "+username)
}

// SetTOTPSecret stores a sealed TOTP secret for a user who has not enabled two-factor yet
// (starting or restarting enrolment); ErrConflict when two-factor is already on.
func (s *Store) SetTOTPSecret(ctx context.Context, id int64, sealed string) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `UPDATE users SET totp_secret = $2, updated_at = now()
		WHERE id = $1 AND totp_enabled_at IS NULL`, id, sealed)
	if err != nil {
		return authErr(err, fmt.Sprintf("set TOTP secret of user %d", id))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("set TOTP secret of user %d: %w", id, ErrConflict)
	}
	return nil
}

// EnableTOTP confirms enrolment: two-factor is on from now, step is the time step of the code
// that confirmed it (it cannot be used again), and codeHashes replace the user's recovery
// codes. ErrConflict when it is already on or no secret is pending.
func (s *Store) EnableTOTP(ctx context.Context, id int64, step int64, codeHashes [][]byte) (User, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var u User
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		u, err = authScanUser(tx.QueryRow(ctx, `UPDATE users SET totp_enabled_at = now(), totp_last_step = $2,
			updated_at = now() WHERE id = $1 AND totp_enabled_at IS NULL AND totp_secret <> ''
			RETURNING `+authUserCols, id, step))
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrConflict
		}
		if err != nil {
			return err
		}
		return replaceRecoveryCodes(ctx, tx, id, codeHashes)
	})
	return u, authErr(err, fmt.Sprintf("enable TOTP of user %d", id))
}

func replaceRecoveryCodes(ctx context.Context, tx pgx.Tx, id int64, codeHashes [][]byte) error {
	if _, err := tx.Exec(ctx, `DELETE FROM user_recovery_codes WHERE user_id = $1`, id); err != nil {
		return err
	}
	for _, h := range codeHashes {
		if _, err := tx.Exec(ctx, `INSERT INTO user_recovery_codes (user_id, code_hash) VALUES ($1, $2)`, id, h); err != nil {
			return err
		}
	}
	return nil
}

// UseTOTPStep records that a code of time step was accepted for user id, and reports false
// when that step (or a later one) was already used: a code cannot be replayed.
func (s *Store) UseTOTPStep(ctx context.Context, id, step int64) (bool, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `UPDATE users SET totp_last_step = $2
		WHERE id = $1 AND totp_enabled_at IS NOT NULL AND totp_last_step < $2`, id, step)
	if err != nil {
		return false, authErr(err, fmt.Sprintf("use TOTP step of user %d", id))
	}
	return tag.RowsAffected() == 1, nil
}

// UseRecoveryCode marks the unused recovery code with hash as used and reports whether there
// was one.
func (s *Store) UseRecoveryCode(ctx context.Context, id int64, hash []byte) (bool, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `UPDATE user_recovery_codes SET used_at = now()
		WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`, id, hash)
	if err != nil {
		return false, authErr(err, fmt.Sprintf("use recovery code of user %d", id))
	}
	return tag.RowsAffected() == 1, nil
}

// RecoveryCodesLeft counts the unused recovery codes of user id.
func (s *Store) RecoveryCodesLeft(ctx context.Context, id int64) (int, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM user_recovery_codes WHERE user_id = $1 AND used_at IS NULL`, id).Scan(&n)
	return n, authErr(err, fmt.Sprintf("count recovery codes of user %d", id))
}

// ResetTOTP turns two-factor off for user id: the secret, the replay step and the recovery
// codes go. It returns the user as it was before.
func (s *Store) ResetTOTP(ctx context.Context, id int64) (User, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var before User
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		before, err = authScanUser(tx.QueryRow(ctx, `SELECT `+authUserCols+` FROM users WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET totp_secret = '', totp_enabled_at = NULL, totp_last_step = 0,
			updated_at = now() WHERE id = $1`, id); err != nil {
			return err
		}
		return replaceRecoveryCodes(ctx, tx, id, nil)
	})
	return before, authErr(err, fmt.Sprintf("reset TOTP of user %d", id))
}
