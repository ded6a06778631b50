package auth_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/oidctest"
)

// TestOIDCRefusals drives each way a single sign-on must fail through the real provider: the
// answer is a page with the refusal's code and a message (never a 500), no session cookie is
// set, and the refusal is in the audit trail with its reason.
func TestOIDCRefusals(t *testing.T) {
	t.Parallel()
	x := newSSOFixture(t)
	flow := func(user string) (*client, *url.URL) {
		c := x.browser()
		return c, x.toProvider(c, user)
	}
	cases := []struct {
		name   string
		status int
		code   string
		run    func(t *testing.T) response
	}{
		{"no mapped group", http.StatusForbidden, "no_role", func(t *testing.T) response {
			return x.callback(flow("nemo"))
		}},
		{"provider name of a local account", http.StatusConflict, "username_taken", func(t *testing.T) response {
			return x.callback(flow("admin"))
		}},
		{"tampered state", http.StatusBadRequest, "state_invalid", func(t *testing.T) response {
			c, cb := flow("vera")
			return x.callback(c, withParam(cb, "state", cb.Query().Get("state")+"x"))
		}},
		{"replayed state and code", http.StatusBadRequest, "state_invalid", func(t *testing.T) response {
			c, cb := flow("vera")
			if r := x.callback(c, cb); r.status != http.StatusSeeOther {
				t.Fatalf("first use: %d %s", r.status, r.body)
			}
			return x.callback(c, cb)
		}},
		{"replayed code with a fresh state", http.StatusBadRequest, "code_rejected", func(t *testing.T) response {
			c, used := flow("vera")
			if r := x.callback(c, used); r.status != http.StatusSeeOther {
				t.Fatalf("first use: %d %s", r.status, r.body)
			}
			fresh := x.toProvider(c, "vera")
			return x.callback(c, withParam(fresh, "code", used.Query().Get("code")))
		}},
		{"state and code carried to another browser", http.StatusBadRequest, "state_mismatch", func(t *testing.T) response {
			_, cb := flow("vera")
			return x.callback(x.browser(), cb)
		}},
		{"ID token for another audience", http.StatusUnauthorized, "id_token_invalid", func(t *testing.T) response {
			tok, err := x.op.IDToken(x.other, "vera", "nonce-of-the-other-app")
			if err != nil {
				t.Fatal(err)
			}
			x.tamper.next1(func(string) string { return tok })
			return x.callback(flow("vera"))
		}},
		{"ID token of another sign-in (nonce mismatch)", http.StatusUnauthorized, "nonce_mismatch", func(t *testing.T) response {
			tok, err := x.op.IDToken(x.client, "vera", "nonce-of-an-older-sign-in")
			if err != nil {
				t.Fatal(err)
			}
			x.tamper.next1(func(string) string { return tok })
			return x.callback(flow("vera"))
		}},
		{"ID token signed by another provider", http.StatusUnauthorized, "id_token_invalid", func(t *testing.T) response {
			// a second, real provider that also has a "wardops" client and a vera
			rogue := oidctest.Start(t, oidctest.Listen(t), []oidctest.Client{x.client}, ssoUsers)
			tok, err := rogue.IDToken(x.client, "vera", "any-nonce")
			if err != nil {
				t.Fatal(err)
			}
			x.tamper.next1(func(string) string { return tok })
			return x.callback(flow("vera"))
		}},
		{"bad signature", http.StatusUnauthorized, "id_token_invalid", func(t *testing.T) response {
			x.tamper.next1(breakSignature)
			return x.callback(flow("ana"))
		}},
		{"expired ID token", http.StatusUnauthorized, "id_token_expired", func(t *testing.T) response {
			c, cb := flow("vera")
			x.clock.Advance(2 * time.Hour) // the provider's ID tokens live 1h
			defer x.clock.Advance(-2 * time.Hour)
			return x.callback(c, cb)
		}},
		{"account disabled in WardOps", http.StatusForbidden, "account_disabled", func(t *testing.T) response {
			dora := x.signIn("dora")
			var me auth.SessionInfo
			x.me(dora).decode(t, &me)
			r := x.login("admin").do(http.MethodPatch, "/api/v1/users/"+itoa(me.User.ID), map[string]bool{"disabled": true})
			if r.status != http.StatusOK {
				t.Fatalf("disable dora: %d %s", r.status, r.body)
			}
			return x.callback(flow("dora"))
		}},
		{"provider said no", http.StatusUnauthorized, "idp_refused", func(t *testing.T) response {
			c, cb := flow("vera")
			q := url.Values{"error": {"access_denied"}, "state": {cb.Query().Get("state")}}
			cb.RawQuery = q.Encode()
			return x.callback(c, cb)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.run(t)
			checkRefusal(t, r, tc.status, tc.code)
			if n := countDetail(x.audit(t, "auth.login_failed"), "reason", tc.code); n == 0 {
				t.Errorf("no auth.login_failed audit entry with reason %s", tc.code)
			}
		})
	}
}

var refusalMsg = regexp.MustCompile(`<p class="error" role="alert">[^<]{20,}</p>`)

func checkRefusal(t *testing.T, r response, status int, code string) {
	t.Helper()
	if r.status != status || !strings.Contains(string(r.body), `data-code="`+code+`"`) || !refusalMsg.Match(r.body) {
		t.Errorf("got %d %s, want %d with a page of code %s and a message", r.status, r.body, status, code)
	}
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if (ck.Name == auth.SessionCookie || ck.Name == auth.SecureSessionCookie) && ck.Value != "" {
			t.Errorf("refused sign-in set a session cookie")
		}
	}
}

func withParam(u *url.URL, k, v string) *url.URL {
	q := u.Query()
	q.Set(k, v)
	out := *u
	out.RawQuery = q.Encode()
	return &out
}

// breakSignature changes one character in the middle of a JWS signature.
func breakSignature(tok string) string {
	i := strings.LastIndexByte(tok, '.') + (len(tok)-strings.LastIndexByte(tok, '.'))/2
	b := []byte(tok)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// TestOIDCProviderDown: a provider that goes away between sign-in and callback, and one never
// reached, each refuse the sign-in with a clear answer (503, idp_unavailable), never a 500.
func TestOIDCProviderDown(t *testing.T) {
	t.Parallel()
	t.Run("during the sign-in", func(t *testing.T) {
		x := newSSOFixture(t)
		c := x.browser()
		cb := x.toProvider(c, "vera")
		x.op.Stop()
		checkRefusal(t, x.callback(c, cb), http.StatusServiceUnavailable, "idp_unavailable")
	})
	t.Run("at the first sign-in", func(t *testing.T) {
		ln := oidctest.Listen(t)
		issuer := oidctest.IssuerOf(ln)
		_ = ln.Close() // nothing listens there any more
		f := newFixtureWith(t, fixtureOpts{oidc: func(redirect string) *auth.OIDCParams {
			return &auth.OIDCParams{Issuer: issuer, ClientID: "wardops", ClientSecret: "s", RedirectURL: redirect, Roles: ssoRoles}
		}})
		r := f.anon().do(http.MethodGet, "/api/v1/auth/oidc/login", nil)
		checkRefusal(t, r, http.StatusServiceUnavailable, "idp_unavailable")
		var methods auth.AuthMethods
		f.anon().do(http.MethodGet, "/api/v1/auth/methods", nil).decode(t, &methods)
		if len(methods.Methods) != 2 || methods.OIDCLoginURL == "" {
			t.Errorf("methods = %+v, want password and oidc while the provider is down", methods)
		}
	})
	t.Run("issuer differs from the provider's own", func(t *testing.T) {
		ln := oidctest.Listen(t)
		f := newFixtureWith(t, fixtureOpts{oidc: func(redirect string) *auth.OIDCParams {
			return &auth.OIDCParams{Issuer: oidctest.IssuerOf(ln) + "/", ClientID: "wardops", ClientSecret: "s",
				RedirectURL: redirect, Roles: ssoRoles}
		}})
		oidctest.Start(t, ln, nil, nil)
		checkRefusal(t, f.anon().do(http.MethodGet, "/api/v1/auth/oidc/login", nil), http.StatusServiceUnavailable, "idp_misconfigured")
	})
	t.Run("too many starts from one address", func(t *testing.T) {
		ln := oidctest.Listen(t)
		issuer := oidctest.IssuerOf(ln)
		_ = ln.Close()
		f := newFixtureWith(t, fixtureOpts{oidc: func(redirect string) *auth.OIDCParams {
			return &auth.OIDCParams{Issuer: issuer, ClientID: "wardops", ClientSecret: "s", RedirectURL: redirect, Roles: ssoRoles,
				StartsPerMinute: 3}
		}})
		f.clock.Advance(time.Duration(60-f.clock.Now().Second()) * time.Second) // the start of a minute
		var got []int
		for range 4 {
			got = append(got, f.anon().do(http.MethodGet, "/api/v1/auth/oidc/login", nil).status)
		}
		f.clock.Advance(time.Minute)
		got = append(got, f.anon().do(http.MethodGet, "/api/v1/auth/oidc/login", nil).status)
		want := []int{503, 503, 503, http.StatusTooManyRequests, 503}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
	})
	t.Run("not configured", func(t *testing.T) {
		f := newFixture(t)
		checkRefusal(t, f.anon().do(http.MethodGet, "/api/v1/auth/oidc/login", nil), http.StatusNotFound, "sso_disabled")
		var methods auth.AuthMethods
		f.anon().do(http.MethodGet, "/api/v1/auth/methods", nil).decode(t, &methods)
		if len(methods.Methods) != 1 || methods.Methods[0] != "password" || methods.OIDCLoginURL != "" {
			t.Errorf("methods = %+v, want password only", methods)
		}
	})
}
