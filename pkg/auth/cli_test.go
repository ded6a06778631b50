package auth_test

import (
	"bytes"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
)

func TestBootstrap(t *testing.T) {
	t.Parallel()
	svc := authtest.NewService(t, auth.Params{})
	ctx := authtest.SystemCtx(t)
	steps := []struct {
		name    string
		pw      string
		want    bool
		wantErr error
	}{
		{"no password, no users", "", false, nil},
		{"weak password", "short", false, auth.ErrWeakPassword},
		{"creates admin", "bootstrap password 1", true, nil},
		{"second start keeps it", "bootstrap password 2", false, nil},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			got, err := svc.Bootstrap(ctx, s.pw)
			if !errors.Is(err, s.wantErr) || got != s.want {
				t.Errorf("Bootstrap = %v, %v; want %v, %v", got, err, s.want, s.wantErr)
			}
		})
	}
	if err := svc.CheckPassword(ctx, "admin", "bootstrap password 1", "127.0.0.1"); err != nil {
		t.Errorf("bootstrap admin cannot sign in: %v", err)
	}
}

func TestRunCLI(t *testing.T) {
	svc := authtest.NewService(t, auth.Params{})
	ctx := authtest.SystemCtx(t)
	t.Setenv("NEW_PW", "password from the env")
	run := func(stdin string, args ...string) (string, error) {
		var out bytes.Buffer
		err := auth.RunCLI(ctx, args, svc, strings.NewReader(stdin), &out)
		return out.String(), err
	}
	steps := []struct {
		name    string
		stdin   string
		args    []string
		wantOut string // regexp
		wantErr error
	}{
		{"add admin from stdin", "piped admin password\n", []string{"user", "add", "root", "--role", "admin"}, `user root \(id \d+\) created with role admin`, nil},
		{"add with flags first", "piped user password\n", []string{"user", "add", "--role", "operator", "opal"}, `user opal .* role operator`, nil},
		{"passwd from env", "", []string{"user", "passwd", "opal", "--password-env", "NEW_PW"}, `password of opal changed`, nil},
		{"missing env", "", []string{"user", "passwd", "opal", "--password-env", "UNSET_VAR_X"}, ``, nil},
		{"disable", "", []string{"user", "disable", "opal"}, `user opal disabled`, nil},
		{"scope", "", []string{"user", "scope", "opal", "--regions", " North ,South,North", "--branches", "BR-9"}, `scope of opal is now regions North,South; branches BR-9`, nil},
		{"add scoped", "piped user password\n", []string{"user", "add", "vic", "--branches", "BR-1"}, `user vic .* role viewer, scope branches BR-1`, nil},
		{"token", "", []string{"token", "create", "--name", "ci", "--role", "viewer", "--user", "root", "--expires-in-days", "7"}, `(?s)token \d+ "ci" \(role viewer, user root.*\nwdo_[A-Za-z0-9_-]{43}\n`, nil},
		{"display token", "", []string{"token", "create", "--display", "--name", "wall-1", "--user", "root"},
			`(?s)display token \d+ "wall-1" \(role viewer, user root, expires never\).*\nwdo_[A-Za-z0-9_-]{43}\nopen the wall screen at \S+#/wall\?display=wdo_`, nil},
		{"display token not admin", "", []string{"token", "create", "--display", "--name", "wall-2", "--role", "admin", "--user", "root"}, ``, nil},
		{"revoke", "", []string{"token", "revoke", "1"}, `token 1 revoked`, nil},
		{"unknown", "", []string{"user", "frobnicate"}, ``, auth.ErrUsage},
		{"bad role", "x\n", []string{"user", "add", "zed", "--role", "god"}, ``, auth.ErrUsage},
		{"list", "", []string{"user", "list"}, `(?s)root\s+admin\s+all devices\s+false.*opal\s+operator\s+regions North,South; branches BR-9\s+true`, nil},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			out, err := run(s.stdin, s.args...)
			if s.name == "display token not admin" {
				var ie *auth.InputError
				if !errors.As(err, &ie) || ie.Field != "role" {
					t.Errorf("err = %v, want an InputError on role", err)
				}
				return
			}
			if s.name == "missing env" {
				if err == nil || !strings.Contains(err.Error(), "UNSET_VAR_X") {
					t.Errorf("err = %v, want one naming the variable", err)
				}
				return
			}
			if !errors.Is(err, s.wantErr) {
				t.Fatalf("err = %v, want %v", err, s.wantErr)
			}
			if !regexp.MustCompile(s.wantOut).MatchString(out) {
				t.Errorf("output %q does not match %q", out, s.wantOut)
			}
			authtest.AssertNoSecrets(t, "cli output", []byte(out), "piped admin password", "password from the env")
		})
	}
	var ie *auth.InputError
	if _, err := run("", "user", "scope", "root", "--regions", "North"); !errors.As(err, &ie) || ie.Field != "scope" {
		t.Errorf("scoping an admin: err = %v, want an InputError on scope", err)
	}
	for user, pw := range map[string]string{"root": "piped admin password", "opal": "password from the env"} {
		err := svc.CheckPassword(ctx, user, pw, "127.0.0.1")
		want := map[string]error{"root": nil, "opal": auth.ErrInvalidCredentials}[user] // opal is disabled
		if !errors.Is(err, want) {
			t.Errorf("sign-in %s: %v, want %v", user, err, want)
		}
	}
}

func TestCLIChangesAreAudited(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var out bytes.Buffer
	if err := auth.RunCLI(authtest.SystemCtx(t), []string{"user", "add", "cli-made"}, f.svc, strings.NewReader("cli user password\n"), &out); err != nil {
		t.Fatal(err)
	}
	var page struct {
		Entries []auth.AuditView `json:"entries"`
	}
	f.login("admin").do(http.MethodGet, "/api/v1/audit?action=user.create&limit=1", nil).decode(t, &page)
	got := []string{page.Entries[0].ActorName, page.Entries[0].Via}
	if diff := cmp.Diff([]string{"cli", "cli"}, got); diff != "" {
		t.Errorf("actor (-want +got):\n%s", diff)
	}
}
