package auth

import (
	"context"
	"errors"
	"time"

	"github.com/wardops/wardops/pkg/audit"
	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/pkg/store"
)

// checkDirectory signs name in against the directory (no local account has that name) and
// provisions or updates its source=ldap user row with the role its groups give.
func (s *Service) checkDirectory(ctx context.Context, name, password, addr string, existing store.User) (verified, error) {
	if password == "" { // an empty password is an unauthenticated bind to LDAP: never "success"
		s.loginFailed(ctx, name, "empty password")
		return verified{}, ErrInvalidCredentials
	}
	du, err := s.p.Directory.Authenticate(ctx, name, password)
	if err == nil {
		err = directoryUsable(du)
	}
	if err != nil {
		err = directoryErr(err)
		var dr *DirectoryRefusal
		if errors.As(err, &dr) {
			s.loginFailed(ctx, name, dr.Reason)
			return verified{}, ErrInvalidCredentials
		}
		s.log.WarnContext(ctx, "directory sign-in failed", "user", clip(name, 64), "err", err)
		s.loginFailed(ctx, name, "directory unavailable")
		return verified{}, err
	}
	u, err := s.syncDirectoryUser(ctx, name, du, existing)
	if errors.Is(err, store.ErrConflict) { // a local account of that name appeared meanwhile
		s.loginFailed(ctx, name, "name taken by a local account")
		return verified{}, ErrInvalidCredentials
	}
	if err != nil {
		return verified{}, err
	}
	if u.Disabled {
		s.loginFailed(ctx, name, "disabled")
		return verified{}, ErrInvalidCredentials
	}
	s.throttleReset(ctx, name, addr)
	return verified{User: u, grants: du.Grants}, nil
}

// syncDirectoryUser writes the directory's view of a user (role, DN) to its user row, audits a
// new user or a changed role, and signs the user out of older sessions when the role changed.
func (s *Service) syncDirectoryUser(ctx context.Context, name string, du DirectoryUser, existing store.User) (store.User, error) {
	role, sc := effectiveGrant(du.Grants)
	u, err := s.store.UpsertDirectoryUser(ctx, name, role.String(), du.DN, sc.Regions, sc.Branches)
	if err != nil {
		return u, err
	}
	detail := map[string]any{"source": store.SourceLDAP, "dn": du.DN, "grants": du.Grants}
	switch {
	case existing.ID == 0:
		s.record(ctx, audit.Entry{Action: "user.provision", TargetType: "user", TargetID: idStr(u.ID),
			After: userView(u), Detail: detail})
	case existing.Role != u.Role || !scopeOf(existing).Equal(scopeOf(u)):
		s.record(ctx, audit.Entry{Action: "user.directory_role", TargetType: "user", TargetID: idStr(u.ID),
			Before: userView(existing), After: userView(u), Detail: detail})
		if err := s.EndUserSessions(ctx, u.ID); err != nil {
			return u, err
		}
	}
	return u, nil
}

// directoryRetry is how soon a session refresh is tried again when the directory did not answer.
const directoryRetry = time.Minute

// refreshDirectorySession re-reads the groups of a directory user's session when its refresh
// is due, and reports whether the session lives on. Removed from every mapped group, disabled
// or deleted in the directory: every session of the user ends. A changed role: the user row
// is updated and every session ends (the next sign-in carries the new role, as after an
// admin's role change). Directory unreachable: the session goes on for up to two refresh
// periods after the last good check, retried every minute, then ends.
func (s *Service) refreshDirectorySession(ctx context.Context, ref *sessionRef) bool {
	now := s.now().UnixMilli()
	d := &ref.data
	if s.p.Directory == nil {
		s.deleteSession(ctx, *ref, events.ReasonRevoked)
		return false
	}
	if now < d.NextCheck {
		return true
	}
	refresh := s.p.DirectoryRefresh.Milliseconds()
	du, err := s.p.Directory.Lookup(ctx, d.Username)
	if err == nil {
		err = directoryUsable(du)
	}
	if err != nil {
		err = directoryErr(err)
		var dr *DirectoryRefusal
		if errors.As(err, &dr) {
			s.endDirectorySessions(ctx, d.UserID, d.Username, dr.Reason)
			return false
		}
		s.log.WarnContext(ctx, "directory refresh failed", "user", d.Username, "err", err)
		if now-d.Checked >= 2*refresh {
			s.endDirectorySessions(ctx, d.UserID, d.Username, "directory unavailable for too long")
			return false
		}
		d.NextCheck = now + min(directoryRetry.Milliseconds(), refresh)
		return s.saveSession(ctx, *ref) == nil
	}
	if role, sc := effectiveGrant(du.Grants); role != d.Role || !sc.Equal(d.Scope) {
		existing, err := s.store.UserByID(ctx, d.UserID)
		if err == nil {
			_, err = s.syncDirectoryUser(ctx, d.Username, du, existing)
		}
		if err != nil {
			s.log.WarnContext(ctx, "directory role not updated", "user", d.Username, "err", err)
		}
		s.endDirectorySessions(ctx, d.UserID, d.Username, "role or scope changed in directory")
		return false
	}
	d.Checked, d.NextCheck, d.Grants = now, now+refresh, du.Grants
	return s.saveSession(ctx, *ref) == nil
}

func (s *Service) endDirectorySessions(ctx context.Context, uid int64, name, reason string) {
	s.record(ctx, audit.Entry{Action: "auth.directory_signout", TargetType: "user", TargetID: idStr(uid),
		Detail: map[string]string{"reason": reason, "username": name}})
	if err := s.EndUserSessions(ctx, uid); err != nil {
		s.log.WarnContext(ctx, "directory user's sessions not ended", "user_id", uid, "err", err)
	}
}
