package web_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/pkg/secrets"
	"github.com/wardops/wardops/testinfra/harness"
)

// TestTwoFactorBrowser drives two-factor sign-in in headless chromium with
// WARDOPS_REQUIRE_TOTP_ADMINS on: an admin without two-factor signs in and is held on the
// enrolment page (the dashboard's data answers 403 meanwhile), scans nothing but reads the
// secret under the QR code, confirms with a code, is shown ten recovery codes once, signs
// out, signs in again through the code step (a wrong code is refused on the page) with a
// recovery code, and is in the dashboard.
func TestTwoFactorBrowser(t *testing.T) {
	box, err := secrets.New(bytes.Repeat([]byte{9}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	sys := harness.Start(t, harness.Options{NoScheduler: true, Auth: func(p *auth.Params) {
		p.Secrets, p.RequireTOTPAdmins = box, true
	}})
	front := startFront(t, sys, nil)
	authtest.User(t, sys.Auth, "noc-admin", auth.RoleAdmin)
	x := &admin{t: t, sys: sys, front: front, b: newBrowser(t)}
	x.ctx = x.b.ctx
	b, ctx := x.b, x.ctx

	x.signIn("noc-admin", authtest.Password, "noc-admin (admin)")
	b.wait(ctx, "held on the enrolment page", `location.hash === '#/security' && !!document.getElementById('totp-start')`, 10*time.Second)
	if !strings.Contains(eval[string](b, ctx, `document.querySelector('.security-card').textContent`), "must set up two-factor") {
		t.Error("the enrolment page does not say that admins must enrol")
	}
	b.do(ctx, "try the devices page", chromedp.Navigate(front.URL()+"/#/devices"))
	b.wait(ctx, "sent back to enrolment", `location.hash === '#/security' && !!document.getElementById('totp-start')`, 10*time.Second)
	x.shot("totp-required")

	x.click("start enrolment", "#totp-start")
	b.wait(ctx, "QR code shown", `document.getElementById('totp-qr')?.complete && document.getElementById('totp-qr').naturalWidth === 256`, 10*time.Second)
	x.shot("totp-enrol")
	secret := strings.ReplaceAll(eval[string](b, ctx, `document.getElementById('totp-secret').textContent`), " ", "")
	x.set("totp-code", "000000")
	x.click("confirm a wrong code", ".totp-confirm button")
	b.wait(ctx, "wrong code refused", `!document.querySelector('.totp-confirm .error').hidden`, 10*time.Second)
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatalf("code from the page's secret %q: %v", secret, err)
	}
	x.set("totp-code", code)
	x.click("confirm", ".totp-confirm button")
	b.wait(ctx, "recovery codes shown", `document.querySelectorAll('#recovery-codes li').length === 10`, 10*time.Second)
	x.shot("totp-recovery-codes")
	recovery := eval[string](b, ctx, `document.querySelector('#recovery-codes li:nth-child(4)').textContent`)

	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	b.do(wctx, "sign out", chromedp.Navigate(front.URL()+"/#/"), chromedp.WaitVisible(chromedp.CSS("#logout")),
		chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login-user")))
	x.set("login-user", "noc-admin")
	x.set("login-pass", authtest.Password)
	x.click("password step", "#login-form button")
	b.wait(ctx, "code step", `!document.getElementById('login-code-form').hidden && document.getElementById('login-form').hidden`, 10*time.Second)
	x.set("login-code", "123456")
	x.click("wrong code", "#login-code-form button[type=submit]")
	b.wait(ctx, "wrong code shown", `document.getElementById('login-code-error').textContent === 'Wrong or already used code.'`, 10*time.Second)
	x.shot("login-code-step")
	x.click("use a recovery code", "#login-code-switch")
	x.set("login-code", recovery)
	x.click("recovery code", "#login-code-form button[type=submit]")
	b.wait(ctx, "signed in with a recovery code", fmt.Sprintf(`document.getElementById('who').textContent === %q && document.getElementById('login').hidden`,
		"noc-admin (admin)"), 10*time.Second)
	b.do(ctx, "open devices", chromedp.Navigate(front.URL()+"/#/devices"))
	b.wait(ctx, "devices page", `location.hash === '#/devices' && !document.getElementById('totp-start')`, 10*time.Second)
}
