package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/labstack/echo/v5"
	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"

	"github.com/wardops/wardops/pkg/audit"
	"github.com/wardops/wardops/pkg/events"
)

// Pre-login cookie: binds a sign-in's state to the browser that started it, so that a code and
// state captured elsewhere (or planted by an attacker, "login CSRF") are refused. SameSite=Lax
// because the provider's redirect back is a cross-site top-level GET.
const (
	OIDCCookie       = "wardops_oidc"
	SecureOIDCCookie = "__Host-wardops_oidc"
)

// oidcClient is the provider as WardOps knows it. Discovery runs at the first sign-in and is
// retried at the next one while it fails, so WardOps starts while the provider is down.
type oidcClient struct {
	p   OIDCParams
	now func() time.Time

	mu       sync.Mutex
	oauth    *oauth2.Config
	verifier *oidc.IDTokenVerifier
}

// discover returns the OAuth2 endpoints and ID-token verifier, fetching the discovery
// document the first time.
func (o *oidcClient) discover(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.oauth != nil {
		return o.oauth, o.verifier, nil
	}
	prov, err := oidc.NewProvider(o.ctx(ctx), o.p.Issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("discover OpenID provider %s: %w", o.p.Issuer, err)
	}
	o.oauth = &oauth2.Config{ClientID: o.p.ClientID, ClientSecret: o.p.ClientSecret, Endpoint: prov.Endpoint(),
		RedirectURL: o.p.RedirectURL, Scopes: o.p.Scopes}
	// go-oidc checks the signature against the provider's keys, the issuer, the audience
	// (our client id) and the expiry on the service clock; the nonce is ours to check.
	o.verifier = prov.Verifier(&oidc.Config{ClientID: o.p.ClientID, Now: o.now})
	return o.oauth, o.verifier, nil
}

// ctx carries the provider's HTTP client for go-oidc and x/oauth2.
func (o *oidcClient) ctx(ctx context.Context) context.Context {
	return context.WithValue(oidc.ClientContext(ctx, o.p.HTTPClient), oauth2.HTTPClient, o.p.HTTPClient)
}

// oidcState is what Redis keeps of one sign-in between login and callback, under the SHA-256
// of its state; the callback reads and deletes it in one step (GETDEL), so a state, and the
// code that came with it, works once.
type oidcState struct {
	Binding  string `json:"b"` // SHA-256 (hex) of the pre-login cookie
	Nonce    string `json:"n"`
	Verifier string `json:"v"` // PKCE code verifier
}

func (s *Service) oidcStateKey(state string) string {
	h := sha256.Sum256([]byte(state))
	return s.p.RedisPrefix + "oidc-state:" + hex.EncodeToString(h[:])
}

func hashHex(v string) string {
	h := sha256.Sum256([]byte(v))
	return hex.EncodeToString(h[:])
}

func (s *Service) oidcCookieName() string {
	if s.p.CookieSecure {
		return SecureOIDCCookie
	}
	return OIDCCookie
}

// handleOIDCLogin starts a sign-in: it keeps a fresh state, nonce and PKCE verifier in Redis,
// bound to the pre-login cookie, and redirects to the provider.
func (s *Service) handleOIDCLogin(c *echo.Context) error {
	if s.oidc == nil {
		return s.ssoRefused(c, ssoErr(http.StatusNotFound, "sso_disabled", "Single sign-on is not configured on this WardOps.", nil))
	}
	ctx := c.Request().Context()
	if serr := s.oidcStartAllowed(ctx, clientAddr(c).String()); serr != nil {
		return s.ssoRefused(c, serr)
	}
	cfg, _, err := s.oidc.discover(ctx)
	if err != nil {
		return s.ssoRefused(c, errIdPDown(err))
	}
	binding := ""
	if ck, err := c.Cookie(s.oidcCookieName()); err == nil && len(ck.Value) == 43 {
		binding = ck.Value // a second tab keeps the first tab's sign-in valid
	} else {
		binding = randomString(32)
	}
	state, st := randomString(32), oidcState{Binding: hashHex(binding), Nonce: randomString(32), Verifier: oauth2.GenerateVerifier()}
	b, _ := json.Marshal(st)
	if err := s.rdb.Set(ctx, s.oidcStateKey(state), b, s.oidc.p.StateTTL).Err(); err != nil {
		return s.ssoRefused(c, ssoErr(http.StatusServiceUnavailable, "unavailable", "Sign-in is unavailable right now; try again shortly.", err))
	}
	c.SetCookie(&http.Cookie{Name: s.oidcCookieName(), Value: binding, Path: "/", HttpOnly: true,
		Secure: s.p.CookieSecure, SameSite: http.SameSiteLaxMode, MaxAge: int(s.oidc.p.StateTTL.Seconds())})
	url := cfg.AuthCodeURL(state, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier))
	return c.Redirect(http.StatusFound, url)
}

// oidcStartAllowed counts sign-in starts per client address in a one-minute window.
func (s *Service) oidcStartAllowed(ctx context.Context, addr string) *ssoError {
	key := s.p.RedisPrefix + "oidc-starts:" + addr + ":" + strconv.FormatInt(s.now().Unix()/60, 10)
	pipe := s.rdb.TxPipeline()
	n := pipe.Incr(ctx, key)
	pipe.Expire(ctx, key, 2*time.Minute)
	if _, err := pipe.Exec(ctx); err != nil {
		return ssoErr(http.StatusServiceUnavailable, "unavailable", "Sign-in is unavailable right now; try again shortly.", err)
	}
	if n.Val() > int64(s.oidc.p.StartsPerMinute) {
		return ssoErr(http.StatusTooManyRequests, "throttled", "Too many sign-ins were started from your address; wait a minute and try again.", nil)
	}
	return nil
}

// handleOIDCCallback finishes a sign-in: state, code exchange, ID token, role, user, session.
// Every refusal is audited and answered with a page saying why; none is a 500.
func (s *Service) handleOIDCCallback(c *echo.Context) error {
	if s.oidc == nil {
		return s.ssoRefused(c, ssoErr(http.StatusNotFound, "sso_disabled", "Single sign-on is not configured on this WardOps.", nil))
	}
	ctx := c.Request().Context()
	claims, serr := s.oidcClaims(c)
	if serr != nil {
		return s.ssoRefused(c, serr)
	}
	u, role, serr := s.oidcUser(ctx, claims, clientAddr(c))
	if serr != nil {
		return s.ssoRefused(c, serr)
	}
	if old, ok := Principal(c); ok && old.session != nil {
		s.deleteSession(ctx, *old.session, events.ReasonLoggedOut) // a sign-in never keeps a session id from before
	}
	addr := clientAddr(c)
	sid, ref, err := s.createSession(ctx, verified{User: u}, role, addr.String())
	if err != nil {
		return s.ssoRefused(c, ssoErr(http.StatusServiceUnavailable, "unavailable", "Sign-in is unavailable right now; try again shortly.", err))
	}
	s.setSessionCookies(c, sid, ref.data.CSRF)
	// the pre-login cookie stays until its MaxAge (the states' TTL): another tab's pending
	// sign-in, bound to the same cookie, still completes
	if err := s.store.TouchUserLogin(ctx, u.ID, s.now()); err != nil {
		s.log.WarnContext(ctx, "last login not recorded", "user_id", u.ID, "err", err)
	}
	actor := audit.Actor{UserID: u.ID, Name: u.Username, Via: audit.ViaSession, ClientIP: addr}
	s.record(audit.WithActor(ctx, actor), audit.Entry{Action: "auth.login", TargetType: "user", TargetID: idStr(u.ID),
		Detail: map[string]string{"method": "oidc", "role": role.String()}})
	return c.Redirect(http.StatusSeeOther, "/")
}

// oidcClaims checks the state against Redis and the pre-login cookie, exchanges the code with
// the PKCE verifier and verifies the ID token; it returns the token's claims.
func (s *Service) oidcClaims(c *echo.Context) (map[string]any, *ssoError) {
	st, code, serr := s.takeOIDCState(c)
	if serr != nil {
		return nil, serr
	}
	ctx := c.Request().Context()
	cfg, verifier, err := s.oidc.discover(ctx)
	if err != nil {
		return nil, errIdPDown(err)
	}
	tok, err := cfg.Exchange(s.oidc.ctx(ctx), code, oauth2.VerifierOption(st.Verifier))
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &re):
		return nil, ssoErr(http.StatusBadRequest, "code_rejected",
			"The identity provider rejected this sign-in (the code was already used or has expired). Start again.", err)
	case err != nil:
		return nil, errIdPDown(err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return nil, ssoErr(http.StatusUnauthorized, "id_token_invalid", msgBadToken, errors.New("no id_token in the token response"))
	}
	idt, err := verifier.Verify(s.oidc.ctx(ctx), rawID)
	var expired *oidc.TokenExpiredError
	switch {
	case errors.As(err, &expired):
		return nil, ssoErr(http.StatusUnauthorized, "id_token_expired", "The identity provider's answer has expired. Start again.", err)
	case err != nil:
		return nil, ssoErr(http.StatusUnauthorized, "id_token_invalid", msgBadToken, err)
	}
	return idTokenClaims(idt, tok.AccessToken, st.Nonce)
}

// takeOIDCState reads and deletes the callback's state (single use) and checks that this
// browser started the sign-in; it returns the state and the code.
func (s *Service) takeOIDCState(c *echo.Context) (oidcState, string, *ssoError) {
	ctx := c.Request().Context()
	q := c.Request().URL.Query()
	if e := q.Get("error"); e != "" {
		if st := q.Get("state"); st != "" {
			_ = s.rdb.Del(ctx, s.oidcStateKey(st)).Err() // this sign-in is over
		}
		return oidcState{}, "", ssoErr(http.StatusUnauthorized, "idp_refused",
			"The identity provider did not sign you in ("+clip(e, 64)+").", errors.New(clip(q.Get("error_description"), 200)))
	}
	state, code := q.Get("state"), q.Get("code")
	if state == "" || code == "" {
		return oidcState{}, "", ssoErr(http.StatusBadRequest, "state_invalid", msgStartAgain, errors.New("no state or code"))
	}
	var st oidcState
	raw, err := s.rdb.GetDel(ctx, s.oidcStateKey(state)).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return st, "", ssoErr(http.StatusBadRequest, "state_invalid", msgStartAgain, errors.New("unknown, expired or used state"))
	case err != nil:
		return st, "", ssoErr(http.StatusServiceUnavailable, "unavailable", "Sign-in is unavailable right now; try again shortly.", err)
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return st, "", ssoErr(http.StatusBadRequest, "state_invalid", msgStartAgain, err)
	}
	ck, err := c.Cookie(s.oidcCookieName())
	if err != nil || subtle.ConstantTimeCompare([]byte(hashHex(ck.Value)), []byte(st.Binding)) != 1 {
		return st, "", ssoErr(http.StatusBadRequest, "state_mismatch",
			"This sign-in was not started in this browser. Start again from the WardOps sign-in page.", errors.New("pre-login cookie missing or different"))
	}
	return st, code, nil
}

// idTokenClaims finishes the checks go-oidc leaves to the caller (nonce, subject, at_hash)
// and returns the claims, with iss and sub as verified.
func idTokenClaims(idt *oidc.IDToken, accessToken, nonce string) (map[string]any, *ssoError) {
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return nil, ssoErr(http.StatusUnauthorized, "nonce_mismatch", msgBadToken, errors.New("ID token nonce differs from this sign-in's"))
	}
	if idt.Subject == "" {
		return nil, ssoErr(http.StatusUnauthorized, "id_token_invalid", msgBadToken, errors.New("ID token has no subject"))
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(accessToken); err != nil {
			return nil, ssoErr(http.StatusUnauthorized, "id_token_invalid", msgBadToken, err)
		}
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return nil, ssoErr(http.StatusUnauthorized, "id_token_invalid", msgBadToken, err)
	}
	claims["iss"], claims["sub"] = idt.Issuer, idt.Subject
	return claims, nil
}

const (
	msgStartAgain = "This sign-in link has expired or was already used. Start again from the WardOps sign-in page."
	msgBadToken   = "The identity provider's answer failed verification, so WardOps refused it. Start again; if this repeats, tell an administrator."
)
