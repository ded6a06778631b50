package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// DefaultDirectoryRefresh is how often a directory user's groups are read again for a live
// session (WARDOPS_LDAP_REFRESH).
const DefaultDirectoryRefresh = 15 * time.Minute

// Directory is an external user directory (Active Directory or another LDAP server) that
// checks passwords and says which roles a user's groups grant. pkg/directory implements it.
type Directory interface {
	// Authenticate finds username, checks password by binding as the user, and reads the
	// user's groups (nested ones included). It returns a *DirectoryRefusal when the user may
	// not sign in, and an error wrapping ErrDirectoryUnavailable when the directory cannot
	// be asked.
	Authenticate(ctx context.Context, username, password string) (DirectoryUser, error)
	// Lookup reads username's entry and groups again without a password (session refresh),
	// with the same errors.
	Lookup(ctx context.Context, username string) (DirectoryUser, error)
}

// ErrDirectoryUnavailable means the directory could not be reached or answered with an error;
// sign-in answers "directory unavailable" (local accounts still sign in).
var ErrDirectoryUnavailable = errors.New("directory unavailable")

// Reasons of a DirectoryRefusal, as the audit trail records them.
const (
	RefusedUnknownUser   = "unknown user"
	RefusedWrongPassword = "wrong password"
	RefusedDisabled      = "disabled in directory"
	RefusedNoGroup       = "no mapped group"
	RefusedBadName       = "account name not usable"
)

// DirectoryRefusal is the directory's "no" to a user; the client only ever sees
// ErrInvalidCredentials, the audit trail sees Reason.
type DirectoryRefusal struct{ Reason string }

func (e *DirectoryRefusal) Error() string { return "directory refused sign-in: " + e.Reason }

// Is makes every refusal an ErrInvalidCredentials for errors.Is.
func (e *DirectoryRefusal) Is(target error) bool { return target == ErrInvalidCredentials }

// Grant is what one mapped directory group gives: a role, limited to Regions and/or Branches
// when either is set (unscoped when both are empty).
//
// Scoped roles are enforced elsewhere (the scoped-roles work); until the user row carries
// scopes, a directory user's role is the highest Role of its grants and the scopes travel
// in DirectoryUser.Grants only.
type Grant struct {
	// Group is the DN of the group that gave the grant, as the mapping wrote it.
	Group    string   `json:"group"`
	Role     Role     `json:"role"`
	Regions  []string `json:"regions,omitempty"`
	Branches []string `json:"branches,omitempty"`
}

// Scoped reports whether the grant is limited to some regions or branches.
func (g Grant) Scoped() bool { return len(g.Regions) > 0 || len(g.Branches) > 0 }

// DirectoryUser is a user as the directory describes it.
type DirectoryUser struct {
	// Username is the account name (sAMAccountName), lower-cased.
	Username string
	// DN is the user's entry.
	DN string
	// Groups are the DNs of every group the user is in, directly or through nesting.
	Groups []string
	// Grants are the mapping entries of those groups (at least one: else it is refused).
	Grants []Grant
}

// Role is the highest role among the user's grants (RoleNone without any).
func (u DirectoryUser) Role() Role {
	r := RoleNone
	for _, g := range u.Grants {
		r = max(r, g.Role)
	}
	return r
}

// directoryUsable checks what the directory said before it becomes a WardOps user.
func directoryUsable(du DirectoryUser) error {
	if !plausibleUsername(du.Username) {
		return &DirectoryRefusal{Reason: RefusedBadName}
	}
	if !du.Role().Valid() {
		return &DirectoryRefusal{Reason: RefusedNoGroup}
	}
	return nil
}

func directoryErr(err error) error {
	var dr *DirectoryRefusal
	if errors.As(err, &dr) || errors.Is(err, ErrDirectoryUnavailable) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrDirectoryUnavailable, err)
}
