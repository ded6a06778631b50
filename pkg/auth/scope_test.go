package auth_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
)

func TestScopeContains(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name           string
		scope          auth.Scope
		region, branch string
		want           bool
	}{
		{"unlimited", auth.Scope{}, "North", "BR-1", true},
		{"empty lists are unlimited", auth.Scope{Regions: []string{}, Branches: []string{}}, "x", "y", true},
		{"region in", auth.Scope{Regions: []string{"North"}}, "North", "BR-1", true},
		{"region out", auth.Scope{Regions: []string{"North"}}, "South", "BR-1", false},
		{"region is exact", auth.Scope{Regions: []string{"North"}}, "north", "BR-1", false},
		{"branch in", auth.Scope{Branches: []string{"BR-2"}}, "South", "BR-2", true},
		{"branch out", auth.Scope{Branches: []string{"BR-2"}}, "North", "BR-1", false},
		{"union: the branch", auth.Scope{Regions: []string{"North"}, Branches: []string{"BR-9"}}, "South", "BR-9", true},
		{"union: the region", auth.Scope{Regions: []string{"North"}, Branches: []string{"BR-9"}}, "North", "BR-1", true},
		{"union: neither", auth.Scope{Regions: []string{"North"}, Branches: []string{"BR-9"}}, "South", "BR-1", false},
		{"device without a region", auth.Scope{Regions: []string{"North"}}, "", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.scope.Contains(c.region, c.branch); got != c.want {
				t.Errorf("Contains(%q, %q) = %v, want %v", c.region, c.branch, got, c.want)
			}
		})
	}
}

// TestUserScopeAPI sets scopes through the admin API: validated, normalised, refused on an
// admin with a clear 400, audited with before and after.
func TestUserScopeAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.login("admin")
	pw := authtest.Password
	var created auth.UserView
	resp := admin.do("POST", "/api/v1/users", map[string]any{"username": "nora", "role": "operator", "password": pw,
		"scope": map[string]any{"regions": []string{" North", "North", "Coast"}}})
	if resp.status != http.StatusCreated {
		t.Fatalf("create scoped operator: %d %s", resp.status, resp.body)
	}
	resp.decode(t, &created)
	if diff := cmp.Diff(auth.Scope{Regions: []string{"Coast", "North"}, Branches: []string{}}, created.Scope); diff != "" {
		t.Errorf("stored scope (-want +got):\n%s", diff)
	}
	nora := fmt.Sprintf("/api/v1/users/%d", created.ID)
	type call struct {
		name       string
		method     string
		path       string
		body       any
		wantStatus int
		wantField  string
	}
	calls := []call{
		{"scoped admin refused", "POST", "/api/v1/users", map[string]any{"username": "ann", "role": "admin", "password": pw,
			"scope": map[string]any{"branches": []string{"BR-1"}}}, 400, "scope"},
		{"empty region", "POST", "/api/v1/users", map[string]any{"username": "ann", "role": "viewer", "password": pw,
			"scope": map[string]any{"regions": []string{" "}}}, 400, "scope.regions"},
		{"control character", "POST", "/api/v1/users", map[string]any{"username": "ann", "role": "viewer", "password": pw,
			"scope": map[string]any{"branches": []string{"BR\u202e1"}}}, 400, "scope.branches"},
		{"too long", "POST", "/api/v1/users", map[string]any{"username": "ann", "role": "viewer", "password": pw,
			"scope": map[string]any{"branches": []string{strings.Repeat("b", 101)}}}, 400, "scope.branches"},
		{"unknown scope field", "POST", "/api/v1/users", map[string]any{"username": "ann", "role": "viewer", "password": pw,
			"scope": map[string]any{"types": []string{"atm"}}}, 400, "scope.types"},
		{"promote keeping the scope", "PATCH", nora, map[string]any{"role": "admin"}, 400, "scope"},
		{"scope the admin", "PATCH", fmt.Sprintf("/api/v1/users/%d", f.users["admin"]), map[string]any{"scope": map[string]any{"regions": []string{"North"}}}, 400, "scope"},
		{"narrow to a branch", "PATCH", nora, map[string]any{"scope": map[string]any{"branches": []string{"BR-7"}}}, 200, ""},
		{"promote clearing the scope", "PATCH", nora, map[string]any{"role": "admin", "scope": map[string]any{}}, 200, ""},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			resp := admin.do(c.method, c.path, c.body)
			var body struct {
				Error struct{ Field string } `json:"error"`
			}
			_ = json.Unmarshal(resp.body, &body)
			if diff := cmp.Diff([]any{c.wantStatus, c.wantField}, []any{resp.status, body.Error.Field}); diff != "" {
				t.Errorf("(-want +got):\n%s\n%s", diff, resp.body)
			}
		})
	}
	var page struct {
		Entries []auth.AuditView `json:"entries"`
	}
	admin.do("GET", fmt.Sprintf("/api/v1/audit?action=user.update&target_id=%d", created.ID), nil).decode(t, &page)
	if len(page.Entries) != 2 {
		t.Fatalf("audit: %d user.update entries, want 2 (the refused changes are not applied): %+v", len(page.Entries), page.Entries)
	}
	narrowed := page.Entries[1]                  // newest first: [promote, narrow]
	var before, after struct{ Scope auth.Scope } // the audit redacts some fields of a user view
	testDecode(t, narrowed.Before, &before)
	testDecode(t, narrowed.After, &after)
	if diff := cmp.Diff([]auth.Scope{{Regions: []string{"Coast", "North"}, Branches: []string{}}, {Regions: []string{}, Branches: []string{"BR-7"}}},
		[]auth.Scope{before.Scope, after.Scope}); diff != "" {
		t.Errorf("audited scope before/after (-want +got):\n%s", diff)
	}
}

func testDecode(t *testing.T, raw any, v any) {
	t.Helper()
	b, err := json.Marshal(raw)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		t.Fatalf("decode %v: %v", raw, err)
	}
}

// TestScopeReachesIdentity checks that sessions and tokens carry the user's scope, that a token
// follows its user's scope at once, and that a scope change ends the user's sessions (a session
// holds the scope it signed in with).
func TestScopeReachesIdentity(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.login("admin")
	north := auth.Scope{Regions: []string{"North"}, Branches: []string{}}
	u := authtest.ScopedUser(t, f.svc, "sam", auth.RoleOperator, north)
	sess := f.login("sam")
	secret, _, err := f.svc.CreateToken(authtest.SystemCtx(t), auth.NewToken{Name: "sam's script", UserID: u.ID, Role: auth.RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	tok := f.withToken(secret)
	me := func(c *client) (int, auth.Scope) {
		resp := c.do("GET", "/api/v1/auth/me", nil)
		var info auth.SessionInfo
		if resp.status == http.StatusOK {
			resp.decode(t, &info)
		}
		return resp.status, info.User.Scope
	}
	for name, c := range map[string]*client{"session": sess, "token": tok} {
		if st, sc := me(c); st != 200 || !cmp.Equal(north, sc) {
			t.Errorf("%s: me = %d %+v, want 200 %+v", name, st, sc, north)
		}
	}
	if st, sc := me(admin); st != 200 || !sc.All() {
		t.Errorf("admin: me = %d %+v, want an unlimited scope", st, sc)
	}
	branch := auth.Scope{Regions: []string{}, Branches: []string{"BR-2"}}
	if resp := admin.do("PATCH", fmt.Sprintf("/api/v1/users/%d", u.ID), map[string]any{"scope": branch}); resp.status != 200 {
		t.Fatalf("change scope: %d %s", resp.status, resp.body)
	}
	if st, _ := me(sess); st != http.StatusUnauthorized {
		t.Errorf("session after a scope change: %d, want 401 (ended)", st)
	}
	if st, sc := me(tok); st != 200 || !cmp.Equal(branch, sc) {
		t.Errorf("token after a scope change: %d %+v, want 200 %+v", st, sc, branch)
	}
	if st, sc := me(f.login("sam")); st != 200 || !cmp.Equal(branch, sc) {
		t.Errorf("new session: %d %+v, want 200 %+v", st, sc, branch)
	}
}
