package auth

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wardops/wardops/pkg/store"
)

// Scope limits a viewer or operator to part of the fleet: the devices whose region is one of
// Regions or whose branch is one of Branches (a union: "region North, plus branch BR-17").
// Both empty means every device. A scoped caller sees and acts on the devices, alerts,
// incidents, reports and live events of its scope only; system alerts (no device) are outside
// every limited scope. Admins are never scoped (docs/SECURITY.md "Scoped roles").
type Scope struct {
	Regions  []string `json:"regions"`
	Branches []string `json:"branches"`
}

// Limits on a scope's lists, so a user row stays small and every query cheap.
const (
	maxScopeEntries = 100
	maxScopeName    = 100 // bytes, like a device's region or branch
)

// All reports whether the scope is unlimited (every device).
func (s Scope) All() bool { return len(s.Regions) == 0 && len(s.Branches) == 0 }

// Contains reports whether a device in region and branch is in the scope.
func (s Scope) Contains(region, branch string) bool {
	return s.All() || slices.Contains(s.Regions, region) || slices.Contains(s.Branches, branch)
}

// Device is the scope as store queries take it.
func (s Scope) Device() store.DeviceScope {
	return store.DeviceScope{Regions: s.Regions, Branches: s.Branches}
}

// Equal reports whether two scopes list the same regions and branches (both are normalised).
func (s Scope) Equal(o Scope) bool {
	return slices.Equal(s.Regions, o.Regions) && slices.Equal(s.Branches, o.Branches)
}

// scopeOf reads a user's stored scope.
func scopeOf(u store.User) Scope {
	return Scope{Regions: nonNilList(u.ScopeRegions), Branches: nonNilList(u.ScopeBranches)}
}

func nonNilList(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// NormalizeScope trims, de-duplicates and sorts the names of a scope and checks them: each 1 to
// 100 bytes of printable text, at most 100 per list. Errors name the field (scope.regions,
// scope.branches).
func NormalizeScope(s Scope) (Scope, error) {
	var out Scope
	var err error
	if out.Regions, err = normalizeScopeList("scope.regions", "region", s.Regions); err != nil {
		return Scope{}, err
	}
	if out.Branches, err = normalizeScopeList("scope.branches", "branch", s.Branches); err != nil {
		return Scope{}, err
	}
	return out, nil
}

func normalizeScopeList(field, noun string, in []string) ([]string, error) {
	if len(in) > maxScopeEntries {
		return nil, &InputError{Field: field, Msg: "a scope lists at most 100 of each"}
	}
	out := make([]string, 0, len(in))
	for _, v := range in {
		v = strings.TrimSpace(v)
		if v == "" || len(v) > maxScopeName || !utf8.ValidString(v) || strings.IndexFunc(v, notPrintable) >= 0 {
			return nil, &InputError{Field: field, Msg: "each " + noun + " must be 1 to 100 characters of printable text"}
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out, nil
}

// notPrintable refuses control, format (bidirectional, zero-width) and other invisible runes.
func notPrintable(r rune) bool {
	return !unicode.IsPrint(r) || unicode.Is(unicode.Cf, r)
}

// checkScopeForRole refuses a scoped admin: an admin can change every user's scope, their own
// included, so a limit on one would be meaningless and misleading.
func checkScopeForRole(role Role, s Scope) error {
	if role == RoleAdmin && !s.All() {
		return &InputError{Field: "scope", Msg: "an admin cannot be scoped: clear the scope, or choose the viewer or operator role"}
	}
	return nil
}

// normalized returns s with nil lists as empty ones, so JSON shows [] rather than null.
func (s Scope) normalized() Scope {
	return Scope{Regions: nonNilList(s.Regions), Branches: nonNilList(s.Branches)}
}

// String describes the scope for the CLI and logs: "all devices", "regions North; branches BR-1".
func (s Scope) String() string {
	if s.All() {
		return "all devices"
	}
	var parts []string
	if len(s.Regions) > 0 {
		parts = append(parts, "regions "+strings.Join(s.Regions, ","))
	}
	if len(s.Branches) > 0 {
		parts = append(parts, "branches "+strings.Join(s.Branches, ","))
	}
	return strings.Join(parts, "; ")
}
