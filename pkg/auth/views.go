package auth

import (
	"context"
	"strconv"
	"time"

	"github.com/wardops/wardops/pkg/audit"
	"github.com/wardops/wardops/pkg/store"
)

// UserView is a user as the API shows it (never the password hash).
type UserView struct {
	ID                int64      `json:"id"`
	Username          string     `json:"username"`
	Role              string     `json:"role"`
	Disabled          bool       `json:"disabled"`
	CreatedAt         time.Time  `json:"created_at"`
	UpdatedAt         time.Time  `json:"updated_at"`
	PasswordChangedAt time.Time  `json:"password_changed_at"`
	LastLoginAt       *time.Time `json:"last_login_at"`
	// Source is "local" or "ldap" (a directory user: role from its groups, no local password).
	Source string `json:"source"`
	// TOTPEnabled says two-factor sign-in is on.
	TOTPEnabled bool `json:"totp_enabled"`
	// Scope limits a viewer or operator to some regions or branches (empty lists: everything).
	Scope Scope `json:"scope"`
}

func userView(u store.User) UserView {
	return UserView{ID: u.ID, Username: u.Username, Role: u.Role, Disabled: u.Disabled, CreatedAt: u.CreatedAt,
		UpdatedAt: u.UpdatedAt, PasswordChangedAt: u.PasswordChangedAt, LastLoginAt: u.LastLoginAt,
		Source: u.Source, TOTPEnabled: u.TOTPEnabledAt != nil,
		Scope: scopeOf(u)}
}

// TokenView is an API token's metadata as the API shows it (never the secret or its hash).
type TokenView struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	UserID     int64      `json:"user_id"`
	Username   string     `json:"username"`
	Role       string     `json:"role"`
	Prefix     string     `json:"prefix"`
	CreatedBy  *int64     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	LastUsedIP *string    `json:"last_used_ip"`
	// Purpose is "api" or "display" (a wall screen's sign-in).
	Purpose string `json:"purpose"`
	// Active is false once the token is revoked or expired.
	Active bool `json:"active"`
}

func tokenView(t store.APIToken, now time.Time) TokenView {
	v := TokenView{ID: t.ID, Name: t.Name, UserID: t.UserID, Username: t.Username, Role: t.Role, Prefix: t.Prefix,
		CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, RevokedAt: t.RevokedAt,
		LastUsedAt: t.LastUsedAt, Purpose: t.Purpose}
	if t.LastUsedIP != nil {
		ip := t.LastUsedIP.String()
		v.LastUsedIP = &ip
	}
	v.Active = t.RevokedAt == nil && (t.ExpiresAt == nil || now.Before(*t.ExpiresAt))
	return v
}

func idStr(id int64) string { return strconv.FormatInt(id, 10) }

// record writes an audit entry; a failure is already logged by the recorder, and the change it
// describes has happened, so callers go on.
func (s *Service) record(ctx context.Context, e audit.Entry) {
	_ = s.audit.Record(ctx, e)
}
