package auth

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/netip"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/audit"
	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/pkg/httpsec"
	"github.com/wardops/wardops/pkg/store"
)

// Authenticate finds the caller of every request and refuses what no rule allows. Mount it
// with e.Use (after the security headers and body limit, before audit.Recorder.Middleware):
//
//   - "Authorization: Bearer <token>": a valid, unrevoked, unexpired token of an enabled user;
//     any other bearer value is 401 at once.
//   - otherwise the session cookie: a live session becomes the caller; a dead one is cleared
//     and the request goes on anonymous.
//   - a cookie-authenticated write (not GET, HEAD, OPTIONS) must carry the session's CSRF token
//     in X-CSRF-Token and must not come from another site (Sec-Fetch-Site), else 403.
//     Bearer requests are exempt: browsers never attach them on their own.
//   - a route that OnAddRoute saw no guard on is refused (403): fail closed.
//
// Roles are checked by the route's guards (Require…), which answer 401 or 403.
func (s *Service) Authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		ri := c.RouteInfo()
		if ri.Method == "" || ri.Method == echo.RouteNotFound {
			return next(c) // 404 / 405: nothing to protect, let echo answer
		}
		rule, guarded := s.routes.access(RouteKey{Method: ri.Method, Path: ri.Path})
		if !guarded {
			s.log.ErrorContext(c.Request().Context(), "route has no access rule", "method", ri.Method, "route", ri.Path)
			return apiError(http.StatusForbidden, "no_access_rule", "this route has no access rule", "")
		}
		addr := clientAddr(c)
		actor := audit.Actor{Via: audit.ViaAnonymous, ClientIP: addr}
		id, ok, err := s.identify(c, addr)
		if err != nil {
			if errors.Is(err, errBadToken) {
				c.Response().Header().Set("WWW-Authenticate", `Bearer realm="wardops", error="invalid_token"`)
				return apiError(http.StatusUnauthorized, "invalid_token", errBadToken.Error(), "")
			}
			s.log.ErrorContext(c.Request().Context(), "authentication failed", "err", err)
			return apiError(http.StatusServiceUnavailable, "auth_unavailable", "authentication is unavailable, try again", "")
		}
		if ok {
			actor = audit.Actor{UserID: id.UserID, Name: id.Username, Via: id.Via, TokenID: id.TokenID, ClientIP: addr}
			if id.Display && !DisplayAllows(RouteKey{Method: ri.Method, Path: ri.Path}, rule) {
				return apiError(http.StatusForbidden, "display_only", "a display token shows the wall screen only", "")
			}
			if id.Via == audit.ViaSession && rule != AccessPublic {
				if msg := csrfProblem(c, id.session.data.CSRF); msg != "" {
					return apiError(http.StatusForbidden, "csrf_failed", msg, "")
				}
				if id.session.data.MustEnroll && !enrolmentRoute(ri.Path) {
					return apiError(http.StatusForbidden, "totp_enrollment_required",
						"set up two-factor sign-in first (POST /api/v1/auth/totp/enroll)", "")
				}
			}
			setPrincipal(c, id, actor)
		} else {
			c.SetRequest(c.Request().WithContext(audit.WithActor(c.Request().Context(), actor)))
		}
		return next(c)
	}
}

// identify resolves the bearer token or session cookie of c, if any.
func (s *Service) identify(c *echo.Context, addr netip.Addr) (Identity, bool, error) {
	ctx := c.Request().Context()
	if h := c.Request().Header.Get(echo.HeaderAuthorization); h != "" {
		scheme, secret, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return Identity{}, false, errBadToken
		}
		id, err := s.tokenIdentity(ctx, strings.TrimSpace(secret), addr)
		return id, err == nil, err
	}
	ck, err := c.Cookie(s.sessionCookieName())
	if err != nil || ck.Value == "" {
		return Identity{}, false, nil
	}
	ref, err := s.loadSession(ctx, ck.Value)
	if errors.Is(err, errNoSession) {
		s.clearSessionCookies(c)
		return Identity{}, false, nil
	}
	if err != nil {
		return Identity{}, false, err
	}
	if ref.data.Source == store.SourceLDAP && !s.refreshDirectorySession(ctx, &ref) {
		s.clearSessionCookies(c)
		return Identity{}, false, nil
	}
	if ref.data.Display {
		if _, _, err := s.liveDisplayToken(ctx, ref.data.TokenID); errors.Is(err, errBadToken) {
			s.deleteSession(ctx, ref, events.ReasonRevoked)
			s.clearSessionCookies(c)
			return Identity{}, false, nil
		} else if err != nil {
			return Identity{}, false, err
		}
	}
	d := ref.data
	return Identity{UserID: d.UserID, Username: d.Username, Role: d.Role, Via: audit.ViaSession, Scope: d.Scope,
		TokenID: d.TokenID, Display: d.Display, session: &ref}, true, nil
}

// csrfProblem checks a cookie-authenticated request; it returns why it fails, or "".
func csrfProblem(c *echo.Context, want string) string {
	req := c.Request()
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return ""
	}
	if site := req.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		return "cross-site request refused"
	}
	got := req.Header.Get(CSRFHeader)
	if got == "" || want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return "missing or wrong " + CSRFHeader + " header"
	}
	return ""
}

// clientAddr is the request's client address by echo's IPExtractor (see httpsec.IPExtractor).
func clientAddr(c *echo.Context) netip.Addr {
	a, err := netip.ParseAddr(c.RealIP())
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// apiError is the error a handler or middleware returns; the API's error handler
// (httpsec.ErrorHandler) writes it in the API error shape.
func apiError(status int, code, msg, field string) error {
	return httpsec.NewError(status, code, msg, field)
}
