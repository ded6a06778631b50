package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"github.com/wardops/wardops/pkg/audit"
	"github.com/wardops/wardops/pkg/store"
)

// ssoPasswordHash is the password_hash of a user provisioned by single sign-on: no PHC string,
// so password sign-in always fails for them (after a dummy hash, like any wrong password).
const ssoPasswordHash = "!sso"

// OIDCSignIn is the outcome of mapping a verified ID token: who signed in and what they were
// granted. Regions and Branches are the grant's scope (empty: the whole network).
type OIDCSignIn struct {
	Issuer, Subject, Username string
	Grant                     OIDCGrant
}

// oidcUser maps verified claims to a role and scope and provisions or updates the user. Both
// are re-evaluated at every sign-in: a change ends the user's other sessions (UpdateUser).
func (s *Service) oidcUser(ctx context.Context, claims map[string]any, addr netip.Addr) (store.User, Role, *ssoError) {
	in := OIDCSignIn{Issuer: claims["iss"].(string), Subject: claims["sub"].(string),
		Username: oidcUsername(claims, s.oidc.p.UsernameClaim)}
	values := claimStrings(claims, s.oidc.p.RoleClaim)
	grant, ok := resolveGrant(s.oidc.p.Roles, values)
	if !ok {
		e := ssoErr(http.StatusForbidden, "no_role", "You signed in at the identity provider, but none of your "+
			s.oidc.p.RoleClaim+" is given a WardOps role. Ask a WardOps administrator for access.",
			fmt.Errorf("%s claim values %q map to no role", s.oidc.p.RoleClaim, clip(strings.Join(values, ","), 200)))
		e.user = in.Username
		return store.User{}, RoleNone, e
	}
	in.Grant = grant
	sc, err := NormalizeScope(Scope{Regions: grant.Regions, Branches: grant.Branches})
	if err == nil {
		err = checkScopeForRole(grant.Role, sc)
	}
	if err != nil { // the configuration is validated at start; this is the last guard
		e := ssoErr(http.StatusForbidden, "scope_invalid", "Your WardOps role's regions or branches are not valid. "+
			"Ask a WardOps administrator.", fmt.Errorf("grant %+v: %w", grant, err))
		e.user = in.Username
		return store.User{}, RoleNone, e
	}
	if in.Username == "" {
		return store.User{}, RoleNone, ssoErr(http.StatusForbidden, "username_invalid",
			"The identity provider sent no usable user name.", errors.New("no usable username claim"))
	}
	u, err := s.store.UserByOIDC(ctx, in.Issuer, in.Subject)
	switch {
	case errors.Is(err, store.ErrNotFound):
		u, err = s.createOIDCUser(ctx, in, sc, addr)
	case err == nil:
		u, err = s.refreshOIDCUser(ctx, u, grant.Role, sc, addr)
	}
	if err != nil {
		return u, RoleNone, oidcUserErr(in.Username, err)
	}
	return u, grant.Role, nil
}

func (s *Service) createOIDCUser(ctx context.Context, in OIDCSignIn, sc Scope, addr netip.Addr) (store.User, error) {
	u, err := s.store.CreateOIDCUser(ctx, store.User{Username: in.Username, Role: in.Grant.Role.String(),
		PasswordHash: ssoPasswordHash, OIDCIssuer: in.Issuer, OIDCSubject: in.Subject,
		ScopeRegions: sc.Regions, ScopeBranches: sc.Branches})
	if err != nil {
		return u, err
	}
	ctx = audit.WithActor(ctx, oidcActor(u, addr))
	s.record(ctx, audit.Entry{Action: "user.create", TargetType: "user", TargetID: idStr(u.ID), After: userView(u),
		Detail: map[string]string{"source": "oidc", "issuer": in.Issuer}})
	return u, nil
}

// refreshOIDCUser brings a returning user's role and scope in line with the provider's claims;
// a change ends the user's other sessions (UpdateUser).
func (s *Service) refreshOIDCUser(ctx context.Context, u store.User, role Role, sc Scope, addr netip.Addr) (store.User, error) {
	if u.Disabled {
		return u, errSSODisabled
	}
	if u.Role == role.String() && scopeOf(u).Equal(sc) {
		return u, nil
	}
	return s.UpdateUser(audit.WithActor(ctx, oidcActor(u, addr)), u.ID, UserChange{Role: &role, Scope: &sc})
}

func oidcActor(u store.User, addr netip.Addr) audit.Actor {
	return audit.Actor{UserID: u.ID, Name: u.Username, Via: audit.ViaSession, ClientIP: addr}
}

var errSSODisabled = errors.New("account disabled")

func oidcUserErr(name string, err error) *ssoError {
	var e *ssoError
	switch {
	case errors.Is(err, errSSODisabled):
		e = ssoErr(http.StatusForbidden, "account_disabled", "Your WardOps account is disabled. Ask a WardOps administrator.", err)
	case errors.Is(err, store.ErrConflict):
		e = ssoErr(http.StatusConflict, "username_taken", "A WardOps account named "+name+
			" already exists and does not sign in through single sign-on. Ask a WardOps administrator.", err)
	case errors.Is(err, store.ErrLastAdmin):
		e = ssoErr(http.StatusConflict, "last_admin", "The identity provider no longer makes you an admin, "+
			"and you are WardOps' last one: sign-in refused so that an admin remains. Ask a WardOps administrator.", err)
	default:
		e = ssoErr(http.StatusServiceUnavailable, "unavailable", "Sign-in is unavailable right now; try again shortly.", err)
	}
	e.user = name
	return e
}
