package auth

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/httpsec"
	"github.com/wardops/wardops/pkg/store"
)

type loginTOTPRequest struct {
	MFAToken     string `json:"mfa_token"`
	Code         string `json:"code"`
	RecoveryCode string `json:"recovery_code"`
}

// handleLoginTOTP is the second sign-in step: the pending token of a correct password and a
// TOTP or recovery code. Attempts are throttled like passwords (per user and address) and
// limited per pending token; a code's time step is accepted once.
func (s *Service) handleLoginTOTP(c *echo.Context) error {
	var req loginTOTPRequest
	if err := httpsec.Bind(c, &req); err != nil {
		return s.fail(c, err)
	}
	if (req.Code == "") == (req.RecoveryCode == "") || len(req.Code) > 20 || len(req.RecoveryCode) > 40 {
		return apiError(http.StatusBadRequest, "invalid_field", "send either code or recovery_code", "code")
	}
	if site := c.Request().Header.Get("Sec-Fetch-Site"); site == "cross-site" {
		return apiError(http.StatusForbidden, "csrf_failed", "cross-site sign-in refused", "")
	}
	ctx := c.Request().Context()
	addr := clientAddr(c).String()
	p, err := s.takeMFAAttempt(ctx, req.MFAToken, addr)
	if err != nil {
		return s.fail(c, err)
	}
	wait, _, err := s.throttle.check(ctx, p.Username, addr, s.now())
	if err != nil {
		return s.fail(c, err)
	}
	if wait > 0 {
		return s.fail(c, &ThrottledError{RetryAfter: wait})
	}
	u, err := s.store.UserByID(ctx, p.UserID)
	if err != nil || u.Disabled || u.TOTPEnabledAt == nil {
		s.endMFA(ctx, req.MFAToken)
		s.loginFailed(ctx, p.Username, "account changed during sign-in")
		return s.fail(c, ErrInvalidCredentials)
	}
	kind, ok, err := s.checkSecondFactor(ctx, u, req.Code, req.RecoveryCode)
	if err != nil {
		return s.fail(c, err)
	}
	if !ok {
		s.loginFailed(ctx, p.Username, "wrong "+strings.ReplaceAll(kind, "_", " "))
		return apiError(http.StatusUnauthorized, "invalid_code", "wrong or already used code", "code")
	}
	s.endMFA(ctx, req.MFAToken)
	s.throttleReset(ctx, u.Username, addr)
	return s.signIn(c, verified{User: u}, map[string]string{"second_factor": kind})
}

// sessionUser is the signed-in local user of a session request, or an error answer.
func (s *Service) sessionUser(c *echo.Context) (store.User, *sessionRef, error) {
	id, _ := Principal(c)
	if id.session == nil {
		return store.User{}, nil, apiError(http.StatusForbidden, "forbidden", "set up two-factor from a signed-in session", "")
	}
	u, err := s.store.UserByID(c.Request().Context(), id.UserID)
	if err != nil {
		return u, nil, s.fail(c, err)
	}
	if u.Source != store.SourceLocal {
		return u, nil, apiError(http.StatusConflict, "directory_user",
			"directory users sign in with the directory's own second factor", "")
	}
	return u, id.session, nil
}

func (s *Service) handleTOTPEnroll(c *echo.Context) error {
	u, ref, err := s.sessionUser(c)
	if ref == nil {
		return err
	}
	if u.TOTPEnabledAt != nil {
		return apiError(http.StatusConflict, "totp_enabled", "two-factor is already on; an admin can reset it", "")
	}
	e, err := s.StartTOTP(c.Request().Context(), u)
	if err != nil {
		return s.fail(c, err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, e)
}

type totpConfirmRequest struct {
	Code string `json:"code"`
}

// RecoveryCodes is the answer to a confirmed enrolment: the only time the codes are shown.
type RecoveryCodes struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

func (s *Service) handleTOTPConfirm(c *echo.Context) error {
	u, ref, err := s.sessionUser(c)
	if ref == nil {
		return err
	}
	var req totpConfirmRequest
	if err := httpsec.Bind(c, &req); err != nil {
		return s.fail(c, err)
	}
	ctx := c.Request().Context()
	codes, err := s.ConfirmTOTP(ctx, u.ID, req.Code)
	if err != nil {
		return s.fail(c, err)
	}
	ref.data.TOTP, ref.data.MustEnroll = true, false
	if err := s.saveSession(ctx, *ref); err != nil {
		return s.fail(c, err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, RecoveryCodes{RecoveryCodes: codes})
}

func (s *Service) handleResetTOTP(c *echo.Context) error {
	id, ok := pathID(c)
	if !ok {
		return badID(c)
	}
	if err := s.ResetTOTP(c.Request().Context(), id); err != nil {
		return s.fail(c, err)
	}
	return c.NoContent(http.StatusNoContent)
}

// enrolmentRoute lists what a session that must enrol in two-factor may still call.
func enrolmentRoute(path string) bool {
	for _, p := range []string{"/auth/me", "/auth/logout", "/auth/totp/enroll", "/auth/totp/confirm"} {
		if strings.HasSuffix(path, p) {
			return true
		}
	}
	return false
}
