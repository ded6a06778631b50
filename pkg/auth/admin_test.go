package auth_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
)

func TestUsersAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.login("admin")
	type call struct {
		name       string
		method     string
		path       string
		body       any
		wantStatus int
		wantField  string
	}
	calls := []call{
		{"create", "POST", "/api/v1/users", map[string]any{"username": "Carol", "role": "operator", "password": "a good long password"}, 201, ""},
		{"duplicate", "POST", "/api/v1/users", map[string]any{"username": "carol", "role": "viewer", "password": "a good long password"}, 409, "username"},
		{"weak password", "POST", "/api/v1/users", map[string]any{"username": "dave", "role": "viewer", "password": "short"}, 400, "password"},
		{"bad role", "POST", "/api/v1/users", map[string]any{"username": "dave", "role": "root", "password": "a good long password"}, 400, "role"},
		{"bad name", "POST", "/api/v1/users", map[string]any{"username": "da ve", "role": "viewer", "password": "a good long password"}, 400, "username"},
		{"unknown field", "POST", "/api/v1/users", map[string]any{"username": "dave", "role": "viewer", "password": "a good long password", "is_admin": true}, 400, "is_admin"},
		{"smuggled duplicate", "POST", "/api/v1/users", `{"username":"dave","role":"viewer","Role":"admin","password":"a good long password"}`, 400, "Role"},
		{"trailing data", "POST", "/api/v1/users", `{"username":"dave","role":"viewer","password":"a good long password"} {}`, 400, ""},
		{"bad id", "GET", "/api/v1/users/abc", nil, 400, "id"},
		{"missing", "GET", "/api/v1/users/99999", nil, 404, ""},
		{"demote last admin", "PATCH", fmt.Sprintf("/api/v1/users/%d", f.users["admin"]), map[string]any{"role": "viewer"}, 409, ""},
		{"disable self", "PATCH", fmt.Sprintf("/api/v1/users/%d", f.users["admin"]), map[string]any{"disabled": true}, 409, "disabled"},
		{"delete self", "DELETE", fmt.Sprintf("/api/v1/users/%d", f.users["admin"]), nil, 409, "id"},
		{"delete viewer", "DELETE", fmt.Sprintf("/api/v1/users/%d", f.users["viewer"]), nil, 204, ""},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			resp := admin.do(c.method, c.path, c.body)
			var body struct {
				Error struct{ Field string } `json:"error"`
			}
			_ = json.Unmarshal(resp.body, &body)
			got := []any{resp.status, body.Error.Field}
			if diff := cmp.Diff([]any{c.wantStatus, c.wantField}, got); diff != "" {
				t.Errorf("(-want +got):\n%s\n%s", diff, resp.body)
			}
			authtest.AssertNoSecrets(t, "response", resp.body, "a good long password", "$argon2id")
		})
	}
	var list struct {
		Users []auth.UserView `json:"users"`
	}
	admin.do("GET", "/api/v1/users", nil).decode(t, &list)
	var names []string
	for _, u := range list.Users {
		names = append(names, u.Username+":"+u.Role)
	}
	if diff := cmp.Diff([]string{"admin:admin", "operator:operator", "carol:operator"}, names); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}
	if r, resp := f.tryLogin(f.anon(), "CAROL", "a good long password"); r.Status != http.StatusOK {
		t.Errorf("new user cannot sign in: %s", resp.body)
	}
}

func TestAuditAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.login("admin")
	admin.do("POST", "/api/v1/users", map[string]any{"username": "erin", "role": "viewer", "password": "erin's long password"})
	admin.do("POST", "/api/v1/devices", map[string]any{}) // audited by the safety-net middleware
	f.tryLogin(f.anon(), "erin", "bad password here")

	var page struct {
		Entries    []auth.AuditView `json:"entries"`
		NextCursor *string          `json:"next_cursor"`
	}
	admin.do("GET", "/api/v1/audit", nil).decode(t, &page)
	var got []string
	for _, e := range page.Entries {
		got = append(got, e.ActorName+" "+e.Action+" "+e.TargetType)
	}
	want := []string{
		" auth.login_failed user",
		"admin http.POST /api/v1/devices route",
		"admin user.create user",
		"admin auth.login user",
		"test user.create user", "test user.create user", "test user.create user",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
	if ip := page.Entries[1].ClientIP; ip == nil || *ip != "127.0.0.1" {
		t.Errorf("client ip = %v", ip)
	}
	raw := admin.do("GET", "/api/v1/audit", nil).body
	authtest.AssertNoSecrets(t, "audit", raw, "erin's long password", authtest.Password, "bad password here", "$argon2id")

	var first struct {
		Entries    []auth.AuditView `json:"entries"`
		NextCursor *string          `json:"next_cursor"`
	}
	admin.do("GET", "/api/v1/audit?limit=4", nil).decode(t, &first)
	if first.NextCursor == nil || len(first.Entries) != 4 {
		t.Fatalf("first page: %d entries, cursor %v", len(first.Entries), first.NextCursor)
	}
	var second struct {
		Entries    []auth.AuditView `json:"entries"`
		NextCursor *string          `json:"next_cursor"`
	}
	admin.do("GET", "/api/v1/audit?limit=4&cursor="+*first.NextCursor, nil).decode(t, &second)
	if len(second.Entries) != 3 || second.NextCursor != nil || second.Entries[0].ID >= first.Entries[3].ID {
		t.Errorf("second page: %+v", second)
	}
}

// TestAuditFiltersRejectOrIgnoreInjection sends SQL-injection and malformed strings in every
// filter: each answer is 200 (a normal, possibly empty, result) or 400, never 500.
func TestAuditFiltersRejectOrIgnoreInjection(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.login("admin")
	evil := []string{
		"' OR '1'='1", "1; DROP TABLE users; --", `"; SELECT pg_sleep(10); --`, "%", "_", `\`, "*", "%*",
		"admin'--", "1) OR (1=1", "' UNION SELECT password_hash FROM users --", "\x00", "\xff\xfe",
		strings.Repeat("a", 300), "-1", "0", "99999999999999999999", "1e9", "NaN", "::1", "127.0.0.1/8",
		"2026-13-45T00:00:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-01-01T00:00:00+23:59",
	}
	params := []string{"actor", "action", "target_type", "target_id", "client_ip", "since", "until", "cursor", "limit", "bogus"}
	for _, p := range params {
		for i, v := range evil {
			resp := admin.do("GET", "/api/v1/audit?"+p+"="+url.QueryEscape(v), nil)
			if resp.status != http.StatusOK && resp.status != http.StatusBadRequest {
				t.Errorf("%s=%q (#%d): %d %s", p, v, i, resp.status, resp.body)
			}
			if resp.status == http.StatusBadRequest && !strings.Contains(string(resp.body), `"field":"`+p+`"`) {
				t.Errorf("%s=%q: 400 without the field: %s", p, v, resp.body)
			}
		}
	}
	if resp := admin.do("GET", "/api/v1/audit?actor=a&actor=b", nil); resp.status != http.StatusBadRequest {
		t.Errorf("repeated parameter: %d", resp.status)
	}
	if resp := admin.do("GET", "/api/v1/users", nil); resp.status != http.StatusOK {
		t.Errorf("users table damaged? %d", resp.status)
	}
}
