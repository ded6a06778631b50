package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/wardops/wardops/pkg/audit"
	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/pkg/store"
)

// tokenSecretLen is the length of a token secret: the prefix and 43 base64url characters
// (256 random bits).
const tokenSecretLen = len(audit.TokenPrefix) + 43

// errBadToken is the one answer to every unusable bearer token (unknown, revoked, expired,
// disabled user), so a caller learns nothing about which.
var errBadToken = errors.New("invalid or expired token")

// NewToken describes a token to create.
type NewToken struct {
	Name string
	// UserID is the user the token acts as; its role may not exceed that user's.
	UserID int64
	Role   Role
	// ExpiresAt is when it stops working (zero: now + DefaultTokenLifetime).
	ExpiresAt time.Time
	// Display makes a display token (a viewer bound to the wall screen, store.TokenPurposeDisplay):
	// with a zero ExpiresAt it never expires, and it is revoked by hand.
	Display bool
}

// CreateToken mints a token and stores its hash. The returned secret is the only copy: show
// it once. The creation is audited with the actor in ctx.
func (s *Service) CreateToken(ctx context.Context, nt NewToken) (string, store.APIToken, error) {
	nt.Name = strings.TrimSpace(nt.Name)
	if nt.Name == "" || len(nt.Name) > 100 {
		return "", store.APIToken{}, &InputError{Field: "name", Msg: "name must be 1 to 100 characters"}
	}
	if !nt.Role.Valid() {
		return "", store.APIToken{}, &InputError{Field: "role", Msg: "role must be viewer, operator or admin"}
	}
	owner, err := s.store.UserByID(ctx, nt.UserID)
	if err != nil {
		return "", store.APIToken{}, notFoundAs(err, "user_id", "no such user")
	}
	if owner.Source != store.SourceLocal {
		// a token is not re-checked against the directory or the identity provider, so it
		// would outlive a group removal there
		return "", store.APIToken{}, &InputError{Field: "user_id", Msg: "tokens belong to local accounts, not directory or single sign-on users"}
	}
	if ownerRole, _ := ParseRole(owner.Role); nt.Role > ownerRole || owner.Disabled {
		return "", store.APIToken{}, &InputError{Field: "role", Msg: "a token cannot exceed its user's role or belong to a disabled user"}
	}
	if nt.Display && nt.Role != RoleViewer {
		return "", store.APIToken{}, &InputError{Field: "role", Msg: "a display token is a viewer: it shows the wall screen only"}
	}
	if nt.ExpiresAt.IsZero() && !nt.Display {
		nt.ExpiresAt = s.now().Add(DefaultTokenLifetime)
	}
	if !nt.ExpiresAt.IsZero() && !nt.ExpiresAt.After(s.now()) {
		return "", store.APIToken{}, &InputError{Field: "expires_at", Msg: "expiry must be in the future"}
	}
	secret := audit.TokenPrefix + randomString(32)
	hash := sha256.Sum256([]byte(secret))
	t := store.APIToken{Name: nt.Name, UserID: owner.ID, Role: nt.Role.String(), Prefix: secret[:len(audit.TokenPrefix)+6],
		Purpose: store.TokenPurposeAPI}
	if !nt.ExpiresAt.IsZero() {
		exp := nt.ExpiresAt.UTC()
		t.ExpiresAt = &exp
	}
	if nt.Display {
		t.Purpose = store.TokenPurposeDisplay
	}
	if p, ok := PrincipalFrom(ctx); ok {
		t.CreatedBy = &p.UserID
	}
	t, err = s.store.CreateAPIToken(ctx, t, hash[:])
	if err != nil {
		return "", store.APIToken{}, err
	}
	s.record(ctx, audit.Entry{Action: "token.create", TargetType: "token", TargetID: idStr(t.ID), After: tokenView(t, s.now())})
	return secret, t, nil
}

// RevokeToken revokes a token at once; requests using it fail from then on, and its live
// streams end on every API replica.
func (s *Service) RevokeToken(ctx context.Context, id int64) (store.APIToken, error) {
	before, err := s.store.APITokenByID(ctx, id)
	if err != nil {
		return before, err
	}
	t, err := s.store.RevokeAPIToken(ctx, id, s.now())
	if err != nil {
		return t, err
	}
	s.publishRevocation(ctx, events.Revocation{TokenID: id, Reason: events.ReasonRevoked})
	s.record(ctx, audit.Entry{Action: "token.revoke", TargetType: "token", TargetID: idStr(id),
		Before: tokenView(before, s.now()), After: tokenView(t, s.now())})
	return t, nil
}

// tokenIdentity authenticates a bearer secret.
func (s *Service) tokenIdentity(ctx context.Context, secret string, addr netip.Addr) (Identity, error) {
	if len(secret) != tokenSecretLen || !strings.HasPrefix(secret, audit.TokenPrefix) {
		return Identity{}, errBadToken
	}
	hash := sha256.Sum256([]byte(secret))
	t, u, err := s.store.APITokenByHash(ctx, hash[:])
	if errors.Is(err, store.ErrNotFound) {
		return Identity{}, errBadToken
	}
	if err != nil {
		return Identity{}, err
	}
	now := s.now()
	tokenRole, err1 := ParseRole(t.Role)
	userRole, err2 := ParseRole(u.Role)
	if t.RevokedAt != nil || (t.ExpiresAt != nil && !now.Before(*t.ExpiresAt)) || u.Disabled || err1 != nil || err2 != nil {
		return Identity{}, errBadToken
	}
	var ip *netip.Addr
	if addr.IsValid() {
		ip = &addr
	}
	if err := s.store.TouchAPIToken(ctx, t.ID, now, ip); err != nil {
		s.log.WarnContext(ctx, "token use not recorded", "token_id", t.ID, "err", err)
	}
	return Identity{UserID: u.ID, Username: u.Username, Role: min(tokenRole, userRole), Via: audit.ViaToken, TokenID: t.ID,
		Scope: scopeOf(u), Display: t.Purpose == store.TokenPurposeDisplay}, nil
}

// InputError is a validation failure of one input field; the API answers it with 400, or 409
// when the value conflicts with an existing row (a taken username).
type InputError struct {
	Field    string
	Msg      string
	conflict bool
}

func (e *InputError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Msg) }

// notFoundAs turns ErrNotFound into an InputError on field (a reference in the input that
// names nothing), and passes other errors through.
func notFoundAs(err error, field, msg string) error {
	if errors.Is(err, store.ErrNotFound) {
		return &InputError{Field: field, Msg: msg}
	}
	return err
}
