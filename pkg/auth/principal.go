package auth

import (
	"context"

	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/audit"
)

// Identity is the authenticated caller of a request (the principal).
type Identity struct {
	UserID   int64
	Username string
	// Role is the effective role: the user's, or for a token the lower of the token's and its
	// user's.
	Role Role
	// Via is audit.ViaSession or audit.ViaToken.
	Via string
	// TokenID is the API token used (Via == audit.ViaToken).
	TokenID int64
	// Scope limits the caller to part of the fleet (the user's; a token acts with its user's
	// scope). The zero Scope is unlimited.
	Scope Scope
	// Display marks a wall screen signed in with a display token (TokenID names it): it may
	// call the wall's reads only (DisplayAllows).
	Display bool

	session *sessionRef // set for Via == audit.ViaSession
}

// SessionHandle names the caller's session without revealing it (the SHA-256 of its id, as
// Redis keys it); "" for a token. Live streams and revocation notices use it.
func (id Identity) SessionHandle() string {
	if id.session == nil {
		return ""
	}
	return id.session.handle
}

// sessionRef is what a request knows about its session: the Redis key, the public handle and
// the stored data (with the CSRF token).
type sessionRef struct {
	key    string
	handle string
	data   session
}

const principalKey = "wardops.auth.principal"

type principalCtxKey struct{}

// Principal returns the caller that Authenticate found for c, and false for an anonymous
// request.
func Principal(c *echo.Context) (Identity, bool) {
	p, ok := c.Get(principalKey).(Identity)
	return p, ok
}

// PrincipalFrom returns the caller carried by a request context (handlers pass
// c.Request().Context() down to code that has no echo context).
func PrincipalFrom(ctx context.Context) (Identity, bool) {
	p, ok := ctx.Value(principalCtxKey{}).(Identity)
	return p, ok
}

// setPrincipal stores p on c and in the request context, with the audit actor.
func setPrincipal(c *echo.Context, p Identity, actor audit.Actor) {
	c.Set(principalKey, p)
	ctx := context.WithValue(c.Request().Context(), principalCtxKey{}, p)
	c.SetRequest(c.Request().WithContext(audit.WithActor(ctx, actor)))
}
