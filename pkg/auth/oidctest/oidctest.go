// Package oidctest runs a real OpenID Provider on loopback for tests of WardOps' single
// sign-on: zitadel/oidc's certified op package with its example server (storage, login form),
// whose ID tokens carry the groups and preferred_username a test gives each user. It is no
// stub: discovery, JWKS, authorization, PKCE checks, code exchange and token signing are the
// library's own code.
package oidctest

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/oauth2"
)

// Password is the password of every user a Provider has.
const Password = "verysecure-test-password"

// User is one person the provider knows.
type User struct {
	Subject  string // the ID token's sub
	Username string // what they type at the provider, and their preferred_username
	Email    string
	Groups   []string
}

// Client is one relying party registered at the provider (a confidential web client).
type Client struct {
	ID, Secret   string
	RedirectURIs []string
}

// Provider is a running OpenID Provider. Issuer is http://127.0.0.1:<port>.
type Provider struct {
	Issuer string
	t      testing.TB
	store  *opStorage
	srv    *http.Server
	ln     net.Listener
}

// Listen reserves the provider's loopback address, so that its issuer is known before the
// relying party is configured; Start then serves on it.
func Listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen for the OpenID provider: %v", err)
	}
	return ln
}

// IssuerOf is the issuer URL a provider started on ln has.
func IssuerOf(ln net.Listener) string { return "http://" + ln.Addr().String() }

// Start serves an OpenID Provider on ln with clients and users until the test ends.
func Start(t testing.TB, ln net.Listener, clients []Client, users []User) *Provider {
	t.Helper()
	issuer := IssuerOf(ln)
	cs := map[string]*storage.Client{}
	for _, c := range clients {
		cs[c.ID] = storage.WebClient(c.ID, c.Secret, c.RedirectURIs...)
	}
	us := &userStore{users: map[string]*User{}}
	for i := range users {
		u := users[i]
		us.users[u.Subject] = &u
	}
	st := &opStorage{Storage: storage.NewStorageWithClients(us, cs), users: us}
	// nil logger: SetupServer would otherwise replace the process's default slog logger
	router := exampleop.SetupServer(issuer, st, nil, false)
	p := &Provider{Issuer: issuer, t: t, store: st, ln: ln,
		srv: &http.Server{Handler: router, ReadHeaderTimeout: 5 * time.Second}}
	go func() { _ = p.srv.Serve(ln) }()
	t.Cleanup(p.Stop)
	return p
}

// Stop shuts the provider down (a test of "provider unreachable" calls it early).
func (p *Provider) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_ = p.srv.Shutdown(ctx)
}

// SetGroups replaces a user's groups (for the next ID token issued).
func (p *Provider) SetGroups(subject string, groups ...string) {
	p.store.users.mu.Lock()
	defer p.store.users.mu.Unlock()
	p.store.users.users[subject].Groups = groups
}

var loginID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// SignIn plays the person at the provider: c (with a cookie jar) follows start (WardOps'
// /api/v1/auth/oidc/login) to the provider's login form, submits username and Password, and
// stops at the provider's redirect back. It returns that callback URL (code and state)
// without calling it.
func (p *Provider) SignIn(c *http.Client, start, username string) (*url.URL, error) {
	resp, err := c.Get(start)
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := loginID.FindSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		return nil, errors.New("no provider login form at " + resp.Request.URL.String() + ": " + resp.Status + " " + string(body))
	}
	stop := *c
	stop.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host != strings.TrimPrefix(p.Issuer, "http://") {
			return http.ErrUseLastResponse
		}
		return nil
	}
	form := url.Values{"username": {username}, "password": {Password}, "id": {string(m[1])}}
	resp, err = stop.PostForm(p.Issuer+"/login/username", form)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		return nil, errors.New("provider did not redirect back after sign-in: " + resp.Status)
	}
	return loc, nil
}

// userStore is storage.UserStore over the test's users.
type userStore struct {
	mu    sync.Mutex
	users map[string]*User
}

var _ storage.UserStore = (*userStore)(nil)

func (s *userStore) GetUserByID(id string) *storage.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[id]; ok {
		return &storage.User{ID: u.Subject, Username: u.Username, Password: Password, Email: u.Email, EmailVerified: true}
	}
	return nil
}

func (s *userStore) GetUserByUsername(name string) *storage.User {
	s.mu.Lock()
	var id string
	for _, u := range s.users {
		if u.Username == name {
			id = u.Subject
		}
	}
	s.mu.Unlock()
	if id == "" {
		return nil
	}
	return s.GetUserByID(id)
}

func (s *userStore) ExampleClientID() string { return storage.ServiceUserID }

// opStorage is the example storage, with the test's groups and username asserted in every
// ID token (as a provider configured to emit a groups claim does).
type opStorage struct {
	*storage.Storage
	users *userStore
}

var _ op.CanSetUserinfoFromRequest = (*opStorage)(nil)

// SetUserinfoFromRequest adds preferred_username, email and groups to the ID token.
func (s *opStorage) SetUserinfoFromRequest(ctx context.Context, ui *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, ui, req, scopes); err != nil {
		return err
	}
	s.users.mu.Lock()
	defer s.users.mu.Unlock()
	u, ok := s.users.users[req.GetSubject()]
	if !ok {
		return errors.New("unknown user " + req.GetSubject())
	}
	ui.PreferredUsername, ui.Email = u.Username, u.Email
	ui.AppendClaims("groups", append([]string{}, u.Groups...))
	return nil
}

// IDToken runs a whole code flow at the provider for client (not through WardOps) as username,
// with nonce, and returns the ID token it issues: a genuine, signed token, for tests that hand
// a relying party a token meant for another client or another sign-in.
func (p *Provider) IDToken(client Client, username, nonce string) (string, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	cfg := &oauth2.Config{ClientID: client.ID, ClientSecret: client.Secret, RedirectURL: client.RedirectURIs[0],
		Scopes:   []string{"openid", "profile"},
		Endpoint: oauth2.Endpoint{AuthURL: p.Issuer + "/auth", TokenURL: p.Issuer + "/oauth/token"}}
	verifier := oauth2.GenerateVerifier()
	start := cfg.AuthCodeURL("s-"+nonce, oauth2.SetAuthURLParam("nonce", nonce), oauth2.S256ChallengeOption(verifier))
	cb, err := p.SignIn(c, start, username)
	if err != nil {
		return "", err
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, c)
	tok, err := cfg.Exchange(ctx, cb.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		return "", err
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return "", errors.New("no id_token in the token response")
	}
	return raw, nil
}
