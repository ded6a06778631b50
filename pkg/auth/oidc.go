package auth

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// Single sign-on defaults; cmd/api's config documents the env vars that change them.
const (
	// DefaultOIDCRoleClaim is the ID-token claim whose values WARDOPS_OIDC_ROLES maps to roles.
	DefaultOIDCRoleClaim = "groups"
	// DefaultOIDCUsernameClaim names the user; email, then sub, stand in when it is absent.
	DefaultOIDCUsernameClaim = "preferred_username"
	// DefaultOIDCStateTTL bounds the time from "Sign in with SSO" to the provider's redirect back.
	DefaultOIDCStateTTL = 10 * time.Minute
	// DefaultOIDCTimeout bounds each request to the provider (discovery, keys, code exchange).
	DefaultOIDCTimeout = 10 * time.Second
	// DefaultOIDCStartsPerMinute bounds the sign-ins one client address may start in a minute:
	// each keeps a state in Redis for StateTTL, so an unbounded flood would fill Redis.
	DefaultOIDCStartsPerMinute = 60
)

// DefaultOIDCScopes are requested from the provider; "groups" is what Dex and several others
// need before they put the groups claim in the ID token (providers ignore scopes they lack).
var DefaultOIDCScopes = []string{"openid", "profile", "email", "groups"}

// OIDCParams configures single sign-on with an OpenID Provider (authorization code flow with
// PKCE). Issuer, ClientID, ClientSecret, RedirectURL and Roles are required.
type OIDCParams struct {
	// Issuer is the provider's issuer URL; discovery reads Issuer/.well-known/openid-configuration.
	Issuer string
	// ClientID and ClientSecret are WardOps' credentials at the provider (a confidential client).
	ClientID, ClientSecret string
	// RedirectURL is WardOps' callback as registered at the provider
	// (…/api/v1/auth/oidc/callback).
	RedirectURL string
	// Scopes (default DefaultOIDCScopes; "openid" is always sent).
	Scopes []string
	// RoleClaim (default DefaultOIDCRoleClaim): a string or a list of strings in the ID token.
	RoleClaim string
	// UsernameClaim (default DefaultOIDCUsernameClaim).
	UsernameClaim string
	// Roles maps values of RoleClaim to a grant. A user with no mapped value is refused; with
	// several, the highest role wins (see resolveGrant).
	Roles map[string]OIDCGrant
	// HTTPClient talks to the provider (default: a client with DefaultOIDCTimeout).
	HTTPClient *http.Client
	// StateTTL (default DefaultOIDCStateTTL).
	StateTTL time.Duration
	// StartsPerMinute (default DefaultOIDCStartsPerMinute) per client address.
	StartsPerMinute int
}

// OIDCGrant is what one claim value grants: a role, optionally limited to regions and branches
// (empty lists: the whole network).
type OIDCGrant struct {
	Role     Role
	Regions  []string
	Branches []string
}

// Scoped reports whether the grant is limited to some regions or branches.
func (g OIDCGrant) Scoped() bool { return len(g.Regions) > 0 || len(g.Branches) > 0 }

func (p *OIDCParams) setDefaults() error {
	u, err := url.Parse(p.Issuer)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("auth: OIDC issuer %q is not an http(s) URL", p.Issuer)
	}
	if p.ClientID == "" || p.ClientSecret == "" || p.RedirectURL == "" {
		return errors.New("auth: OIDC needs a client id, a client secret and a redirect URL")
	}
	if len(p.Roles) == 0 {
		return errors.New("auth: OIDC needs at least one claim value mapped to a role")
	}
	for v, g := range p.Roles {
		if !g.Role.Valid() {
			return fmt.Errorf("auth: OIDC claim value %q maps to no valid role", v)
		}
	}
	if p.RoleClaim == "" {
		p.RoleClaim = DefaultOIDCRoleClaim
	}
	if p.UsernameClaim == "" {
		p.UsernameClaim = DefaultOIDCUsernameClaim
	}
	if len(p.Scopes) == 0 {
		p.Scopes = DefaultOIDCScopes
	}
	if !slices.Contains(p.Scopes, "openid") {
		p.Scopes = append([]string{"openid"}, p.Scopes...)
	}
	if p.HTTPClient == nil {
		p.HTTPClient = &http.Client{Timeout: DefaultOIDCTimeout}
	}
	if p.StateTTL <= 0 {
		p.StateTTL = DefaultOIDCStateTTL
	}
	if p.StartsPerMinute <= 0 {
		p.StartsPerMinute = DefaultOIDCStartsPerMinute
	}
	return nil
}

// claimStrings reads a claim that is a string or a list of strings; anything else is empty.
func claimStrings(claims map[string]any, name string) []string {
	switch v := claims[name].(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// resolveGrant maps the user's claim values to one grant: the highest mapped role; its regions
// and branches are the union of those of the values granting that role, unless one of them is
// unscoped, which makes the grant unscoped. ok is false when no value is mapped.
func resolveGrant(roles map[string]OIDCGrant, values []string) (g OIDCGrant, ok bool) {
	var matched []Grant
	for _, v := range values {
		if m, found := roles[v]; found {
			matched = append(matched, Grant{Group: v, Role: m.Role, Regions: m.Regions, Branches: m.Branches})
		}
	}
	if len(matched) == 0 {
		return OIDCGrant{}, false
	}
	role, sc := effectiveGrant(matched) // the same fold as a directory user's groups
	return OIDCGrant{Role: role, Regions: sortedUnique(sc.Regions), Branches: sortedUnique(sc.Branches)}, true
}

func sortedUnique(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	sort.Strings(s)
	return slices.Compact(s)
}

var usernameJunk = regexp.MustCompile(`[^a-z0-9._-]+`)

// oidcUsername derives a WardOps username from the claims: claim (preferred_username by
// default), else email, else sub; lower-cased, with each run of characters outside
// [a-z0-9._-] replaced by '-' ("Ana Lima@Bank" → "ana-lima-bank"), at most 64 characters.
// It returns "" when nothing usable remains.
func oidcUsername(claims map[string]any, claim string) string {
	for _, name := range []string{claim, "email", "sub"} {
		v, _ := claims[name].(string)
		n := usernameJunk.ReplaceAllString(NormalizeUsername(v), "-")
		n = strings.TrimLeft(n, "._-")
		if len(n) > 64 {
			n = n[:64]
		}
		if usernamePattern.MatchString(n) {
			return n
		}
	}
	return ""
}
