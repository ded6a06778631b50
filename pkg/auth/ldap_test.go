package auth_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/pkg/config"
	"github.com/wardops/wardops/pkg/directory"
	"github.com/wardops/wardops/pkg/directory/directorytest"
	"github.com/wardops/wardops/testinfra/testenv"
)

const ldapRefresh = 10 * time.Minute

// newLDAPFixture is the fixture app with directory sign-in against a private slapd (LDAPS).
// Its local users admin, operator and viewer stay local (break-glass).
func newLDAPFixture(t *testing.T) (*fixture, *testenv.LDAP) {
	t.Helper()
	l := testenv.NewLDAP(t)
	d, err := directory.New(directorytest.Config(t, l, l.URL), nil)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixtureWith(t, fixtureOpts{edit: func(p *auth.Params) { p.Directory, p.DirectoryRefresh = d, ldapRefresh }})
	return f, l
}

// ldapLogin signs user in with the directory password and returns the client and its identity.
func (f *fixture) ldapLogin(user, pw string) (*client, auth.SessionInfo, response) {
	f.t.Helper()
	c := f.anon()
	resp := c.do(http.MethodPost, "/api/v1/auth/login", map[string]string{"username": user, "password": pw})
	var info auth.SessionInfo
	if resp.status == http.StatusOK {
		resp.decode(f.t, &info)
		c.csrf = info.CSRFToken
	}
	return c, info, resp
}

// failedLogins lists the audited sign-in refusals, newest first, as "target: reason",
// leaving out those of skip.
func (f *fixture) failedLogins(t *testing.T, skip string) []string {
	t.Helper()
	var page struct {
		Entries []auth.AuditView `json:"entries"`
	}
	f.login("admin").do("GET", "/api/v1/audit?action=auth.login_failed&limit=100", nil).decode(t, &page)
	var out []string
	for _, e := range page.Entries {
		var d map[string]string
		_ = json.Unmarshal(e.Detail, &d)
		if e.TargetID != skip {
			out = append(out, e.TargetID+": "+d["reason"])
		}
	}
	return out
}

func TestLDAPSignIn(t *testing.T) {
	f, _ := newLDAPFixture(t)
	cases := []struct {
		name, user, password string
		status               int
		role                 string
	}{
		{"admin via group", "alice", testenv.LDAPPassword, http.StatusOK, "admin"},
		{"operator via nested group", "bob", testenv.LDAPPassword, http.StatusOK, "operator"},
		{"viewer", "Carol", testenv.LDAPPassword, http.StatusOK, "viewer"},
		{"disabled refused", "dave", testenv.LDAPPassword, http.StatusUnauthorized, ""},
		{"wrong password refused", "alice", "wrong password!", http.StatusUnauthorized, ""},
		{"empty password refused", "alice", "", http.StatusBadRequest, ""},
		{"filter injection refused", "*)(uid=*", testenv.LDAPPassword, http.StatusUnauthorized, ""},
		{"wildcard refused", "ali*", testenv.LDAPPassword, http.StatusUnauthorized, ""},
		{"no mapped group refused", "erin", testenv.LDAPPassword, http.StatusUnauthorized, ""},
		{"unknown user refused", "mallory", testenv.LDAPPassword, http.StatusUnauthorized, ""},
		// a local account of the same name shadows the directory's: break-glass stays local
		{"local account shadows directory", "admin", testenv.LDAPAdminPassword, http.StatusUnauthorized, ""},
		{"local admin signs in locally", "admin", authtest.Password, http.StatusOK, "admin"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, info, resp := f.ldapLogin(tc.user, tc.password)
			if resp.status != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.status, tc.status, resp.body)
			}
			if tc.status != http.StatusOK {
				return
			}
			if info.User.Role != tc.role {
				t.Errorf("role %q, want %q", info.User.Role, tc.role)
			}
			me := c.do(http.MethodGet, "/api/v1/auth/me", nil)
			if me.status != http.StatusOK {
				t.Errorf("me: %d %s", me.status, me.body)
			}
		})
	}
	// every refusal answered alike and audited with its own reason
	want := []string{
		"mallory: unknown user",
		"erin: no mapped group",
		"ali*: unknown user",
		"*)(uid=*: unknown user",
		"alice: wrong password",
		"dave: disabled in directory",
	}
	if diff := cmp.Diff(want, f.failedLogins(t, "admin")); diff != "" {
		t.Errorf("audited refusals (-want +got):\n%s", diff)
	}
}

func TestLDAPUserRow(t *testing.T) {
	f, _ := newLDAPFixture(t)
	f.ldapLogin("bob", testenv.LDAPPassword)
	admin := f.login("admin")
	bob := f.userNamed(admin, "bob")
	if bob.ID == 0 || bob.Source != "ldap" || bob.Role != "operator" {
		t.Fatalf("bob's row: %+v", bob)
	}
	// the directory owns role and password; tokens are for local accounts
	for _, body := range []map[string]any{{"role": "admin"}, {"password": "a brand new password"}} {
		if resp := admin.do(http.MethodPatch, "/api/v1/users/"+itoa(bob.ID), body); resp.status != http.StatusBadRequest {
			t.Errorf("PATCH %v: %d %s, want 400", body, resp.status, resp.body)
		}
	}
	resp := admin.do(http.MethodPost, "/api/v1/tokens", map[string]any{"name": "x", "role": "viewer", "user_id": bob.ID})
	if resp.status != http.StatusBadRequest {
		t.Errorf("token for a directory user: %d %s, want 400", resp.status, resp.body)
	}
	// an admin's local disable holds against a correct directory password
	disabled := true
	admin.do(http.MethodPatch, "/api/v1/users/"+itoa(bob.ID), map[string]any{"disabled": disabled})
	if _, _, resp := f.ldapLogin("bob", testenv.LDAPPassword); resp.status != http.StatusUnauthorized {
		t.Errorf("locally disabled directory user: %d, want 401", resp.status)
	}
}

func TestLDAPRefresh(t *testing.T) {
	f, l := newLDAPFixture(t)
	frank, info, resp := f.ldapLogin("frank", testenv.LDAPPassword)
	if resp.status != http.StatusOK || info.User.Role != "operator" {
		t.Fatalf("frank: %d %s", resp.status, resp.body)
	}
	alice, _, _ := f.ldapLogin("alice", testenv.LDAPPassword)
	bob, _, _ := f.ldapLogin("bob", testenv.LDAPPassword)

	l.RemoveMember(t, testenv.LDAPGroupOperators, testenv.LDAPUserDN("frank"))
	l.RemoveMember(t, testenv.LDAPGroupAdmins, testenv.LDAPUserDN("alice")) // alice keeps only canteen
	l.AddMember(t, testenv.LDAPGroupViewers, testenv.LDAPUserDN("bob"))     // still operator: no change

	// before the refresh is due the sessions go on with what they had
	f.clock.Advance(ldapRefresh - time.Minute)
	for name, c := range map[string]*client{"frank": frank, "alice": alice, "bob": bob} {
		if resp := c.do(http.MethodGet, "/api/v1/auth/me", nil); resp.status != http.StatusOK {
			t.Errorf("%s before refresh: %d", name, resp.status)
		}
	}
	f.clock.Advance(2 * time.Minute)
	if resp := frank.do(http.MethodGet, "/api/v1/devices", nil); resp.status != http.StatusUnauthorized {
		t.Errorf("frank after removal: %d, want 401 (session ended)", resp.status)
	}
	if resp := alice.do(http.MethodGet, "/api/v1/devices", nil); resp.status != http.StatusUnauthorized {
		t.Errorf("alice after removal: %d, want 401", resp.status)
	}
	if resp := bob.do(http.MethodGet, "/api/v1/devices", nil); resp.status != http.StatusOK {
		t.Errorf("bob (role unchanged): %d, want 200", resp.status)
	}
	if _, _, resp := f.ldapLogin("frank", testenv.LDAPPassword); resp.status != http.StatusUnauthorized {
		t.Errorf("frank signs in again: %d, want 401", resp.status)
	}

	// demotion: bob leaves the nested operator group and keeps noc-viewers
	l.AddMember(t, testenv.LDAPGroupNorthOps, testenv.LDAPBindDN) // a group of names cannot be empty
	l.RemoveMember(t, testenv.LDAPGroupNorthOps, testenv.LDAPUserDN("bob"))
	f.clock.Advance(ldapRefresh + time.Minute)
	if resp := bob.do(http.MethodGet, "/api/v1/devices", nil); resp.status != http.StatusUnauthorized {
		t.Errorf("bob after demotion: %d, want 401 (signed out to take the new role)", resp.status)
	}
	_, info, _ = f.ldapLogin("bob", testenv.LDAPPassword)
	want := []auth.Grant{{Group: testenv.LDAPGroupViewers, Role: auth.RoleViewer}}
	if diff := cmp.Diff(want, info.User.Grants); info.User.Role != "viewer" || diff != "" {
		t.Errorf("bob after demotion: role %s, grants (-want +got):\n%s", info.User.Role, diff)
	}
}

func TestLDAPDown(t *testing.T) {
	f, l := newLDAPFixture(t)
	alice, _, _ := f.ldapLogin("alice", testenv.LDAPPassword)
	l.Stop()
	_, _, resp := f.ldapLogin("alice", testenv.LDAPPassword)
	if resp.status != http.StatusServiceUnavailable || resp.errCode() != "directory_unavailable" {
		t.Errorf("directory down: %d %s, want 503 directory_unavailable", resp.status, resp.body)
	}
	if !strings.Contains(string(resp.body), "directory unavailable") {
		t.Errorf("message does not say so: %s", resp.body)
	}
	if _, info, resp := f.ldapLogin("admin", authtest.Password); resp.status != http.StatusOK || info.User.Role != "admin" {
		t.Errorf("local break-glass admin with the directory down: %d %s", resp.status, resp.body)
	}
	// a live session survives an outage for up to two refresh periods, then ends
	f.clock.Advance(ldapRefresh + time.Minute)
	if resp := alice.do(http.MethodGet, "/api/v1/devices", nil); resp.status != http.StatusOK {
		t.Errorf("session during a short outage: %d, want 200", resp.status)
	}
	f.clock.Advance(ldapRefresh)
	if resp := alice.do(http.MethodGet, "/api/v1/devices", nil); resp.status != http.StatusUnauthorized {
		t.Errorf("session after a long outage: %d, want 401", resp.status)
	}
	l.Start()
	if _, _, resp := f.ldapLogin("alice", testenv.LDAPPassword); resp.status != http.StatusOK {
		t.Errorf("after the directory is back: %d %s", resp.status, resp.body)
	}
}

// TestLDAPScopedGrant: a group mapped to a scoped role ("… => operator regions=north
// branches=B012,B014") gives that role limited to its scope, on the session and on the stored
// user; leaving the group for an unscoped one ends the session and the next sign-in is
// unscoped. An admin cannot change a directory user's scope: the directory owns it.
func TestLDAPScopedGrant(t *testing.T) {
	l := testenv.NewLDAP(t)
	const north = "cn=north-viewers,ou=groups,dc=wardops,dc=test"
	cfg := directorytest.Config(t, l, l.URL)
	cfg.Groups = append(cfg.Groups, config.LDAPGroup{DN: north, Role: "viewer", Regions: []string{"north"}, Branches: []string{"B012", "B014"}})
	d, err := directory.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixtureWith(t, fixtureOpts{edit: func(p *auth.Params) { p.Directory, p.DirectoryRefresh = d, ldapRefresh }})
	l.Modify(t, "dn: "+north+"\nchangetype: add\nobjectClass: groupOfNames\ncn: north-viewers\nmember: "+testenv.LDAPUserDN("erin")+"\n")
	c, info, resp := f.ldapLogin("erin", testenv.LDAPPassword)
	if resp.status != http.StatusOK {
		t.Fatalf("erin in the scoped group: %d %s", resp.status, resp.body)
	}
	want := auth.Scope{Regions: []string{"north"}, Branches: []string{"B012", "B014"}}
	if info.User.Role != "viewer" || !info.User.Scope.Equal(want) {
		t.Fatalf("erin signed in as %s scoped %+v, want viewer scoped %+v", info.User.Role, info.User.Scope, want)
	}
	admin := f.login("admin")
	erin := f.userNamed(admin, "erin")
	if !erin.Scope.Equal(want) {
		t.Errorf("erin's stored scope %+v, want %+v", erin.Scope, want)
	}
	if r := admin.do(http.MethodPatch, "/api/v1/users/"+itoa(erin.ID), map[string]any{"scope": map[string]any{}}); r.status != http.StatusBadRequest {
		t.Errorf("admin clearing a directory user's scope: %d %s, want 400", r.status, r.body)
	}
	// also in the unscoped viewers group now (an unscoped grant at the same role wins): the
	// refresh ends the session, the next sign-in is unscoped
	l.AddMember(t, testenv.LDAPGroupViewers, testenv.LDAPUserDN("erin"))
	f.clock.Advance(ldapRefresh + time.Second)
	if r := c.do(http.MethodGet, "/api/v1/auth/me", nil); r.status != http.StatusUnauthorized {
		t.Errorf("session after the scope changed in the directory: %d, want 401", r.status)
	}
	_, info, _ = f.ldapLogin("erin", testenv.LDAPPassword)
	if info.User.Role != "viewer" || !info.User.Scope.All() {
		t.Errorf("erin after the move: %s scoped %+v, want an unscoped viewer", info.User.Role, info.User.Scope)
	}
}
