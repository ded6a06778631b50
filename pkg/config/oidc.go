package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
)

// Single sign-on defaults (the README lists them).
const (
	DefaultOIDCRedirectURL   = "http://127.0.0.1:5001/api/v1/auth/oidc/callback"
	DefaultOIDCScopes        = "openid profile email groups"
	DefaultOIDCRoleClaim     = "groups"
	DefaultOIDCUsernameClaim = "preferred_username"
	// oidcCallbackPath is the API's callback route, which WARDOPS_OIDC_REDIRECT_URL must name.
	oidcCallbackPath = "/api/v1/auth/oidc/callback"
)

// OIDC is the API's single sign-on with an OpenID Provider; the zero value (no
// WARDOPS_OIDC_ISSUER) turns it off.
type OIDC struct {
	// Issuer: WARDOPS_OIDC_ISSUER, the provider's issuer URL; https, or http on a loopback
	// address (default none: single sign-on off).
	Issuer string
	// ClientID: WARDOPS_OIDC_CLIENT_ID (required with an issuer).
	ClientID string
	// ClientSecret: WARDOPS_OIDC_CLIENT_SECRET, or the contents of the file named by
	// WARDOPS_OIDC_CLIENT_SECRET_FILE (one of the two is required with an issuer).
	ClientSecret string
	// RedirectURL: WARDOPS_OIDC_REDIRECT_URL, the callback registered at the provider
	// (default DefaultOIDCRedirectURL); its path is /api/v1/auth/oidc/callback.
	RedirectURL string
	// Scopes: WARDOPS_OIDC_SCOPES, separated by spaces or commas (default DefaultOIDCScopes).
	Scopes []string
	// RoleClaim: WARDOPS_OIDC_ROLE_CLAIM (default "groups").
	RoleClaim string
	// UsernameClaim: WARDOPS_OIDC_USERNAME_CLAIM (default "preferred_username"; email, then
	// sub, when the token lacks it).
	UsernameClaim string
	// Roles: WARDOPS_OIDC_ROLES, a JSON object from claim value to a role name or to
	// {"role","regions","branches"} (required with an issuer).
	Roles map[string]OIDCRole
}

// OIDCRole is what one claim value grants.
type OIDCRole struct {
	Role     string   `json:"role"`
	Regions  []string `json:"regions"`
	Branches []string `json:"branches"`
}

// Enabled reports whether single sign-on is configured.
func (o OIDC) Enabled() bool { return o.Issuer != "" }

var oidcVars = []string{"WARDOPS_OIDC_CLIENT_ID", "WARDOPS_OIDC_CLIENT_SECRET", "WARDOPS_OIDC_CLIENT_SECRET_FILE",
	"WARDOPS_OIDC_REDIRECT_URL", "WARDOPS_OIDC_SCOPES", "WARDOPS_OIDC_ROLE_CLAIM", "WARDOPS_OIDC_USERNAME_CLAIM",
	"WARDOPS_OIDC_ROLES"}

func loadOIDC(r *reader) OIDC {
	issuer := r.str("WARDOPS_OIDC_ISSUER", "")
	if issuer == "" {
		for _, k := range oidcVars {
			if r.str(k, "") != "" {
				r.fail("WARDOPS_OIDC_ISSUER", "", "is required when "+k+" is set (single sign-on)")
				break
			}
		}
		return OIDC{}
	}
	o := OIDC{
		Issuer:        checkIssuer(r, issuer),
		ClientID:      r.str("WARDOPS_OIDC_CLIENT_ID", ""),
		ClientSecret:  readSecret(r, "WARDOPS_OIDC_CLIENT_SECRET"),
		RedirectURL:   r.url("WARDOPS_OIDC_REDIRECT_URL", DefaultOIDCRedirectURL, "https", "http"),
		Scopes:        strings.FieldsFunc(r.str("WARDOPS_OIDC_SCOPES", DefaultOIDCScopes), func(c rune) bool { return c == ' ' || c == ',' }),
		RoleClaim:     r.str("WARDOPS_OIDC_ROLE_CLAIM", DefaultOIDCRoleClaim),
		UsernameClaim: r.str("WARDOPS_OIDC_USERNAME_CLAIM", DefaultOIDCUsernameClaim),
		Roles:         parseOIDCRoles(r, r.str("WARDOPS_OIDC_ROLES", "")),
	}
	if o.ClientID == "" {
		r.fail("WARDOPS_OIDC_CLIENT_ID", "", "is required with WARDOPS_OIDC_ISSUER")
	}
	if u, err := url.Parse(o.RedirectURL); err == nil && u.Host != "" && u.Path != oidcCallbackPath {
		r.fail("WARDOPS_OIDC_REDIRECT_URL", o.RedirectURL, "path must be "+oidcCallbackPath)
	}
	if !slices.Contains(o.Scopes, "openid") {
		o.Scopes = append([]string{"openid"}, o.Scopes...)
	}
	return o
}

// checkIssuer requires an https URL (http only on a loopback address: OpenID Connect demands
// TLS, and a token sent over plain HTTP elsewhere can be read and replaced on the way).
func checkIssuer(r *reader, v string) string {
	u, err := url.Parse(v)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		r.fail("WARDOPS_OIDC_ISSUER", v, "not an https URL with a host")
	case u.RawQuery != "" || u.Fragment != "":
		r.fail("WARDOPS_OIDC_ISSUER", v, "an issuer has no query or fragment")
	case u.Scheme == "http" && !loopbackHost(u.Hostname()):
		r.fail("WARDOPS_OIDC_ISSUER", v, "must be https (http only on a loopback address)")
	}
	return v
}

func loopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// readSecret reads KEY or the file named by KEY_FILE (one trailing newline dropped); setting
// both is an error. The secret never appears in an error.
func readSecret(r *reader, key string) string {
	v, file := r.str(key, ""), r.str(key+"_FILE", "")
	switch {
	case v != "" && file != "":
		r.fail(key+"_FILE", "", "set "+key+" or "+key+"_FILE, not both")
		return ""
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			r.fail(key+"_FILE", file, "cannot be read: "+err.Error())
			return ""
		}
		v = strings.TrimRight(string(b), "\r\n")
		if v == "" {
			r.fail(key+"_FILE", file, "the file is empty")
		}
		return v
	case v == "":
		r.fail(key, "", "is required with WARDOPS_OIDC_ISSUER (or "+key+"_FILE)")
	}
	return v
}

// parseOIDCRoles reads {"claim value": "role" | {"role","regions","branches"}, …}.
func parseOIDCRoles(r *reader, v string) map[string]OIDCRole {
	const key = "WARDOPS_OIDC_ROLES"
	if v == "" {
		r.fail(key, "", `is required with WARDOPS_OIDC_ISSUER: a JSON object such as {"noc-admins":"admin","noc-staff":"viewer"}`)
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		r.fail(key, "", "not a JSON object of claim value to role: "+err.Error())
		return nil
	}
	if len(raw) == 0 {
		r.fail(key, "", "maps no claim value to a role")
		return nil
	}
	out := make(map[string]OIDCRole, len(raw))
	names := make([]string, 0, len(raw))
	for k := range raw {
		names = append(names, k)
	}
	sort.Strings(names) // the first error reported is the same at every start
	for _, k := range names {
		role, err := parseOIDCRole(raw[k])
		if err == nil && strings.TrimSpace(k) == "" {
			err = fmt.Errorf("an empty claim value")
		}
		if err != nil {
			r.fail(key, "", fmt.Sprintf("%q: %v", k, err))
			return nil
		}
		out[k] = role
	}
	return out
}

func parseOIDCRole(b json.RawMessage) (OIDCRole, error) {
	var role OIDCRole
	if err := json.Unmarshal(b, &role.Role); err != nil {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		role = OIDCRole{}
		if err := dec.Decode(&role); err != nil {
			return role, fmt.Errorf(`want a role name or {"role","regions","branches"}: %v`, err)
		}
	}
	switch role.Role {
	case "viewer", "operator", "admin":
	default:
		return role, fmt.Errorf("role %q is not viewer, operator or admin", role.Role)
	}
	for _, s := range append(slices.Clone(role.Regions), role.Branches...) {
		if strings.TrimSpace(s) == "" {
			return role, fmt.Errorf("an empty region or branch")
		}
	}
	if role.Role == "admin" && (len(role.Regions) > 0 || len(role.Branches) > 0) {
		return role, fmt.Errorf("an admin cannot be limited to regions or branches (admins change scopes): map it to viewer or operator")
	}
	return role, nil
}
