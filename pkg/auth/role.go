package auth

import (
	"fmt"
)

// Role orders what a user may do: each role may do everything the roles below it may.
type Role int

// Roles, lowest first. RoleNone is the zero value: no access.
const (
	RoleNone Role = iota
	// RoleViewer reads everything except secrets.
	RoleViewer
	// RoleOperator also acknowledges and closes alerts, runs on-demand ping/SNMP tests and
	// manages maintenance windows.
	RoleOperator
	// RoleAdmin may do everything: devices, rules, channels, users, tokens, asynqmon.
	RoleAdmin
)

var roleNames = [...]string{RoleNone: "none", RoleViewer: "viewer", RoleOperator: "operator", RoleAdmin: "admin"}

// String is the role's name as stored and sent in JSON: viewer, operator, admin.
func (r Role) String() string {
	if r < 0 || int(r) >= len(roleNames) {
		return fmt.Sprintf("role(%d)", int(r))
	}
	return roleNames[r]
}

// ParseRole parses viewer, operator or admin.
func ParseRole(s string) (Role, error) {
	for r := RoleViewer; r <= RoleAdmin; r++ {
		if s == roleNames[r] {
			return r, nil
		}
	}
	return RoleNone, fmt.Errorf("unknown role %q (want viewer, operator or admin)", s)
}

// Valid reports whether r is viewer, operator or admin.
func (r Role) Valid() bool { return r >= RoleViewer && r <= RoleAdmin }

// MarshalText encodes the role's name.
func (r Role) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText accepts viewer, operator or admin.
func (r *Role) UnmarshalText(b []byte) error {
	v, err := ParseRole(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}
