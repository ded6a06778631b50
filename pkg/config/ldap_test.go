package config_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/config"
)

// TestLDAPValuesAreRead loads a full directory configuration: StartTLS, the bind password
// from a file, AD's filters by default, a mapping file with comments and scopes.
func TestLDAPValuesAreRead(t *testing.T) {
	pwFile := filepath.Join(t.TempDir(), "bind-password")
	if err := os.WriteFile(pwFile, []byte("from a file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := config.LoadAPI(env(map[string]string{
		"WARDOPS_LDAP_URL":                "ldap://127.0.0.1:389",
		"WARDOPS_LDAP_STARTTLS":           "true",
		"WARDOPS_LDAP_BIND_DN":            "CN=svc-wardops,OU=Service Accounts,DC=bank,DC=example",
		"WARDOPS_LDAP_BIND_PASSWORD_FILE": pwFile,
		"WARDOPS_LDAP_USER_BASE":          "OU=Staff,DC=bank,DC=example",
		"WARDOPS_LDAP_GROUPS_FILE":        "testdata/ldap_groups.txt",
		"WARDOPS_LDAP_REFRESH":            "5m",
		"WARDOPS_LDAP_GROUP_DEPTH":        "3",
		"WARDOPS_REQUIRE_TOTP_ADMINS":     "true",
		"WARDOPS_SECRET_KEY":              "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	}))
	if err != nil {
		t.Fatalf("LoadAPI: %v", err)
	}
	want := config.LDAP{URL: "ldap://127.0.0.1:389", StartTLS: true,
		BindDN: "CN=svc-wardops,OU=Service Accounts,DC=bank,DC=example", BindPassword: "from a file",
		UserBase: "OU=Staff,DC=bank,DC=example", UserFilter: "(sAMAccountName={username})",
		GroupBase: "OU=Staff,DC=bank,DC=example", GroupFilter: "(member={dn})", GroupDepth: 3,
		Groups: []config.LDAPGroup{
			{DN: "cn=NOC Admins,ou=groups,dc=bank,dc=example", Role: "admin"},
			{DN: "cn=NOC Operators,ou=groups,dc=bank,dc=example", Role: "operator"},
			{DN: "cn=North Ops,ou=groups,dc=bank,dc=example", Role: "operator", Regions: []string{"north"},
				Branches: []string{"B012", "B014"}},
		},
		Refresh: 5 * time.Minute, Timeout: config.DefaultLDAPTimeout}
	if diff := cmp.Diff(want, got.LDAP); diff != "" {
		t.Errorf("LDAP (-want +got):\n%s", diff)
	}
	if !got.RequireTOTPAdmins {
		t.Error("RequireTOTPAdmins not read")
	}
}

func TestParseLDAPGroups(t *testing.T) {
	cases := []struct {
		name, text, want string
	}{
		{"no arrow", "cn=a,dc=b admin", `entry 1: "cn=a,dc=b admin": want "<group DN> => <role> [regions=a,b] [branches=c,d]"`},
		{"not a DN", "noc admins => admin", `entry 1: "noc admins" is not a DN`},
		{"no role", "cn=a,dc=b =>", `entry 1: group "cn=a,dc=b" has no role`},
		{"bad scope", "cn=a,dc=b => viewer regions=", `entry 1: "regions=": want regions=a,b or branches=c,d`},
		{"mapped twice", "cn=a,dc=b => viewer; CN=A,DC=B => admin", `entry 2: group "CN=A,DC=B" is already mapped in entry 1`},
		{"empty", " ; ", `no group mapping (want "<group DN> => <role> [regions=a,b] [branches=c,d]")`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.ParseLDAPGroups(tc.text, ";", "entry")
			if err == nil || err.Error() != tc.want {
				t.Errorf("error %v, want %s", err, tc.want)
			}
		})
	}
	got, err := config.ParseLDAPGroups(`cn=NOC\, Core,dc=b => operator branches=B1`, ";", "entry")
	if err != nil || got[0].DN != `cn=NOC\, Core,dc=b` {
		t.Errorf("escaped comma: %+v, %v", got, err)
	}
}
