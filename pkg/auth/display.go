package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/audit"
	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/pkg/httpsec"
	"github.com/wardops/wardops/pkg/store"
)

// displayRoutes are what a display (a wall screen signed in with a display token) may call:
// the reads the wall view shows, its live stream, who it is, and signing out. Everything else
// answers 403 display_only, so a display token left on a room PC opens nothing but the wall.
var displayRoutes = map[RouteKey]bool{
	{http.MethodGet, "/api/v1/devices/standalone/list"}: true,
	{http.MethodGet, "/api/v1/alerts"}:                  true,
	{http.MethodGet, "/api/v1/incidents"}:               true,
	{http.MethodGet, "/api/v1/events"}:                  true,
	{http.MethodGet, "/api/v1/timeline"}:                true,
	{http.MethodGet, "/api/v1/auth/me"}:                 true,
	{http.MethodPost, "/api/v1/auth/logout"}:            true,
}

// DisplayAllows reports whether a display may call the route (public routes always).
func DisplayAllows(k RouteKey, rule string) bool { return rule == AccessPublic || displayRoutes[k] }

type displayLoginRequest struct {
	Token string `json:"token"`
}

// handleDisplayLogin signs a wall screen in with a display token: POST /auth/display
// {"token"} starts a display session (cookie) that shows the wall only, is not bound by the
// session's absolute lifetime (a room screen must not drop to the sign-in form every shift),
// and ends at once when the token is revoked or its user disabled. The sign-in is audited.
func (s *Service) handleDisplayLogin(c *echo.Context) error {
	var req displayLoginRequest
	if err := httpsec.Bind(c, &req); err != nil {
		return s.fail(c, err)
	}
	if site := c.Request().Header.Get("Sec-Fetch-Site"); site == "cross-site" {
		return apiError(http.StatusForbidden, "csrf_failed", "cross-site sign-in refused", "")
	}
	ctx := c.Request().Context()
	addr := clientAddr(c)
	t, u, err := s.displayToken(ctx, strings.TrimSpace(req.Token))
	if errors.Is(err, errBadToken) {
		return apiError(http.StatusUnauthorized, "invalid_token", "not a valid display token (revoked, expired or mistyped)", "token")
	}
	if err != nil {
		return s.fail(c, err)
	}
	if old, ok := Principal(c); ok && old.session != nil {
		s.deleteSession(ctx, *old.session, events.ReasonLoggedOut)
	}
	sid, ref, err := s.createSession(ctx, verified{User: u}, RoleViewer, addr.String())
	if err != nil {
		return s.fail(c, err)
	}
	ref.data.Display, ref.data.TokenID, ref.data.MustEnroll = true, t.ID, false
	if err := s.saveSession(ctx, ref); err != nil {
		return s.fail(c, err)
	}
	s.setSessionCookies(c, sid, ref.data.CSRF)
	if err := s.store.TouchAPIToken(ctx, t.ID, s.now(), &addr); err != nil {
		s.log.WarnContext(ctx, "token use not recorded", "token_id", t.ID, "err", err)
	}
	id := Identity{UserID: u.ID, Username: u.Username, Role: RoleViewer, Via: audit.ViaSession, TokenID: t.ID,
		Scope: ref.data.Scope, Display: true, session: &ref}
	actor := audit.Actor{UserID: u.ID, Name: u.Username, Via: audit.ViaToken, TokenID: t.ID, ClientIP: addr}
	s.record(audit.WithActor(ctx, actor), audit.Entry{Action: "auth.display_login", TargetType: "token", TargetID: idStr(t.ID),
		Detail: map[string]any{"token": t.Name}})
	return c.JSON(http.StatusOK, s.sessionInfo(id))
}

// displayToken checks a display token's secret: a live token of purpose display whose user is
// enabled; errBadToken otherwise (an API token too: it is not for screens).
func (s *Service) displayToken(ctx context.Context, secret string) (store.APIToken, store.User, error) {
	if len(secret) != tokenSecretLen || !strings.HasPrefix(secret, audit.TokenPrefix) {
		return store.APIToken{}, store.User{}, errBadToken
	}
	hash := sha256.Sum256([]byte(secret))
	t, _, err := s.store.APITokenByHash(ctx, hash[:])
	if errors.Is(err, store.ErrNotFound) {
		return t, store.User{}, errBadToken
	}
	if err != nil {
		return t, store.User{}, err
	}
	return s.liveDisplayToken(ctx, t.ID)
}

// liveDisplayToken reads token id and its user, errBadToken unless the token is a display
// token, unrevoked and unexpired, and the user enabled. A display session asks on every
// request, so revoking the token or disabling the user ends the screen's next request.
func (s *Service) liveDisplayToken(ctx context.Context, id int64) (store.APIToken, store.User, error) {
	t, err := s.store.APITokenByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return t, store.User{}, errBadToken
	}
	if err != nil {
		return t, store.User{}, fmt.Errorf("check display token %d: %w", id, err)
	}
	u, err := s.store.UserByID(ctx, t.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return t, u, errBadToken
	}
	if err != nil {
		return t, u, fmt.Errorf("check display token %d: %w", id, err)
	}
	if t.Purpose != store.TokenPurposeDisplay || t.RevokedAt != nil || (t.ExpiresAt != nil && !s.now().Before(*t.ExpiresAt)) || u.Disabled {
		return t, u, errBadToken
	}
	return t, u, nil
}
