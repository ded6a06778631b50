package directory_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/config"
	"github.com/wardops/wardops/pkg/directory"
	"github.com/wardops/wardops/pkg/directory/directorytest"
	"github.com/wardops/wardops/testinfra/testenv"
)

func TestAuthenticate(t *testing.T) {
	l := testenv.NewLDAP(t)
	ctx := testenv.Ctx(t, time.Minute)
	for _, url := range []string{l.URL, l.StartTLSURL} {
		d, err := directory.New(directorytest.Config(t, l, url), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(url, func(t *testing.T) {
			cases := []struct {
				name, user, password string
				role                 auth.Role
				refused              string // DirectoryRefusal reason
			}{
				{name: "admin via group", user: "alice", password: testenv.LDAPPassword, role: auth.RoleAdmin},
				{name: "name in capitals", user: "ALICE", password: testenv.LDAPPassword, role: auth.RoleAdmin},
				{name: "operator via nested group", user: "bob", password: testenv.LDAPPassword, role: auth.RoleOperator},
				{name: "viewer", user: "carol", password: testenv.LDAPPassword, role: auth.RoleViewer},
				{name: "disabled account", user: "dave", password: testenv.LDAPPassword, refused: auth.RefusedDisabled},
				{name: "locked by ppolicy", user: "grace", password: testenv.LDAPPassword, refused: auth.RefusedDisabled},
				{name: "no mapped group", user: "erin", password: testenv.LDAPPassword, refused: auth.RefusedNoGroup},
				{name: "wrong password", user: "alice", password: "not it", refused: auth.RefusedWrongPassword},
				{name: "empty password", user: "alice", password: "", refused: auth.RefusedWrongPassword},
				{name: "unknown user", user: "mallory", password: testenv.LDAPPassword, refused: auth.RefusedUnknownUser},
				// unescaped, this filter would be (sAMAccountName=*)(uid=*): every account
				{name: "filter injection", user: "*)(uid=*", password: testenv.LDAPPassword, refused: auth.RefusedUnknownUser},
				{name: "wildcard", user: "ali*", password: testenv.LDAPPassword, refused: auth.RefusedUnknownUser},
				{name: "service account is no user", user: "wardops-svc", password: testenv.LDAPBindPassword, refused: auth.RefusedUnknownUser},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					du, err := d.Authenticate(ctx, tc.user, tc.password)
					var dr *auth.DirectoryRefusal
					switch {
					case tc.refused != "":
						if !errors.As(err, &dr) || dr.Reason != tc.refused {
							t.Fatalf("got %+v, %v; want refusal %q", du, err, tc.refused)
						}
						if !errors.Is(err, auth.ErrInvalidCredentials) {
							t.Errorf("refusal %v is not ErrInvalidCredentials", err)
						}
					case err != nil:
						t.Fatalf("Authenticate: %v", err)
					case du.Role() != tc.role:
						t.Errorf("role %s, want %s (grants %+v)", du.Role(), tc.role, du.Grants)
					}
				})
			}
		})
	}
}

func TestNestedGrantsAndLookup(t *testing.T) {
	l := testenv.NewLDAP(t)
	ctx := testenv.Ctx(t, time.Minute)
	d, err := directory.New(directorytest.Config(t, l, l.URL), nil)
	if err != nil {
		t.Fatal(err)
	}
	du, err := d.Lookup(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	want := auth.DirectoryUser{Username: "bob", DN: testenv.LDAPUserDN("bob"),
		Groups: []string{testenv.LDAPGroupNorthOps, testenv.LDAPGroupOperators},
		Grants: []auth.Grant{
			{Group: "CN=Branch-North-Ops, OU=Groups, DC=wardops, DC=test", Role: auth.RoleOperator,
				Regions: []string{"north"}, Branches: []string{"B012", "B014"}},
			{Group: testenv.LDAPGroupOperators, Role: auth.RoleOperator},
		}}
	if diff := cmp.Diff(want, du); diff != "" {
		t.Errorf("Lookup(bob) (-want +got):\n%s", diff)
	}

	// depth 1 follows no nesting: bob keeps only the scoped grant of his own group
	cfg := directorytest.Config(t, l, l.URL)
	cfg.GroupDepth = 1
	d1, _ := directory.New(cfg, nil)
	if du, err := d1.Lookup(ctx, "bob"); err != nil || len(du.Grants) != 1 || !du.Grants[0].Scoped() {
		t.Errorf("depth 1: %+v, %v; want only the scoped north grant", du, err)
	}

	// a loop of groups ends
	l.AddMember(t, testenv.LDAPGroupNorthOps, testenv.LDAPGroupOperators)
	if du, err := d.Lookup(ctx, "bob"); err != nil || len(du.Groups) != 2 {
		t.Errorf("group loop: %+v, %v", du, err)
	}
}

func TestUnavailable(t *testing.T) {
	l := testenv.NewLDAP(t)
	ctx := testenv.Ctx(t, time.Minute)
	cases := map[string]func(*config.LDAP){
		"directory down":         func(*config.LDAP) { l.Stop() },
		"wrong service password": func(c *config.LDAP) { c.BindPassword = "nope" },
		"untrusted certificate":  func(c *config.LDAP) { c.CAFile = "" },
	}
	for _, name := range []string{"wrong service password", "untrusted certificate", "directory down"} {
		t.Run(name, func(t *testing.T) {
			cfg := directorytest.Config(t, l, l.URL)
			cases[name](&cfg)
			d, err := directory.New(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = d.Authenticate(ctx, "alice", testenv.LDAPPassword)
			if !errors.Is(err, auth.ErrDirectoryUnavailable) || errors.Is(err, auth.ErrInvalidCredentials) {
				t.Errorf("got %v, want ErrDirectoryUnavailable", err)
			}
		})
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	d, _ := directory.New(directorytest.Config(t, l, l.URL), nil)
	if _, err := d.Lookup(cctx, "alice"); !errors.Is(err, auth.ErrDirectoryUnavailable) {
		t.Errorf("cancelled context: %v", err)
	}
}

func TestNewRefusesPlainLDAP(t *testing.T) {
	_, err := directory.New(config.LDAP{URL: "ldap://127.0.0.1:389", Groups: []config.LDAPGroup{{DN: "cn=a,dc=b", Role: "admin"}}}, nil)
	if err == nil {
		t.Fatal("plain ldap:// without StartTLS was accepted")
	}
}
