package auth

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/audit"
	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/pkg/httpsec"
	"github.com/wardops/wardops/pkg/store"
)

// Register adds the auth, user, token and audit endpoints to g (the /api/v1 group), each with
// its guard:
//
//	POST   /auth/login      public    {username, password} → session cookie + CSRF token, or
//	                                  {mfa_required, mfa_token} when two-factor is on
//	POST   /auth/login/totp public    {mfa_token, code | recovery_code} → session cookie
//	POST   /auth/totp/enroll   viewer  local session: new TOTP secret, otpauth URL, QR PNG
//	POST   /auth/totp/confirm  viewer  {code} → two-factor on, 10 recovery codes (shown once)
//	DELETE /users/:id/totp     admin   turn a user's two-factor off (lost device)
//	GET    /auth/methods    public    the sign-in methods on offer (password, oidc)
//	GET    /auth/oidc/login public    starts single sign-on: redirect to the OpenID Provider
//	GET    /auth/oidc/callback public the provider's redirect back: session cookie, then "/"
//	POST   /auth/logout     viewer    ends the session
//	GET    /auth/me         viewer    the caller, and the CSRF token of a session
//	POST   /auth/password   viewer    {current_password, new_password}, sessions only
//	GET    /users           admin     POST /users, GET|PATCH|DELETE /users/:id
//	GET    /tokens          admin     POST /tokens (secret shown once), DELETE /tokens/:id
//	GET    /audit           admin     filters and cursor, see handleAudit
func (s *Service) Register(g *echo.Group) {
	g.POST("/auth/login", s.handleLogin, s.Public())
	g.GET("/auth/methods", s.handleMethods, s.Public())
	g.GET("/auth/oidc/login", s.handleOIDCLogin, s.Public())
	g.GET("/auth/oidc/callback", s.handleOIDCCallback, s.Public())
	g.POST("/auth/logout", s.handleLogout, s.Require(RoleViewer))
	g.GET("/auth/me", s.handleMe, s.Require(RoleViewer))
	g.POST("/auth/password", s.handlePassword, s.Require(RoleViewer))
	g.POST("/auth/login/totp", s.handleLoginTOTP, s.Public())
	g.POST("/auth/display", s.handleDisplayLogin, s.Public())
	g.POST("/auth/totp/enroll", s.handleTOTPEnroll, s.Require(RoleViewer))
	g.POST("/auth/totp/confirm", s.handleTOTPConfirm, s.Require(RoleViewer))

	admin := s.Require(RoleAdmin)
	g.GET("/users", s.handleListUsers, admin)
	g.POST("/users", s.handleCreateUser, admin)
	g.GET("/users/:id", s.handleGetUser, admin)
	g.PATCH("/users/:id", s.handleUpdateUser, admin)
	g.DELETE("/users/:id", s.handleDeleteUser, admin)
	g.DELETE("/users/:id/totp", s.handleResetTOTP, admin)
	g.GET("/tokens", s.handleListTokens, admin)
	g.POST("/tokens", s.handleCreateToken, admin)
	g.DELETE("/tokens/:id", s.handleRevokeToken, admin)
	g.GET("/audit", s.handleAudit, admin)
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// SessionInfo is the answer of login and me: who is signed in and the CSRF token to echo in
// X-CSRF-Token on writes (empty for token callers).
type SessionInfo struct {
	User      MeUser     `json:"user"`
	Via       string     `json:"via"`
	CSRFToken string     `json:"csrf_token,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// IdleTimeoutSeconds is how long the session survives without a request.
	IdleTimeoutSeconds int `json:"idle_timeout_seconds,omitempty"`
	// Display: a wall screen signed in with a display token (it shows the wall only; no
	// absolute expiry).
	Display bool `json:"display,omitempty"`
	// TOTPEnrollmentRequired: this session may only enrol in two-factor (and sign out).
	TOTPEnrollmentRequired bool `json:"totp_enrollment_required,omitempty"`
}

// MeUser is the signed-in user as login and me show it.
type MeUser struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	Role     string `json:"role"`
	// Source is "local" or "ldap" (sessions only).
	Source string `json:"source,omitempty"`
	// TOTP says two-factor is on (sessions only).
	TOTP bool `json:"totp_enabled"`
	// Grants are a directory user's group grants, scopes included.
	Grants []Grant `json:"grants,omitempty"`
	// Scope is the part of the fleet the user sees (both lists empty: all of it).
	Scope Scope `json:"scope"`
}

func (s *Service) sessionInfo(id Identity) SessionInfo {
	info := SessionInfo{User: MeUser{ID: id.UserID, Username: id.Username, Role: id.Role.String(), Scope: id.Scope.normalized()},
		Via: id.Via}
	if id.session != nil {
		d := id.session.data
		exp := time.UnixMilli(d.Created).Add(s.p.SessionAbsolute).UTC()
		info.CSRFToken, info.ExpiresAt = d.CSRF, &exp
		if d.Display {
			info.ExpiresAt, info.Display = nil, true
		}
		info.IdleTimeoutSeconds = int(s.p.SessionIdle.Seconds())
		info.User.Source, info.User.TOTP, info.User.Grants = d.Source, d.TOTP, d.Grants
		info.TOTPEnrollmentRequired = d.MustEnroll
	}
	return info
}

// MFAChallenge is the answer of login when the password was right and a code is due next.
type MFAChallenge struct {
	MFARequired bool   `json:"mfa_required"`
	MFAToken    string `json:"mfa_token"`
	ExpiresIn   int    `json:"expires_in"`
}

func (s *Service) handleLogin(c *echo.Context) error {
	var req loginRequest
	if err := httpsec.Bind(c, &req); err != nil {
		return s.fail(c, err)
	}
	if req.Username == "" || req.Password == "" {
		return apiError(http.StatusBadRequest, "invalid_field", "username and password are required", "username")
	}
	if site := c.Request().Header.Get("Sec-Fetch-Site"); site == "cross-site" {
		return apiError(http.StatusForbidden, "csrf_failed", "cross-site sign-in refused", "")
	}
	ctx := c.Request().Context()
	addr := clientAddr(c)
	v, err := s.checkCredentials(ctx, req.Username, req.Password, addr.String())
	if err != nil {
		return s.fail(c, err)
	}
	if v.needsTOTP() {
		token, err := s.startMFA(ctx, v.User, addr.String())
		if err != nil {
			return s.fail(c, err)
		}
		return c.JSON(http.StatusOK, MFAChallenge{MFARequired: true, MFAToken: token, ExpiresIn: int(MFAPendingTTL.Seconds())})
	}
	return s.signIn(c, v, nil)
}

// signIn starts the session of v (both factors done), replacing any session the browser had.
func (s *Service) signIn(c *echo.Context, v verified, detail any) error {
	ctx := c.Request().Context()
	addr := clientAddr(c)
	u := v.User
	if old, ok := Principal(c); ok && old.session != nil {
		s.deleteSession(ctx, *old.session, events.ReasonLoggedOut) // a sign-in never keeps a session id from before
	}
	role, _ := ParseRole(u.Role)
	sid, ref, err := s.createSession(ctx, v, role, addr.String())
	if err != nil {
		return s.fail(c, err)
	}
	s.setSessionCookies(c, sid, ref.data.CSRF)
	if err := s.store.TouchUserLogin(ctx, u.ID, s.now()); err != nil {
		s.log.WarnContext(ctx, "last login not recorded", "user_id", u.ID, "err", err)
	}
	id := Identity{UserID: u.ID, Username: u.Username, Role: role, Via: audit.ViaSession, Scope: ref.data.Scope, session: &ref}
	actor := audit.Actor{UserID: u.ID, Name: u.Username, Via: audit.ViaSession, ClientIP: addr}
	s.record(audit.WithActor(ctx, actor), audit.Entry{Action: "auth.login", TargetType: "user", TargetID: idStr(u.ID),
		Detail: detail})
	return c.JSON(http.StatusOK, s.sessionInfo(id))
}

func (s *Service) handleLogout(c *echo.Context) error {
	id, _ := Principal(c)
	if id.session != nil {
		s.deleteSession(c.Request().Context(), *id.session, events.ReasonLoggedOut)
		s.clearSessionCookies(c)
		s.record(c.Request().Context(), audit.Entry{Action: "auth.logout", TargetType: "user", TargetID: idStr(id.UserID)})
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Service) handleMe(c *echo.Context) error {
	id, _ := Principal(c)
	return c.JSON(http.StatusOK, s.sessionInfo(id))
}

type passwordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// handlePassword lets a signed-in user change their own password. It checks the current one
// (throttled like a sign-in), ends every session of the user and starts a fresh one here.
func (s *Service) handlePassword(c *echo.Context) error {
	id, _ := Principal(c)
	if id.session == nil {
		return apiError(http.StatusForbidden, "forbidden", "change passwords from a signed-in session", "")
	}
	if id.session.data.Source == store.SourceLDAP {
		return apiError(http.StatusConflict, "directory_user", "change your password in the directory (Active Directory)", "")
	}
	var req passwordRequest
	if err := httpsec.Bind(c, &req); err != nil {
		return s.fail(c, err)
	}
	ctx := c.Request().Context()
	addr := clientAddr(c)
	v, err := s.checkCredentials(ctx, id.Username, req.CurrentPassword, addr.String())
	if err != nil {
		if errors.Is(err, ErrInvalidCredentials) {
			return apiError(http.StatusBadRequest, "invalid_field", "current password is wrong", "current_password")
		}
		return s.fail(c, err)
	}
	s.throttleReset(ctx, v.Username, addr.String()) // the session proved the second factor
	u, err := s.UpdateUser(ctx, id.UserID, UserChange{Password: &req.NewPassword})
	if err != nil {
		var ie *InputError
		if errors.As(err, &ie) && ie.Field == "password" {
			ie.Field = "new_password"
		}
		return s.fail(c, err)
	}
	role, _ := ParseRole(u.Role)
	sid, ref, err := s.createSession(ctx, verified{User: u}, role, addr.String())
	if err != nil {
		return s.fail(c, err)
	}
	s.setSessionCookies(c, sid, ref.data.CSRF)
	return c.JSON(http.StatusOK, s.sessionInfo(Identity{UserID: u.ID, Username: u.Username, Role: role,
		Via: audit.ViaSession, Scope: ref.data.Scope, session: &ref}))
}

// fail answers err with the API error shape.
func (s *Service) fail(c *echo.Context, err error) error {
	var he *httpsec.Error
	var ie *InputError
	var te *ThrottledError
	switch {
	case errors.As(err, &he):
		return he
	case errors.As(err, &ie):
		if ie.conflict {
			return apiError(http.StatusConflict, "conflict", ie.Msg, ie.Field)
		}
		return apiError(http.StatusBadRequest, "invalid_field", ie.Msg, ie.Field)
	case errors.As(err, &te):
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(te.RetryAfter.Seconds()))))
		return apiError(http.StatusTooManyRequests, "throttled", te.Error(), "")
	case errors.Is(err, ErrDirectoryUnavailable):
		return apiError(http.StatusServiceUnavailable, "directory_unavailable",
			"directory unavailable: sign-in with directory accounts does not work right now", "")
	case errors.Is(err, ErrNoSecretKey):
		return apiError(http.StatusConflict, "no_secret_key", ErrNoSecretKey.Error(), "")
	case errors.Is(err, errMFAExpired):
		return apiError(http.StatusUnauthorized, "mfa_expired", errMFAExpired.Error(), "mfa_token")
	case errors.Is(err, ErrInvalidCredentials):
		return apiError(http.StatusUnauthorized, "invalid_credentials", ErrInvalidCredentials.Error(), "")
	case errors.Is(err, store.ErrLastAdmin):
		return apiError(http.StatusConflict, "last_admin", "at least one enabled admin must remain", "")
	case errors.Is(err, store.ErrNotFound):
		return apiError(http.StatusNotFound, "not_found", "not found", "")
	case errors.Is(err, store.ErrConflict):
		return apiError(http.StatusConflict, "conflict", "conflicts with an existing record", "")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return apiError(http.StatusServiceUnavailable, "unavailable", "the request timed out", "")
	}
	s.log.ErrorContext(c.Request().Context(), "auth request failed", "route", c.Path(), "err", err)
	return apiError(http.StatusInternalServerError, "internal", "internal error", "")
}
