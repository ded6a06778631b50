package config

import (
	"crypto/x509"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// Directory sign-in defaults (used when WARDOPS_LDAP_URL is set).
const (
	// DefaultLDAPUserFilter finds an Active Directory account by its logon name.
	DefaultLDAPUserFilter = "(sAMAccountName={username})"
	// DefaultLDAPGroupFilter finds the groups that list an entry (a user or a group) as member.
	DefaultLDAPGroupFilter = "(member={dn})"
	// DefaultLDAPGroupDepth bounds how many levels of nested groups are followed.
	DefaultLDAPGroupDepth = 5
	DefaultLDAPRefresh    = 15 * time.Minute
	DefaultLDAPTimeout    = 5 * time.Second
)

// LDAP configures sign-in against Active Directory or another LDAP directory. Everything is
// zero (directory sign-in off) unless WARDOPS_LDAP_URL is set.
type LDAP struct {
	// URL: WARDOPS_LDAP_URL, ldaps://host[:636] or ldap://host[:389] with StartTLS (default
	// none: directory sign-in off). Plain LDAP without TLS is refused: it sends passwords in clear.
	URL string
	// StartTLS: WARDOPS_LDAP_STARTTLS, upgrade an ldap:// connection with StartTLS (default false).
	StartTLS bool
	// CAFile: WARDOPS_LDAP_CA_FILE, PEM CA certificates that issue the directory's certificate
	// (default: the system roots).
	CAFile string
	// BindDN, BindPassword: WARDOPS_LDAP_BIND_DN and WARDOPS_LDAP_BIND_PASSWORD (or
	// WARDOPS_LDAP_BIND_PASSWORD_FILE), the service account that searches (required).
	BindDN, BindPassword string
	// UserBase: WARDOPS_LDAP_USER_BASE, where users are searched (subtree; required).
	UserBase string
	// UserFilter: WARDOPS_LDAP_USER_FILTER, {username} being the escaped sign-in name
	// (default DefaultLDAPUserFilter).
	UserFilter string
	// GroupBase: WARDOPS_LDAP_GROUP_BASE, where groups are searched (default UserBase).
	GroupBase string
	// GroupFilter: WARDOPS_LDAP_GROUP_FILTER, {dn} being the escaped DN of a member
	// (default DefaultLDAPGroupFilter).
	GroupFilter string
	// GroupDepth: WARDOPS_LDAP_GROUP_DEPTH, levels of nested groups followed (default 5, 1-20).
	GroupDepth int
	// Groups: WARDOPS_LDAP_GROUPS (entries separated by ';') or WARDOPS_LDAP_GROUPS_FILE (one
	// per line, '#' comments): "<group DN> => <role> [regions=a,b] [branches=c,d]" (required).
	Groups []LDAPGroup
	// Refresh: WARDOPS_LDAP_REFRESH, how often a session re-reads its user's groups (default 15m).
	Refresh time.Duration
	// Timeout: WARDOPS_LDAP_TIMEOUT for connecting and for each directory request (default 5s).
	Timeout time.Duration
}

// LDAPGroup maps one directory group to a role, optionally limited to regions/branches.
type LDAPGroup struct {
	DN       string
	Role     string
	Regions  []string
	Branches []string
}

// Enabled reports whether directory sign-in is configured.
func (c LDAP) Enabled() bool { return c.URL != "" }

func loadLDAP(r *reader) LDAP {
	c := LDAP{URL: r.str("WARDOPS_LDAP_URL", "")}
	if c.URL == "" {
		return LDAP{}
	}
	c.StartTLS = r.boolean("WARDOPS_LDAP_STARTTLS", false)
	c.CAFile = r.str("WARDOPS_LDAP_CA_FILE", "")
	c.BindDN = r.str("WARDOPS_LDAP_BIND_DN", "")
	c.BindPassword = r.secret("WARDOPS_LDAP_BIND_PASSWORD")
	c.UserBase = r.str("WARDOPS_LDAP_USER_BASE", "")
	c.UserFilter = r.str("WARDOPS_LDAP_USER_FILTER", DefaultLDAPUserFilter)
	c.GroupBase = r.str("WARDOPS_LDAP_GROUP_BASE", c.UserBase)
	c.GroupFilter = r.str("WARDOPS_LDAP_GROUP_FILTER", DefaultLDAPGroupFilter)
	c.GroupDepth = r.integer("WARDOPS_LDAP_GROUP_DEPTH", DefaultLDAPGroupDepth, 1, 20)
	c.Refresh = r.duration("WARDOPS_LDAP_REFRESH", DefaultLDAPRefresh, time.Minute, 24*time.Hour)
	c.Timeout = r.duration("WARDOPS_LDAP_TIMEOUT", DefaultLDAPTimeout, 100*time.Millisecond, time.Minute)
	c.Groups = loadLDAPGroups(r)
	c.validate(r)
	return c
}

// secret reads KEY, or the file named by KEY_FILE (trailing newline dropped); not both.
func (r *reader) secret(key string) string {
	v := r.str(key, "")
	f := r.str(key+"_FILE", "")
	if v != "" && f != "" {
		r.fail(key+"_FILE", f, "set "+key+" or "+key+"_FILE, not both")
		return v
	}
	if f == "" {
		return v
	}
	b, err := os.ReadFile(f)
	if err != nil {
		r.fail(key+"_FILE", f, "cannot read: "+err.Error())
		return ""
	}
	return strings.TrimRight(string(b), "\r\n")
}

func loadLDAPGroups(r *reader) []LDAPGroup {
	inline, file := r.str("WARDOPS_LDAP_GROUPS", ""), r.str("WARDOPS_LDAP_GROUPS_FILE", "")
	switch {
	case inline != "" && file != "":
		r.fail("WARDOPS_LDAP_GROUPS_FILE", file, "set WARDOPS_LDAP_GROUPS or WARDOPS_LDAP_GROUPS_FILE, not both")
	case inline != "":
		g, err := ParseLDAPGroups(inline, ";", "entry")
		if err != nil {
			r.fail("WARDOPS_LDAP_GROUPS", inline, err.Error())
		}
		return g
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			r.fail("WARDOPS_LDAP_GROUPS_FILE", file, "cannot read: "+err.Error())
			return nil
		}
		g, err := ParseLDAPGroups(string(b), "\n", "line")
		if err != nil {
			r.fail("WARDOPS_LDAP_GROUPS_FILE", file, err.Error())
		}
		return g
	default:
		r.fail("WARDOPS_LDAP_GROUPS", "", "is required with WARDOPS_LDAP_URL: map at least one group to a role")
	}
	return nil
}

// ParseLDAPGroups parses group mappings separated by sep; unit ("line" or "entry") and the
// 1-based position name the faulty one. Empty entries and '#' comments are skipped.
func ParseLDAPGroups(text, sep, unit string) ([]LDAPGroup, error) {
	var out []LDAPGroup
	seen := map[string]int{}
	for i, raw := range strings.Split(text, sep) {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		g, err := parseLDAPGroup(line)
		if err != nil {
			return nil, fmt.Errorf("%s %d: %w", unit, i+1, err)
		}
		key := strings.ToLower(g.DN)
		if first, dup := seen[key]; dup {
			return nil, fmt.Errorf("%s %d: group %q is already mapped in %s %d", unit, i+1, g.DN, unit, first)
		}
		seen[key] = i + 1
		out = append(out, g)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no group mapping (want \"<group DN> => <role> [regions=a,b] [branches=c,d]\")")
	}
	return out, nil
}

func parseLDAPGroup(line string) (LDAPGroup, error) {
	dn, rest, ok := strings.Cut(line, "=>")
	if !ok {
		return LDAPGroup{}, fmt.Errorf("%q: want \"<group DN> => <role> [regions=a,b] [branches=c,d]\"", line)
	}
	g := LDAPGroup{DN: strings.TrimSpace(dn)}
	parsed, err := ldap.ParseDN(g.DN)
	if err != nil || len(parsed.RDNs) == 0 {
		return g, fmt.Errorf("%q is not a DN", g.DN)
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return g, fmt.Errorf("group %q has no role", g.DN)
	}
	switch g.Role = fields[0]; g.Role {
	case "viewer", "operator", "admin":
	default:
		return g, fmt.Errorf("role %q: want viewer, operator or admin", g.Role)
	}
	for _, f := range fields[1:] {
		k, v, _ := strings.Cut(f, "=")
		list := splitList(v)
		if len(list) == 0 {
			return g, fmt.Errorf("%q: want regions=a,b or branches=c,d", f)
		}
		switch k {
		case "regions":
			g.Regions = list
		case "branches":
			g.Branches = list
		default:
			return g, fmt.Errorf("%q: want regions=a,b or branches=c,d", f)
		}
	}
	if g.Role == "admin" && (len(g.Regions) > 0 || len(g.Branches) > 0) {
		return g, fmt.Errorf("an admin cannot be limited to regions or branches (admins change scopes): map the group to viewer or operator")
	}
	return g, nil
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (c *LDAP) validate(r *reader) {
	u, err := url.Parse(c.URL)
	switch {
	case err != nil || u.Host == "":
		r.fail("WARDOPS_LDAP_URL", c.URL, "not a URL with a host")
	case u.Scheme == "ldaps" && c.StartTLS:
		r.fail("WARDOPS_LDAP_STARTTLS", "true", "ldaps:// is TLS already; StartTLS is for ldap://")
	case u.Scheme == "ldap" && !c.StartTLS:
		r.fail("WARDOPS_LDAP_URL", c.URL, "plain ldap:// would send passwords in clear: use ldaps:// or set WARDOPS_LDAP_STARTTLS=true")
	case u.Scheme != "ldap" && u.Scheme != "ldaps":
		r.fail("WARDOPS_LDAP_URL", c.URL, "scheme must be one of ldaps, ldap")
	}
	if c.CAFile != "" {
		b, err := os.ReadFile(c.CAFile)
		if err != nil {
			r.fail("WARDOPS_LDAP_CA_FILE", c.CAFile, "cannot read: "+err.Error())
		} else if !x509.NewCertPool().AppendCertsFromPEM(b) {
			r.fail("WARDOPS_LDAP_CA_FILE", c.CAFile, "holds no PEM certificate")
		}
	}
	if c.BindDN == "" || c.BindPassword == "" {
		r.fail("WARDOPS_LDAP_BIND_DN", c.BindDN, "WARDOPS_LDAP_BIND_DN and WARDOPS_LDAP_BIND_PASSWORD are required with WARDOPS_LDAP_URL")
	} else if _, err := ldap.ParseDN(c.BindDN); err != nil {
		r.fail("WARDOPS_LDAP_BIND_DN", c.BindDN, "not a DN")
	}
	if d, err := ldap.ParseDN(c.UserBase); err != nil || len(d.RDNs) == 0 {
		r.fail("WARDOPS_LDAP_USER_BASE", c.UserBase, "is required with WARDOPS_LDAP_URL and must be a DN")
	} else if d, err := ldap.ParseDN(c.GroupBase); err != nil || len(d.RDNs) == 0 {
		r.fail("WARDOPS_LDAP_GROUP_BASE", c.GroupBase, "must be a DN")
	}
	checkFilter(r, "WARDOPS_LDAP_USER_FILTER", c.UserFilter, "{username}")
	checkFilter(r, "WARDOPS_LDAP_GROUP_FILTER", c.GroupFilter, "{dn}")
}

// checkFilter requires placeholder in filter and that the filter compiles once filled in.
func checkFilter(r *reader, key, filter, placeholder string) {
	if !strings.Contains(filter, placeholder) {
		r.fail(key, filter, "must contain "+placeholder)
		return
	}
	if _, err := ldap.CompileFilter(strings.ReplaceAll(filter, placeholder, "x")); err != nil {
		r.fail(key, filter, "not an LDAP filter: "+err.Error())
	}
}
