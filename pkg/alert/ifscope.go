package alert

import (
	"path"
	"regexp"
	"strings"
)

// IfScope selects interfaces of a per-interface rule. Fields combine with AND, values within a
// field with OR; an empty field does not filter.
//
// Names and Aliases are shell globs (Go path.Match: '*' any run of characters, '?' one, [a-z]
// a class), matched case-insensitively against the whole ifName (or "ifIndex N" without one)
// and ifAlias: "Gi0/*", "*uplink*". Globs, not regular expressions: an operator writes them
// without escaping the slashes and dots of interface names, and a bad one cannot be slow.
// Roles are interface roles (uplink, wan, access, …): set per interface through the API, or
// derived from ifAlias by the device profile's role pattern (RoleFromAlias).
type IfScope struct {
	Names   []string `json:"names,omitempty"`
	Aliases []string `json:"aliases,omitempty"`
	Roles   []string `json:"roles,omitempty"`
}

// rolePattern is what a role must look like (the snmp_interfaces.role check).
var rolePattern = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)

// ValidRole reports whether role is a valid interface role name ("" clears a role elsewhere).
func ValidRole(role string) bool { return rolePattern.MatchString(role) }

// Matches reports whether the interface is in the scope (a nil scope holds every interface).
func (s *IfScope) Matches(f *Interface) bool {
	if s == nil {
		return true
	}
	return anyGlob(s.Names, f.Name) && anyGlob(s.Aliases, f.Alias) && (len(s.Roles) == 0 || containsStr(s.Roles, f.Role))
}

func anyGlob(globs []string, v string) bool {
	if len(globs) == 0 {
		return true
	}
	v = strings.ToLower(v)
	for _, g := range globs {
		if ok, _ := path.Match(strings.ToLower(g), v); ok {
			return true
		}
	}
	return false
}

func containsStr(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (s *IfScope) validate(field string) error {
	if s == nil {
		return nil
	}
	for name, list := range map[string][]string{"names": s.Names, "aliases": s.Aliases} {
		for _, g := range list {
			if strings.TrimSpace(g) == "" || len(g) > 200 {
				return invalid(field+"."+name, "globs must be 1 to 200 characters")
			}
			if _, err := path.Match(g, ""); err != nil {
				return invalid(field+"."+name, "bad glob "+g+": "+err.Error())
			}
		}
	}
	for _, r := range s.Roles {
		if !ValidRole(r) {
			return invalid(field+".roles", "roles are 1 to 32 of a-z, 0-9, _ and -")
		}
	}
	return nil
}

// RoleFromAlias derives an interface role from its alias by a profile's role pattern, a Go
// regular expression whose group named "role" (or else first group) is the role, lowercased:
// with `^\[(\w+)\]`, the alias "[uplink] to core" has the role "uplink". It returns "" when the
// pattern is nil or does not match, or the result is not a valid role.
func RoleFromAlias(re *regexp.Regexp, alias string) string {
	if re == nil {
		return ""
	}
	m := re.FindStringSubmatch(alias)
	if m == nil {
		return ""
	}
	g := 1
	if i := re.SubexpIndex("role"); i > 0 {
		g = i
	}
	if g >= len(m) {
		return ""
	}
	role := strings.ToLower(m[g])
	if !ValidRole(role) {
		return ""
	}
	return role
}

// CompileRolePattern checks and compiles a profile's role pattern ("" is none, nil): a Go
// regular expression with a capture group (named "role", or the first) of at most 200 bytes.
func CompileRolePattern(field, pattern string) (*regexp.Regexp, error) {
	if pattern == "" {
		return nil, nil
	}
	if len(pattern) > 200 {
		return nil, invalid(field, "must be at most 200 characters")
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, invalid(field, "bad regular expression: "+err.Error())
	}
	if re.NumSubexp() == 0 {
		return nil, invalid(field, "needs a capture group for the role, e.g. ^\\[(\\w+)\\]")
	}
	return re, nil
}
