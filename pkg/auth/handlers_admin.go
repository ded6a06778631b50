package auth

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/httpsec"
	"github.com/wardops/wardops/pkg/store"
)

// maxTokenLifetime caps an API token's expiry.
const maxTokenLifetime = 3650 * 24 * time.Hour

func pathID(c *echo.Context) (int64, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	return id, err == nil && id > 0
}

func badID(c *echo.Context) error {
	return apiError(http.StatusBadRequest, "invalid_field", "id must be a positive integer", "id")
}

func (s *Service) handleListUsers(c *echo.Context) error {
	users, err := s.store.ListUsers(c.Request().Context())
	if err != nil {
		return s.fail(c, err)
	}
	out := make([]UserView, len(users))
	for i, u := range users {
		out[i] = userView(u)
	}
	return c.JSON(http.StatusOK, map[string]any{"users": out})
}

func (s *Service) handleGetUser(c *echo.Context) error {
	id, ok := pathID(c)
	if !ok {
		return badID(c)
	}
	u, err := s.store.UserByID(c.Request().Context(), id)
	if err != nil {
		return s.fail(c, err)
	}
	return c.JSON(http.StatusOK, userView(u))
}

type createUserRequest struct {
	Username string `json:"username"`
	Role     string `json:"role"`
	Password string `json:"password"`
	Disabled bool   `json:"disabled"`
	// Scope limits a viewer or operator (absent or both lists empty: every device).
	Scope *Scope `json:"scope"`
}

func (s *Service) handleCreateUser(c *echo.Context) error {
	var req createUserRequest
	if err := httpsec.Bind(c, &req); err != nil {
		return s.fail(c, err)
	}
	role, err := ParseRole(req.Role)
	if err != nil {
		return apiError(http.StatusBadRequest, "invalid_field", err.Error(), "role")
	}
	nu := NewUser{Username: req.Username, Role: role, Password: req.Password, Disabled: req.Disabled}
	if req.Scope != nil {
		nu.Scope = *req.Scope
	}
	u, err := s.CreateUser(c.Request().Context(), nu)
	if err != nil {
		return s.fail(c, err)
	}
	return c.JSON(http.StatusCreated, userView(u))
}

type updateUserRequest struct {
	Role     *string `json:"role"`
	Disabled *bool   `json:"disabled"`
	Password *string `json:"password"`
	// Scope replaces the user's scope; {"regions":[],"branches":[]} clears it.
	Scope *Scope `json:"scope"`
}

func (s *Service) handleUpdateUser(c *echo.Context) error {
	id, ok := pathID(c)
	if !ok {
		return badID(c)
	}
	var req updateUserRequest
	if err := httpsec.Bind(c, &req); err != nil {
		return s.fail(c, err)
	}
	ch := UserChange{Disabled: req.Disabled, Password: req.Password, Scope: req.Scope}
	if req.Role != nil {
		role, err := ParseRole(*req.Role)
		if err != nil {
			return apiError(http.StatusBadRequest, "invalid_field", err.Error(), "role")
		}
		ch.Role = &role
	}
	if me, _ := Principal(c); me.UserID == id && req.Disabled != nil && *req.Disabled {
		return apiError(http.StatusConflict, "conflict", "you cannot disable yourself", "disabled")
	}
	u, err := s.UpdateUser(c.Request().Context(), id, ch)
	if err != nil {
		return s.fail(c, err)
	}
	return c.JSON(http.StatusOK, userView(u))
}

func (s *Service) handleDeleteUser(c *echo.Context) error {
	id, ok := pathID(c)
	if !ok {
		return badID(c)
	}
	if me, _ := Principal(c); me.UserID == id {
		return apiError(http.StatusConflict, "conflict", "you cannot delete yourself", "id")
	}
	if _, err := s.DeleteUser(c.Request().Context(), id); err != nil {
		return s.fail(c, err)
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Service) handleListTokens(c *echo.Context) error {
	tokens, err := s.store.ListAPITokens(c.Request().Context())
	if err != nil {
		return s.fail(c, err)
	}
	now := s.now()
	out := make([]TokenView, len(tokens))
	for i, t := range tokens {
		out[i] = tokenView(t, now)
	}
	return c.JSON(http.StatusOK, map[string]any{"tokens": out})
}

type createTokenRequest struct {
	Name   string `json:"name"`
	Role   string `json:"role"`
	UserID int64  `json:"user_id"`
	// ExpiresAt is RFC 3339; empty means DefaultTokenLifetime from now.
	ExpiresAt string `json:"expires_at"`
	// Purpose is "api" (default) or "display": a viewer token that signs a wall screen in
	// (POST /auth/display) and never expires unless expires_at is given.
	Purpose string `json:"purpose"`
}

// CreatedToken is the answer to POST /tokens: the only time the secret is shown.
type CreatedToken struct {
	Token  TokenView `json:"token"`
	Secret string    `json:"secret"`
}

func (s *Service) handleCreateToken(c *echo.Context) error {
	var req createTokenRequest
	if err := httpsec.Bind(c, &req); err != nil {
		return s.fail(c, err)
	}
	role, err := ParseRole(req.Role)
	if err != nil {
		return apiError(http.StatusBadRequest, "invalid_field", err.Error(), "role")
	}
	nt := NewToken{Name: req.Name, Role: role, UserID: req.UserID, Display: req.Purpose == store.TokenPurposeDisplay}
	if req.Purpose != "" && req.Purpose != store.TokenPurposeAPI && !nt.Display {
		return apiError(http.StatusBadRequest, "invalid_field", "purpose must be api or display", "purpose")
	}
	if nt.UserID == 0 {
		me, _ := Principal(c)
		nt.UserID = me.UserID
	}
	if req.ExpiresAt != "" {
		if nt.ExpiresAt, err = time.Parse(time.RFC3339, req.ExpiresAt); err != nil {
			return apiError(http.StatusBadRequest, "invalid_field", "expires_at must be an RFC 3339 time", "expires_at")
		}
		if nt.ExpiresAt.After(s.now().Add(maxTokenLifetime)) {
			return apiError(http.StatusBadRequest, "invalid_field", "expires_at is more than 10 years away", "expires_at")
		}
	}
	secret, t, err := s.CreateToken(c.Request().Context(), nt)
	if err != nil {
		return s.fail(c, err)
	}
	return c.JSON(http.StatusCreated, CreatedToken{Token: tokenView(t, s.now()), Secret: secret})
}

func (s *Service) handleRevokeToken(c *echo.Context) error {
	id, ok := pathID(c)
	if !ok {
		return badID(c)
	}
	if _, err := s.RevokeToken(c.Request().Context(), id); err != nil {
		return s.fail(c, err)
	}
	return c.NoContent(http.StatusNoContent)
}
