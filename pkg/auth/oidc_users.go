package auth

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/netip"
	"strings"

	"github.com/labstack/echo/v5"

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

// oidcUser maps verified claims to a role and provisions or updates the user. The role is
// re-evaluated at every sign-in: a change ends the user's other sessions (UpdateUser).
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
	if grant.Scoped() {
		// Scoped roles are enforced by the user's scope columns, which this build does not have:
		// refuse rather than grant the role on the whole network. After the scoped-roles merge,
		// write in.Grant.Regions / in.Grant.Branches to the user here instead.
		e := ssoErr(http.StatusForbidden, "scope_unsupported", "Your WardOps role is limited to some regions or branches, "+
			"which this WardOps cannot enforce yet. Ask a WardOps administrator.", fmt.Errorf("scoped grant %+v", grant))
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
		u, err = s.createOIDCUser(ctx, in, addr)
	case err == nil:
		u, err = s.refreshOIDCUser(ctx, u, grant.Role, addr)
	}
	if err != nil {
		return u, RoleNone, oidcUserErr(in.Username, err)
	}
	return u, grant.Role, nil
}

func (s *Service) createOIDCUser(ctx context.Context, in OIDCSignIn, addr netip.Addr) (store.User, error) {
	u, err := s.store.CreateOIDCUser(ctx, store.User{Username: in.Username, Role: in.Grant.Role.String(),
		PasswordHash: ssoPasswordHash, OIDCIssuer: in.Issuer, OIDCSubject: in.Subject})
	if err != nil {
		return u, err
	}
	ctx = audit.WithActor(ctx, oidcActor(u, addr))
	s.record(ctx, audit.Entry{Action: "user.create", TargetType: "user", TargetID: idStr(u.ID), After: userView(u),
		Detail: map[string]string{"source": "oidc", "issuer": in.Issuer}})
	return u, nil
}

func (s *Service) refreshOIDCUser(ctx context.Context, u store.User, role Role, addr netip.Addr) (store.User, error) {
	if u.Disabled {
		return u, errSSODisabled
	}
	if u.Role == role.String() {
		return u, nil
	}
	return s.UpdateUser(audit.WithActor(ctx, oidcActor(u, addr)), u.ID, UserChange{Role: &role})
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

// ssoError is a refused single sign-on: the status and code the page carries, the message a
// person reads, and the cause, which goes to the audit trail and the log only.
type ssoError struct {
	status int
	code   string
	msg    string
	cause  error
	user   string
}

func ssoErr(status int, code, msg string, cause error) *ssoError {
	return &ssoError{status: status, code: code, msg: msg, cause: cause}
}

func errIdPDown(err error) *ssoError {
	return ssoErr(http.StatusServiceUnavailable, "idp_unavailable",
		"The identity provider cannot be reached. Try again shortly, or sign in with a WardOps password.", err)
}

var ssoPage = template.Must(template.New("sso").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign-in refused · WardOps</title>
<link rel="icon" href="/static/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/css/app.css">
</head>
<body class="signed-out">
<div class="login">
<main class="card login-card" id="sso-error" data-code="{{.Code}}">
<h1>WardOps</h1>
<p class="muted">Single sign-on refused</p>
<p class="error" role="alert">{{.Msg}}</p>
<a class="btn primary" href="/">Back to sign-in</a>
</main>
</div>
</body>
</html>
`))

// ssoRefused audits and logs a refused sign-in and answers with a page saying why.
func (s *Service) ssoRefused(c *echo.Context, e *ssoError) error {
	ctx := c.Request().Context()
	cause := ""
	if e.cause != nil {
		cause = clip(e.cause.Error(), 300)
	}
	if e.code != "sso_disabled" && e.code != "throttled" { // a flood must not flood the trail too
		s.record(ctx, audit.Entry{Action: "auth.login_failed", TargetType: "user", TargetID: clip(e.user, 64),
			Detail: map[string]string{"method": "oidc", "reason": e.code, "error": cause}})
	}
	s.log.WarnContext(ctx, "single sign-on refused", "code", e.code, "err", cause)
	var b strings.Builder
	_ = ssoPage.Execute(&b, struct{ Code, Msg string }{e.code, e.msg})
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTML(e.status, b.String())
}

// AuthMethods is the answer of GET /auth/methods: the sign-in methods the SPA offers.
type AuthMethods struct {
	Methods []string `json:"methods"`
	// OIDCLoginURL starts single sign-on (present when "oidc" is a method).
	OIDCLoginURL string `json:"oidc_login_url,omitempty"`
}

func (s *Service) handleMethods(c *echo.Context) error {
	m := AuthMethods{Methods: []string{"password"}}
	if s.oidc != nil {
		m.Methods = append(m.Methods, "oidc")
		m.OIDCLoginURL = "/api/v1/auth/oidc/login"
	}
	return c.JSON(http.StatusOK, m)
}
