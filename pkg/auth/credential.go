package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/audit"
	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/pkg/store"
)

// noDeadline is what CheckCredential answers for a credential that never expires by itself.
const noDeadline = 24 * time.Hour

// CredentialEndedError says that the credential of a long-lived request (a live stream) no
// longer stands. Reason is events.ReasonRevoked, ReasonLoggedOut or ReasonExpired.
type CredentialEndedError struct{ Reason string }

func (e *CredentialEndedError) Error() string { return "credential ended: " + e.Reason }

// RevokedChannel is the Redis channel on which the service publishes revocation notices
// (events.Revocation): the Redis prefix + "revoked", events.RevokedChannel by default. Every
// API replica's events.Hub must listen on it.
func (s *Service) RevokedChannel() string { return s.p.RedisPrefix + "revoked" }

// publishRevocation tells every API replica to end the live streams r names. A lost notice is
// covered by the streams' periodic CheckCredential, so a failure is only logged.
func (s *Service) publishRevocation(ctx context.Context, r events.Revocation) {
	if err := events.PublishRevocation(context.WithoutCancel(ctx), s.rdb, s.RevokedChannel(), r); err != nil {
		s.log.WarnContext(ctx, "revocation notice not published", "user_id", r.UserID, "token_id", r.TokenID, "err", err)
	}
}

// CheckCredential re-checks, without touching it (a stream is not activity), that the
// credential id was authenticated with still stands: the session exists and is within its
// idle and absolute timeouts, or the token is unrevoked, unexpired, its user enabled and its
// effective role unchanged. It answers how long the credential stands at most without another
// check (the session's nearest timeout, the token's expiry), a *CredentialEndedError when it
// no longer stands, or an infrastructure error.
func (s *Service) CheckCredential(ctx context.Context, id Identity) (time.Duration, error) {
	now := s.now()
	switch {
	case id.session != nil:
		return s.checkSession(ctx, id.session.key, id.UserID, now)
	case id.Via == audit.ViaToken && id.TokenID != 0:
		return s.checkToken(ctx, id, now)
	}
	return 0, &CredentialEndedError{Reason: events.ReasonRevoked}
}

func (s *Service) checkSession(ctx context.Context, key string, uid int64, now time.Time) (time.Duration, error) {
	b, err := s.rdb.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return 0, &CredentialEndedError{Reason: events.ReasonLoggedOut}
	}
	if err != nil {
		return 0, fmt.Errorf("read session: %w", err)
	}
	var d session
	if err := json.Unmarshal(b, &d); err != nil {
		return 0, fmt.Errorf("decode session: %w", err)
	}
	if d.UserID != uid {
		return 0, &CredentialEndedError{Reason: events.ReasonRevoked}
	}
	end := time.UnixMilli(d.Created).Add(s.p.SessionAbsolute)
	if idle := time.UnixMilli(d.Seen).Add(s.p.SessionIdle); idle.Before(end) {
		end = idle
	}
	if !now.Before(end) {
		return 0, &CredentialEndedError{Reason: events.ReasonExpired}
	}
	return end.Sub(now), nil
}

func (s *Service) checkToken(ctx context.Context, id Identity, now time.Time) (time.Duration, error) {
	revoked := &CredentialEndedError{Reason: events.ReasonRevoked}
	t, err := s.store.APITokenByID(ctx, id.TokenID)
	if errors.Is(err, store.ErrNotFound) {
		return 0, revoked
	}
	if err != nil {
		return 0, err
	}
	if t.RevokedAt != nil || t.UserID != id.UserID {
		return 0, revoked
	}
	if t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
		return 0, &CredentialEndedError{Reason: events.ReasonExpired}
	}
	u, err := s.store.UserByID(ctx, t.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return 0, revoked
	}
	if err != nil {
		return 0, err
	}
	tokenRole, err1 := ParseRole(t.Role)
	userRole, err2 := ParseRole(u.Role)
	if u.Disabled || err1 != nil || err2 != nil || min(tokenRole, userRole) != id.Role {
		return 0, revoked
	}
	if t.ExpiresAt == nil {
		return noDeadline, nil
	}
	return min(t.ExpiresAt.Sub(now), noDeadline), nil
}
