package auth

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResolveGrant(t *testing.T) {
	roles := map[string]OIDCGrant{
		"noc-admins":    {Role: RoleAdmin},
		"noc-ops":       {Role: RoleOperator},
		"north-ops":     {Role: RoleOperator, Regions: []string{"north"}},
		"south-ops":     {Role: RoleOperator, Regions: []string{"south"}, Branches: []string{"B07"}},
		"b12-viewers":   {Role: RoleViewer, Branches: []string{"B12"}},
		"everyone-view": {Role: RoleViewer},
	}
	cases := []struct {
		name   string
		values []string
		want   OIDCGrant
		ok     bool
	}{
		{"none", nil, OIDCGrant{}, false},
		{"unmapped only", []string{"canteen", "NOC-ADMINS"}, OIDCGrant{}, false},
		{"one", []string{"canteen", "noc-ops"}, OIDCGrant{Role: RoleOperator}, true},
		{"highest role wins", []string{"everyone-view", "noc-admins", "noc-ops"}, OIDCGrant{Role: RoleAdmin}, true},
		{"scopes of the winning role are joined", []string{"south-ops", "north-ops", "b12-viewers"},
			OIDCGrant{Role: RoleOperator, Regions: []string{"north", "south"}, Branches: []string{"B07"}}, true},
		{"an unscoped value of the winning role lifts the scope", []string{"north-ops", "noc-ops"}, OIDCGrant{Role: RoleOperator}, true},
		{"a lower role's scope does not leak", []string{"b12-viewers", "noc-ops"}, OIDCGrant{Role: RoleOperator}, true},
		{"scoped viewer", []string{"b12-viewers"}, OIDCGrant{Role: RoleViewer, Branches: []string{"B12"}}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := resolveGrant(roles, tc.values)
			if ok != tc.ok {
				t.Errorf("ok = %v, want %v", ok, tc.ok)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("grant (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOIDCUsername(t *testing.T) {
	long := "a123456789b123456789c123456789d123456789e123456789f123456789g123456789"
	cases := []struct {
		name   string
		claims map[string]any
		want   string
	}{
		{"preferred_username", map[string]any{"preferred_username": "Ana.Lima", "email": "x@y", "sub": "s"}, "ana.lima"},
		{"spaces and @ become dashes", map[string]any{"preferred_username": " Ana Lima@Bank "}, "ana-lima-bank"},
		{"email when no preferred_username", map[string]any{"email": "vera@bank.example", "sub": "s"}, "vera-bank.example"},
		{"sub last", map[string]any{"sub": "248289761001"}, "248289761001"},
		{"non-string claim skipped", map[string]any{"preferred_username": 42, "sub": "s1"}, "s1"},
		{"nothing usable", map[string]any{"preferred_username": "日本", "sub": "…"}, ""},
		{"leading punctuation trimmed", map[string]any{"preferred_username": "__ops"}, "ops"},
		{"clipped to 64", map[string]any{"preferred_username": long}, long[:64]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, oidcUsername(tc.claims, "preferred_username")); diff != "" {
				t.Errorf("username (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClaimStrings(t *testing.T) {
	claims := map[string]any{"s": "one", "l": []any{"a", 3, "b"}, "n": 7.0}
	for _, tc := range []struct {
		name string
		want []string
	}{{"s", []string{"one"}}, {"l", []string{"a", "b"}}, {"n", nil}, {"missing", nil}} {
		if diff := cmp.Diff(tc.want, claimStrings(claims, tc.name)); diff != "" {
			t.Errorf("claim %s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestOIDCParamsDefaults(t *testing.T) {
	ok := func() OIDCParams {
		return OIDCParams{Issuer: "https://idp.bank.example", ClientID: "wardops", ClientSecret: "s",
			RedirectURL: "https://noc.bank.example/api/v1/auth/oidc/callback", Roles: map[string]OIDCGrant{"g": {Role: RoleViewer}}}
	}
	p := ok()
	p.Scopes = []string{"profile"}
	if err := p.setDefaults(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"openid", "profile"}, p.Scopes); diff != "" {
		t.Errorf("scopes (-want +got):\n%s", diff)
	}
	if p.RoleClaim != DefaultOIDCRoleClaim || p.UsernameClaim != DefaultOIDCUsernameClaim || p.StateTTL != DefaultOIDCStateTTL || p.HTTPClient == nil {
		t.Errorf("defaults not filled: %+v", p)
	}
	bad := map[string]func(*OIDCParams){
		"issuer not a URL": func(p *OIDCParams) { p.Issuer = "idp.bank.example" },
		"no client id":     func(p *OIDCParams) { p.ClientID = "" },
		"no secret":        func(p *OIDCParams) { p.ClientSecret = "" },
		"no roles":         func(p *OIDCParams) { p.Roles = nil },
		"invalid role":     func(p *OIDCParams) { p.Roles = map[string]OIDCGrant{"g": {}} },
	}
	for name, mutate := range bad {
		p := ok()
		mutate(&p)
		if err := p.setDefaults(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
