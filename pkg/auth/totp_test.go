package auth_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pquerna/otp/totp"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/pkg/secrets"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

// newTOTPFixture is the fixture app with a secret box (two-factor possible) and its pool.
func newTOTPFixture(t *testing.T, requireAdmins bool) (*fixture, *pgxpool.Pool) {
	t.Helper()
	box, err := secrets.New(bytes.Repeat([]byte{7}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	pool := testenv.NewDB(t)
	f := newFixtureWith(t, fixtureOpts{edit: func(p *auth.Params) {
		p.Store = store.New(pool, 10*time.Second, p.Logger)
		p.Secrets, p.RequireTOTPAdmins = box, requireAdmins
	}})
	return f, pool
}

// enrol turns two-factor on for the session c and returns the secret and recovery codes.
func (f *fixture) enrol(c *client) (string, []string) {
	f.t.Helper()
	var e auth.Enrolment
	resp := c.do(http.MethodPost, "/api/v1/auth/totp/enroll", map[string]string{})
	if resp.status != http.StatusOK {
		f.t.Fatalf("enroll: %d %s", resp.status, resp.body)
	}
	resp.decode(f.t, &e)
	code, _ := totp.GenerateCode(e.Secret, f.clock.Now())
	resp = c.do(http.MethodPost, "/api/v1/auth/totp/confirm", map[string]string{"code": code})
	if resp.status != http.StatusOK {
		f.t.Fatalf("confirm: %d %s", resp.status, resp.body)
	}
	var rc auth.RecoveryCodes
	resp.decode(f.t, &rc)
	return e.Secret, rc.RecoveryCodes
}

// passwordStep sends the password of user and returns the pending token of the code step.
func (f *fixture) passwordStep(c *client, user string) string {
	f.t.Helper()
	resp := c.do(http.MethodPost, "/api/v1/auth/login", map[string]string{"username": user, "password": authtest.Password})
	var ch auth.MFAChallenge
	resp.decode(f.t, &ch)
	if resp.status != http.StatusOK || !ch.MFARequired || ch.MFAToken == "" {
		f.t.Fatalf("password step of %s: %d %s", user, resp.status, resp.body)
	}
	for _, ck := range resp.header.Values("Set-Cookie") {
		if strings.HasPrefix(ck, auth.SessionCookie+"=") && !strings.HasPrefix(ck, auth.SessionCookie+"=;") {
			f.t.Errorf("the password step set a session cookie: %s", ck)
		}
	}
	return ch.MFAToken
}

func (f *fixture) codeStep(c *client, token string, body map[string]string) response {
	f.t.Helper()
	body["mfa_token"] = token
	resp := c.do(http.MethodPost, "/api/v1/auth/login/totp", body)
	if resp.status == http.StatusOK {
		var info auth.SessionInfo
		resp.decode(f.t, &info)
		c.csrf = info.CSRFToken
	}
	return resp
}

func TestTOTPEnrolment(t *testing.T) {
	t.Parallel()
	f, pool := newTOTPFixture(t, false)
	op := f.login("operator")
	var e auth.Enrolment
	op.do(http.MethodPost, "/api/v1/auth/totp/enroll", map[string]string{}).decode(t, &e)
	if !strings.HasPrefix(e.URL, "otpauth://totp/WardOps:operator?") || !strings.Contains(e.URL, "secret="+e.Secret) {
		t.Errorf("otpauth URL %q", e.URL)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(e.QRCode, "data:image/png;base64,"))
	if err != nil {
		t.Fatalf("QR data URL: %v", err)
	}
	if img, err := png.Decode(bytes.NewReader(raw)); err != nil || img.Bounds().Dx() != 256 {
		t.Errorf("QR PNG: %v", err)
	}
	// sealed at rest: the column holds no form of the secret
	var stored string
	testenv.Must(t, "read secret", pool.QueryRow(context.Background(),
		`SELECT totp_secret FROM users WHERE username = 'operator'`).Scan(&stored))
	if !secrets.IsSealed(stored) {
		t.Errorf("totp_secret is not sealed: %q", stored)
	}
	authtest.AssertNoSecrets(t, "users.totp_secret", []byte(stored), e.Secret)

	if resp := op.do(http.MethodPost, "/api/v1/auth/totp/confirm", map[string]string{"code": "000000"}); resp.status != http.StatusBadRequest {
		t.Errorf("wrong confirm code: %d %s", resp.status, resp.body)
	}
	code, _ := totp.GenerateCode(e.Secret, f.clock.Now())
	resp := op.do(http.MethodPost, "/api/v1/auth/totp/confirm", map[string]string{"code": code})
	var rc auth.RecoveryCodes
	resp.decode(t, &rc)
	if resp.status != http.StatusOK || len(rc.RecoveryCodes) != auth.RecoveryCodeCount {
		t.Fatalf("confirm: %d %s", resp.status, resp.body)
	}
	var hashes int
	testenv.Must(t, "count codes", pool.QueryRow(context.Background(),
		`SELECT count(*) FROM user_recovery_codes r JOIN users u ON u.id = r.user_id
		WHERE u.username = 'operator' AND length(r.code_hash) = 32 AND position(convert_to($1, 'UTF8') IN r.code_hash) = 0`,
		rc.RecoveryCodes[0]).Scan(&hashes))
	if hashes != auth.RecoveryCodeCount {
		t.Errorf("%d hashed recovery codes stored", hashes)
	}
	var me auth.SessionInfo
	op.do(http.MethodGet, "/api/v1/auth/me", nil).decode(t, &me)
	if !me.User.TOTP {
		t.Errorf("me after enrolment: %+v", me.User)
	}
	if resp := op.do(http.MethodPost, "/api/v1/auth/totp/enroll", map[string]string{}); resp.status != http.StatusConflict {
		t.Errorf("second enrolment: %d, want 409", resp.status)
	}
	// the confirming code is spent: it cannot sign in within its window
	c := f.anon()
	if resp := f.codeStep(c, f.passwordStep(c, "operator"), map[string]string{"code": code}); resp.status != http.StatusUnauthorized {
		t.Errorf("the enrolment code signed in: %d", resp.status)
	}
}

func TestTOTPSignIn(t *testing.T) {
	t.Parallel()
	f, _ := newTOTPFixture(t, false)
	secret, recovery := f.enrol(f.login("viewer"))

	c := f.anon()
	token := f.passwordStep(c, "viewer")
	if resp := c.do(http.MethodGet, "/api/v1/auth/me", nil); resp.status != http.StatusUnauthorized {
		t.Errorf("signed in after the password alone: %d", resp.status)
	}
	if resp := f.codeStep(c, token, map[string]string{"code": "123456"}); resp.status != http.StatusUnauthorized || resp.errCode() != "invalid_code" {
		t.Errorf("wrong code: %d %s", resp.status, resp.body)
	}
	f.clock.Advance(30 * time.Second)
	code, _ := totp.GenerateCode(secret, f.clock.Now())
	if resp := f.codeStep(c, token, map[string]string{"code": code}); resp.status != http.StatusOK {
		t.Fatalf("right code: %d %s", resp.status, resp.body)
	}
	if resp := c.do(http.MethodGet, "/api/v1/devices", nil); resp.status != http.StatusOK {
		t.Errorf("after the code step: %d", resp.status)
	}
	if resp := f.codeStep(c, token, map[string]string{"code": code}); resp.status != http.StatusUnauthorized || resp.errCode() != "mfa_expired" {
		t.Errorf("pending token used twice: %d %s", resp.status, resp.body)
	}

	// replay: the same code in a fresh password step, inside its 30 s window
	c2 := f.anon()
	if resp := f.codeStep(c2, f.passwordStep(c2, "viewer"), map[string]string{"code": code}); resp.status != http.StatusUnauthorized {
		t.Errorf("replayed code: %d %s", resp.status, resp.body)
	}
	// a recovery code signs in once (typed in capitals, without dashes)
	typed := strings.ToUpper(strings.ReplaceAll(recovery[3], "-", ""))
	if resp := f.codeStep(c2, f.passwordStep(c2, "viewer"), map[string]string{"recovery_code": typed}); resp.status != http.StatusOK {
		t.Errorf("recovery code: %d %s", resp.status, resp.body)
	}
	c3 := f.anon()
	if resp := f.codeStep(c3, f.passwordStep(c3, "viewer"), map[string]string{"recovery_code": recovery[3]}); resp.status != http.StatusUnauthorized {
		t.Errorf("recovery code used twice: %d %s", resp.status, resp.body)
	}
	// a code from another user's secret, or a pending token of another address, does nothing
	if resp := f.codeStep(c3, "made-up-token", map[string]string{"code": code}); resp.status != http.StatusUnauthorized {
		t.Errorf("made-up token: %d", resp.status)
	}
}

func TestTOTPCodesThrottled(t *testing.T) {
	t.Parallel()
	f, _ := newTOTPFixture(t, false)
	secret, _ := f.enrol(f.login("operator"))
	c := f.anon()
	token := f.passwordStep(c, "operator")
	var got []string
	for range 6 {
		resp := f.codeStep(c, token, map[string]string{"code": "000000"})
		got = append(got, itoa(int64(resp.status))+" "+resp.errCode())
	}
	// the password step and four wrong codes use the user's five free failures; the fifth code
	// waits; five tries per password step, so the sixth finds the pending sign-in gone
	want := []string{"401 invalid_code", "401 invalid_code", "401 invalid_code", "401 invalid_code",
		"429 throttled", "401 mfa_expired"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("code attempts (-want +got):\n%s", diff)
	}
	code, _ := totp.GenerateCode(secret, f.clock.Now())
	if resp := f.codeStep(c, token, map[string]string{"code": code}); resp.errCode() != "mfa_expired" {
		t.Errorf("after 5 tries the token still works: %d %s", resp.status, resp.body)
	}
	// code failures count with password failures: the next password step waits too
	resp := c.do(http.MethodPost, "/api/v1/auth/login", map[string]string{"username": "operator", "password": authtest.Password})
	if resp.status != http.StatusTooManyRequests {
		t.Errorf("password after failed codes: %d %s, want 429", resp.status, resp.body)
	}
}

func TestTOTPAdminReset(t *testing.T) {
	t.Parallel()
	f, _ := newTOTPFixture(t, false)
	f.enrol(f.login("viewer"))
	admin := f.login("admin")
	if resp := f.login("operator").do(http.MethodDelete, "/api/v1/users/"+itoa(f.users["viewer"])+"/totp", nil); resp.status != http.StatusForbidden {
		t.Errorf("operator reset: %d, want 403", resp.status)
	}
	if resp := admin.do(http.MethodDelete, "/api/v1/users/"+itoa(f.users["viewer"])+"/totp", nil); resp.status != http.StatusNoContent {
		t.Fatalf("reset: %d %s", resp.status, resp.body)
	}
	if c := f.login("viewer"); c == nil { // password alone signs in again
		t.Fatal("no session")
	}
	var page struct {
		Entries []auth.AuditView `json:"entries"`
	}
	admin.do(http.MethodGet, "/api/v1/audit?action=user.totp_*", nil).decode(t, &page)
	var got []string
	for _, e := range page.Entries {
		got = append(got, e.ActorName+" "+e.Action)
	}
	want := "admin user.totp_reset,viewer user.totp_enable,viewer user.totp_enrol_start"
	if strings.Join(got, ",") != want {
		t.Errorf("audit %v, want %s", got, want)
	}
}

func TestRequireTOTPForAdmins(t *testing.T) {
	t.Parallel()
	f, _ := newTOTPFixture(t, true)
	admin := f.login("admin")
	var me auth.SessionInfo
	admin.do(http.MethodGet, "/api/v1/auth/me", nil).decode(t, &me)
	if !me.TOTPEnrollmentRequired {
		t.Errorf("me: %+v", me)
	}
	for _, rt := range []route{{"GET", "/api/v1/devices"}, {"GET", "/api/v1/users"}, {"POST", "/api/v1/tokens"}} {
		if resp := admin.do(rt.method, rt.path, nil); resp.status != http.StatusForbidden || resp.errCode() != "totp_enrollment_required" {
			t.Errorf("%s %s before enrolment: %d %s", rt.method, rt.path, resp.status, resp.body)
		}
	}
	if resp := f.login("operator").do(http.MethodGet, "/api/v1/devices", nil); resp.status != http.StatusOK {
		t.Errorf("operators are not forced: %d", resp.status)
	}
	f.enrol(admin)
	if resp := admin.do(http.MethodGet, "/api/v1/users", nil); resp.status != http.StatusOK {
		t.Errorf("after enrolment: %d %s", resp.status, resp.body)
	}
}

// TestTOTPEnrolmentCallers: enrolment is for signed-in sessions of local users; a bearer token
// is no sign-in, anonymous callers are refused by the guard, and without a secret key the
// answer says so.
func TestTOTPEnrolmentCallers(t *testing.T) {
	t.Parallel()
	f := newFixture(t) // no secret box
	cases := []struct {
		name   string
		c      *client
		status int
		code   string
	}{
		{"anonymous", f.anon(), http.StatusUnauthorized, "unauthenticated"},
		{"viewer token", f.withToken(authtest.Token(t, f.svc, auth.RoleViewer)), http.StatusForbidden, "forbidden"},
		{"viewer session without a secret key", f.login("viewer"), http.StatusConflict, "no_secret_key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := tc.c.do(http.MethodPost, "/api/v1/auth/totp/enroll", map[string]string{})
			if resp.status != tc.status || resp.errCode() != tc.code {
				t.Errorf("got %d %s, want %d %s", resp.status, resp.body, tc.status, tc.code)
			}
		})
	}
}
