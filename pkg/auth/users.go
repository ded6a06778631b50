package auth

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wardops/wardops/pkg/audit"
	"github.com/wardops/wardops/pkg/store"
)

// usernamePattern: lower-case letters, digits, '.', '_', '-'; 1-64 characters.
var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// NormalizeUsername lower-cases and trims a username as every lookup does.
func NormalizeUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// NewUser describes a user to create.
type NewUser struct {
	Username string
	Role     Role
	Password string
	Disabled bool
	// Scope limits a viewer or operator (zero: every device); an admin cannot be scoped.
	Scope Scope
}

// CreateUser validates and stores a new user (the password hashed) and audits it.
func (s *Service) CreateUser(ctx context.Context, nu NewUser) (store.User, error) {
	name := NormalizeUsername(nu.Username)
	if !usernamePattern.MatchString(name) {
		return store.User{}, &InputError{Field: "username", Msg: "username must be 1-64 of a-z, 0-9, '.', '_', '-'"}
	}
	if !nu.Role.Valid() {
		return store.User{}, &InputError{Field: "role", Msg: "role must be viewer, operator or admin"}
	}
	scope, err := NormalizeScope(nu.Scope)
	if err != nil {
		return store.User{}, err
	}
	if err := checkScopeForRole(nu.Role, scope); err != nil {
		return store.User{}, err
	}
	if err := CheckPasswordPolicy(nu.Password); err != nil {
		return store.User{}, &InputError{Field: "password", Msg: err.Error()}
	}
	hash, err := s.hash(ctx, nu.Password)
	if err != nil {
		return store.User{}, err
	}
	u, err := s.store.CreateUser(ctx, store.User{Username: name, Role: nu.Role.String(), PasswordHash: hash, Disabled: nu.Disabled,
		ScopeRegions: scope.Regions, ScopeBranches: scope.Branches})
	if errors.Is(err, store.ErrConflict) {
		return u, &InputError{Field: "username", Msg: "username is taken", conflict: true}
	}
	if err != nil {
		return u, err
	}
	s.record(ctx, audit.Entry{Action: "user.create", TargetType: "user", TargetID: idStr(u.ID), After: userView(u)})
	return u, nil
}

// UserChange lists the fields of a user to change; nil fields stay.
type UserChange struct {
	Role     *Role
	Disabled *bool
	Password *string
	// Scope replaces the user's scope (the zero Scope: unlimited).
	Scope *Scope
}

// UpdateUser applies ch to user id, audits it, and signs the user out everywhere when the
// role, status, scope or password changed. Refuses with store.ErrLastAdmin to leave no enabled
// admin, and with an InputError on "scope" a change that leaves an admin scoped.
func (s *Service) UpdateUser(ctx context.Context, id int64, ch UserChange) (store.User, error) {
	if ch.Role != nil && !ch.Role.Valid() {
		return store.User{}, &InputError{Field: "role", Msg: "role must be viewer, operator or admin"}
	}
	if ch.Scope != nil {
		sc, err := NormalizeScope(*ch.Scope)
		if err != nil {
			return store.User{}, err
		}
		ch.Scope = &sc
	}
	var hash string
	if ch.Password != nil {
		if err := CheckPasswordPolicy(*ch.Password); err != nil {
			return store.User{}, &InputError{Field: "password", Msg: err.Error()}
		}
		var err error
		if hash, err = s.hash(ctx, *ch.Password); err != nil {
			return store.User{}, err
		}
	}
	before, after, err := s.store.UpdateUser(ctx, id, func(u *store.User) error {
		if u.Source == store.SourceLDAP && ch.Role != nil && ch.Role.String() != u.Role {
			return &InputError{Field: "role", Msg: "a directory user's role comes from its groups"}
		}
		if u.Source == store.SourceLDAP && ch.Scope != nil && !ch.Scope.Equal(scopeOf(*u)) {
			return &InputError{Field: "scope", Msg: "a directory user's scope comes from its groups"}
		}
		if u.Source == store.SourceLDAP && hash != "" {
			return &InputError{Field: "password", Msg: "a directory user's password is kept by the directory"}
		}
		if ch.Role != nil {
			u.Role = ch.Role.String()
		}
		if ch.Disabled != nil {
			u.Disabled = *ch.Disabled
		}
		if hash != "" {
			if u.OIDCSubject != "" {
				return &InputError{Field: "password", Msg: "this user signs in through single sign-on and has no WardOps password"}
			}
			u.PasswordHash = hash
		}
		if ch.Scope != nil {
			u.ScopeRegions, u.ScopeBranches = ch.Scope.Regions, ch.Scope.Branches
		}
		role, _ := ParseRole(u.Role)
		return checkScopeForRole(role, scopeOf(*u))
	})
	if err != nil {
		return after, err
	}
	detail := map[string]bool{"password_changed": hash != ""}
	s.record(ctx, audit.Entry{Action: "user.update", TargetType: "user", TargetID: idStr(id),
		Before: userView(before), After: userView(after), Detail: detail})
	if before.Role != after.Role || before.Disabled != after.Disabled || hash != "" || !scopeOf(before).Equal(scopeOf(after)) {
		if err := s.EndUserSessions(ctx, id); err != nil {
			return after, err
		}
	}
	return after, nil
}

// DeleteUser removes a user, their tokens and sessions, and audits it.
func (s *Service) DeleteUser(ctx context.Context, id int64) (store.User, error) {
	u, err := s.store.DeleteUser(ctx, id)
	if err != nil {
		return u, err
	}
	s.record(ctx, audit.Entry{Action: "user.delete", TargetType: "user", TargetID: idStr(id), Before: userView(u)})
	return u, s.EndUserSessions(ctx, id)
}

// ThrottledError says sign-in is refused for RetryAfter because of earlier failures.
type ThrottledError struct {
	RetryAfter time.Duration
	// Busy says the address already has the most sign-ins in flight (admission), not failures.
	Busy bool
}

func (e *ThrottledError) Error() string {
	if e.Busy {
		return fmt.Sprintf("other sign-ins from your address are in progress, retry in %s", e.RetryAfter.Round(time.Second))
	}
	return fmt.Sprintf("too many failed sign-ins, retry in %s", e.RetryAfter.Round(time.Second))
}

// ErrInvalidCredentials is the single answer to an unknown user, a wrong password and a
// disabled account.
var ErrInvalidCredentials = errors.New("invalid username or password")

// CheckPassword verifies a username and password exactly as the login endpoint does
// (throttled per user and per client address addr, failures audited); it returns nil,
// ErrInvalidCredentials, a *ThrottledError or an infrastructure error. It checks the first
// factor only.
func (s *Service) CheckPassword(ctx context.Context, username, password, addr string) error {
	_, err := s.checkCredentials(ctx, username, password, addr)
	return err
}

// verified is a user whose first factor (password) checked out.
type verified struct {
	store.User
	// grants are what the directory's groups give a directory user.
	grants []Grant
}

// needsTOTP reports whether the sign-in still needs a second factor: a local account with
// two-factor on.
func (v verified) needsTOTP() bool { return v.Source == store.SourceLocal && v.TOTPEnabledAt != nil }

// checkCredentials runs one throttled sign-in attempt. A local account of that name signs in
// with its stored password (break-glass: this works with the directory down); any other name
// goes to the directory when one is configured. Unknown users cost one argon2id verification
// against a dummy hash, like known ones, so timing does not tell them apart. The throttle is
// reset on success unless a second factor is still due (the code step resets it).
func (s *Service) checkCredentials(ctx context.Context, username, password, addr string) (verified, error) {
	name := NormalizeUsername(username)
	if !s.admit.enter(addr) { // refused before any hashing or Redis work
		return verified{}, &ThrottledError{RetryAfter: addrBusyRetry, Busy: true}
	}
	defer s.admit.leave(addr)
	wait, class, err := s.throttle.check(ctx, name, addr, s.now())
	if err != nil {
		return verified{}, err
	}
	if wait > 0 {
		return verified{}, &ThrottledError{RetryAfter: wait}
	}
	var u store.User
	if plausibleUsername(name) { // anything else cannot exist; it still costs a dummy hash below
		if u, err = s.store.UserByName(ctx, name); err != nil && !errors.Is(err, store.ErrNotFound) {
			return verified{User: u}, err
		}
	}
	if s.p.Directory != nil && plausibleUsername(name) && (u.ID == 0 || u.Source == store.SourceLDAP) {
		return s.checkDirectory(ctx, name, password, addr, u)
	}
	ok, stale, verr := s.verify(ctx, s.lane(class), u.PasswordHash, password) // "" → dummy hash
	if verr != nil && !errors.Is(verr, errBadHash) {
		return verified{User: u}, verr
	}
	reason := ""
	switch {
	case u.ID == 0:
		reason = "unknown user"
	case u.Source == store.SourceLDAP:
		reason = "directory user, no directory configured"
	case !ok:
		reason = "wrong password"
	case u.OIDCSubject != "":
		reason = "single sign-on account"
	case u.Disabled:
		reason = "disabled"
	}
	if reason != "" {
		s.loginFailed(ctx, name, reason)
		return verified{User: u}, ErrInvalidCredentials
	}
	v := verified{User: u}
	if !v.needsTOTP() {
		s.throttleReset(ctx, name, addr)
	}
	if stale {
		s.rehash(ctx, u, password)
	}
	return v, nil
}

func (s *Service) loginFailed(ctx context.Context, name, reason string) {
	s.record(ctx, audit.Entry{Action: "auth.login_failed", TargetType: "user", TargetID: clip(name, 64),
		Detail: map[string]string{"reason": reason}})
}

func (s *Service) throttleReset(ctx context.Context, name, addr string) {
	if err := s.throttle.succeeded(ctx, name, addr); err != nil {
		s.log.WarnContext(ctx, "sign-in throttle not reset", "err", err)
	}
}

// plausibleUsername reports whether name could be a stored username, so that arbitrary
// sign-in input (NUL bytes, megabytes of text) never reaches a query.
func plausibleUsername(name string) bool { return usernamePattern.MatchString(name) }

// clip shortens s to at most n bytes on a rune boundary, for logging user-supplied names.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "?")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// rehash upgrades a hash made with older cost parameters.
func (s *Service) rehash(ctx context.Context, u store.User, password string) {
	hash, err := s.hash(ctx, password)
	if err == nil {
		err = s.store.UpgradePasswordHash(ctx, u.ID, u.PasswordHash, hash)
	}
	if err != nil {
		s.log.WarnContext(ctx, "password hash not upgraded", "user_id", u.ID, "err", err)
	}
}
