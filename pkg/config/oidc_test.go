package config_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/config"
)

// TestOIDCValuesAreRead sets every single sign-on variable and checks where each lands: the
// secret from its file (trailing newline dropped), scopes split on spaces and commas with
// openid added, roles as names and as scoped objects.
func TestOIDCValuesAreRead(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "oidc-secret")
	if err := os.WriteFile(secret, []byte("from-the-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := map[string]string{
		"WARDOPS_OIDC_ISSUER":             "https://idp.bank.example/realms/noc",
		"WARDOPS_OIDC_CLIENT_ID":          " wardops ",
		"WARDOPS_OIDC_CLIENT_SECRET_FILE": secret,
		"WARDOPS_OIDC_REDIRECT_URL":       "https://noc.bank.example/api/v1/auth/oidc/callback",
		"WARDOPS_OIDC_SCOPES":             "profile, groups  email",
		"WARDOPS_OIDC_ROLE_CLAIM":         "roles",
		"WARDOPS_OIDC_USERNAME_CLAIM":     "email",
		"WARDOPS_OIDC_ROLES": `{"NOC Admins":"admin","noc-ops":{"role":"operator"},
			"north-ops":{"role":"operator","regions":["north"],"branches":["B07","B12"]}}`,
	}
	got, err := config.LoadAPI(env(m))
	if err != nil {
		t.Fatalf("LoadAPI: %v", err)
	}
	want := config.OIDC{Issuer: "https://idp.bank.example/realms/noc", ClientID: "wardops", ClientSecret: "from-the-file",
		RedirectURL: "https://noc.bank.example/api/v1/auth/oidc/callback", Scopes: []string{"openid", "profile", "groups", "email"},
		RoleClaim: "roles", UsernameClaim: "email", Roles: map[string]config.OIDCRole{
			"NOC Admins": {Role: "admin"},
			"noc-ops":    {Role: "operator"},
			"north-ops":  {Role: "operator", Regions: []string{"north"}, Branches: []string{"B07", "B12"}},
		}}
	if diff := cmp.Diff(want, got.OIDC); diff != "" {
		t.Errorf("OIDC (-want +got):\n%s", diff)
	}
}

// TestOIDCDefaults: with only the required variables, the documented defaults apply; an http
// issuer is accepted on loopback (a provider on the same host, and the tests).
func TestOIDCDefaults(t *testing.T) {
	got, err := config.LoadAPI(env(map[string]string{
		"WARDOPS_OIDC_ISSUER": "http://127.0.0.1:5556/dex", "WARDOPS_OIDC_CLIENT_ID": "wardops",
		"WARDOPS_OIDC_CLIENT_SECRET": "s", "WARDOPS_OIDC_ROLES": `{"admins":"admin"}`,
	}))
	if err != nil {
		t.Fatalf("LoadAPI: %v", err)
	}
	want := config.OIDC{Issuer: "http://127.0.0.1:5556/dex", ClientID: "wardops", ClientSecret: "s",
		RedirectURL: config.DefaultOIDCRedirectURL, Scopes: []string{"openid", "profile", "email", "groups"},
		RoleClaim: config.DefaultOIDCRoleClaim, UsernameClaim: config.DefaultOIDCUsernameClaim,
		Roles: map[string]config.OIDCRole{"admins": {Role: "admin"}}}
	if diff := cmp.Diff(want, got.OIDC); diff != "" {
		t.Errorf("OIDC (-want +got):\n%s", diff)
	}
	if !got.OIDC.Enabled() {
		t.Error("Enabled() = false with an issuer")
	}
	for _, k := range []string{"http://localhost:8080", "http://[::1]:8080"} {
		m := map[string]string{"WARDOPS_OIDC_ISSUER": k, "WARDOPS_OIDC_CLIENT_ID": "w", "WARDOPS_OIDC_CLIENT_SECRET": "s",
			"WARDOPS_OIDC_ROLES": `{"a":"viewer"}`}
		if _, err := config.LoadAPI(env(m)); err != nil {
			t.Errorf("issuer %s: %v", k, err)
		}
	}
}
