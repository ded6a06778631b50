package web_test

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/testinfra/harness"
)

// TestLiveStreamEnds drives the dashboard in chromium while the API ends its live stream:
// at the stream's maximum life the page reconnects by itself and stays signed in; when the
// user's sessions are ended (an admin disabled or changed them) the page shows the sign-in
// form at once instead of retrying a dead stream; after signing in again it is live again.
func TestLiveStreamEnds(t *testing.T) {
	sys := harness.Start(t, harness.Options{NoScheduler: true})
	var opened, attempts atomic.Int64 // streams the API accepted; requests for one
	count := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			if c.Path() != "/api/v1/events" || c.Request().Method != http.MethodGet {
				return next(c)
			}
			attempts.Add(1)
			err := next(c)
			if _, status := echo.ResolveResponseStatus(c.Response(), err); status == http.StatusOK {
				opened.Add(1)
			}
			return err
		}
	}
	f := startFront(t, sys, nil, func(f *front) {
		f.streams = api.StreamParams{MaxLife: 1500 * time.Millisecond}
		f.middleware = []echo.MiddlewareFunc{count}
	})
	u := authtest.User(t, sys.Auth, "noc-wall", auth.RoleViewer)
	b := newBrowser(t)
	signIn := func(what string) {
		t.Helper()
		b.do(b.ctx, what, chromedp.SetValue(chromedp.CSS("#login-user"), "noc-wall"),
			chromedp.SetValue(chromedp.CSS("#login-pass"), authtest.Password), chromedp.Click(chromedp.CSS("#login-form button")))
		b.wait(b.ctx, what, `document.getElementById('login').hidden && document.getElementById('live').dataset.state === 'live'`, 10*time.Second)
	}
	b.do(b.ctx, "open dashboard", chromedp.Navigate(f.URL()+"/"), chromedp.WaitVisible(chromedp.CSS("#login-user")))
	signIn("sign in")

	// max life: the stream ends every ~1.5 s; the page reconnects and stays signed in
	before := opened.Load()
	time.Sleep(4 * time.Second)
	if n := opened.Load() - before; n < 2 {
		t.Errorf("%d streams opened in 4s with a 1.5s max life, want at least 2 reconnects", n)
	}
	b.wait(b.ctx, "live after max-life ends", `document.getElementById('login').hidden && document.getElementById('live').dataset.state === 'live'`, 5*time.Second)

	// the user's sessions end under the open page: the stream's end event brings the sign-in form
	if err := sys.Auth.EndUserSessions(authtest.SystemCtx(t), u.ID); err != nil {
		t.Fatalf("end sessions: %v", err)
	}
	b.wait(b.ctx, "sign-in form after the session ended", `!document.getElementById('login').hidden &&
		document.getElementById('login-error').textContent.includes('session has ended')`, 5*time.Second)
	b.shot(b.ctx, "live-session-ended")
	tried := attempts.Load()
	time.Sleep(3 * time.Second) // a dead stream must not be retried meanwhile
	if n := attempts.Load() - tried; n != 0 {
		t.Errorf("%d stream requests while signed out, want none", n)
	}

	signIn("sign in again")
}
