package web_test

import (
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/hibiken/asynq"

	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/pkg/auth/oidctest"
	"github.com/wardops/wardops/pkg/health"
	"github.com/wardops/wardops/testinfra/harness"
)

// TestSSOSignInInBrowser signs in through the dashboard's "Sign in with SSO" button in
// chromium: the real OpenID Provider's login form, the redirect back, the dashboard signed in
// with the mapped role; then a user with no mapped group sees the refusal page.
func TestSSOSignInInBrowser(t *testing.T) {
	sys := harness.Start(t, harness.Options{NoScheduler: true})
	opLn, apiLn := oidctest.Listen(t), oidctest.Listen(t)
	base := "http://" + apiLn.Addr().String()
	client := oidctest.Client{ID: "wardops", Secret: "wardops-client-secret", RedirectURIs: []string{base + "/api/v1/auth/oidc/callback"}}
	op := oidctest.Start(t, opLn, []oidctest.Client{client}, []oidctest.User{
		{Subject: "sub-ana", Username: "ana", Email: "ana@bank.example", Groups: []string{"noc-admins"}},
		{Subject: "sub-nemo", Username: "nemo", Email: "nemo@bank.example", Groups: []string{"canteen"}},
	})
	svc := authtest.NewService(t, auth.Params{Store: sys.Store, Redis: sys.Redis, Logger: sys.Logger,
		OIDC: &auth.OIDCParams{Issuer: op.Issuer, ClientID: client.ID, ClientSecret: client.Secret,
			RedirectURL: client.RedirectURIs[0], Roles: map[string]auth.OIDCGrant{"noc-admins": {Role: auth.RoleAdmin}}}})
	insp := asynq.NewInspectorFromRedisClient(sys.Redis)
	t.Cleanup(func() { _ = insp.Close() })
	srv := api.New(api.Params{Auth: svc, Store: sys.Store, Redis: sys.Redis, Client: sys.Client, Tasks: insp,
		Health: health.NewChecker(map[string]health.Check{}, time.Second), Logger: sys.Logger})
	serveOn(t, apiLn, srv)

	b := newBrowser(t)
	ctx := b.ctx
	b.do(ctx, "open dashboard", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#login-sso-link")))
	b.shot(ctx, "sso-sign-in-form")
	b.do(ctx, "click Sign in with SSO", chromedp.Click(chromedp.CSS("#login-sso-link")),
		chromedp.WaitVisible(chromedp.CSS("input#username")))
	signInAtProvider(b, "ana")
	// a poll does not survive the navigations back; waiting for an element does
	b.do(ctx, "back at the dashboard", chromedp.WaitVisible(chromedp.CSS("#logout")))
	b.wait(ctx, "signed in as ana", `document.getElementById('who')?.textContent === "ana (admin)" && document.getElementById('login')?.hidden`, 15*time.Second)
	b.shot(ctx, "sso-signed-in")

	b.do(ctx, "sign out", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login-sso-link")))
	b.do(ctx, "SSO again", chromedp.Click(chromedp.CSS("#login-sso-link")), chromedp.WaitVisible(chromedp.CSS("input#username")))
	signInAtProvider(b, "nemo")
	b.do(ctx, "refused", chromedp.WaitVisible(chromedp.CSS("#sso-error")))
	b.wait(ctx, "refusal page", `document.getElementById('sso-error')?.dataset.code === 'no_role'`, 15*time.Second)
	b.shot(ctx, "sso-refused")
	b.do(ctx, "back to sign-in", chromedp.Click(chromedp.CSS("#sso-error a")), chromedp.WaitVisible(chromedp.CSS("#login-sso-link")))
}

// signInAtProvider fills the provider's own login form (zitadel's example OP) and submits it.
func signInAtProvider(b *browser, user string) {
	b.tb.Helper()
	b.do(b.ctx, "sign in at the provider as "+user,
		chromedp.SendKeys(chromedp.CSS("input#username"), user),
		chromedp.SendKeys(chromedp.CSS("input#password"), oidctest.Password),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)))
}

// serveOn serves h on ln until the test ends.
func serveOn(t *testing.T, ln net.Listener, h http.Handler) {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
}
