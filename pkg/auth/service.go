package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/audit"
	"github.com/wardops/wardops/pkg/secrets"
	"github.com/wardops/wardops/pkg/store"
)

// Session and hashing defaults; the API's config documents the env vars that change them.
const (
	// DefaultSessionIdle ends a dashboard session after this long without a request.
	DefaultSessionIdle = 30 * time.Minute
	// DefaultSessionAbsolute ends a session this long after sign-in, active or not (a NOC shift).
	DefaultSessionAbsolute = 12 * time.Hour
	// DefaultMaxConcurrentHashes bounds simultaneous argon2id computations (each takes
	// MemoryKiB of RAM), so a login flood cannot exhaust memory.
	DefaultMaxConcurrentHashes = 4
	// DefaultRedisPrefix starts every Redis key the service writes.
	DefaultRedisPrefix = "wardops:auth:"
	// DefaultTokenLifetime is an API token's lifetime when its creator gives none.
	DefaultTokenLifetime = 90 * 24 * time.Hour
)

// Params configures NewService. Store and Redis are required.
type Params struct {
	Store *store.Store
	// Redis holds sessions and sign-in throttle counters (a single node: the throttle's Lua
	// scripts touch two keys).
	Redis redis.UniversalClient
	// Logger defaults to a discarding logger.
	Logger *slog.Logger
	// Audit records sign-ins and user/token changes (default audit.New(Store, Logger, Now)).
	Audit *audit.Recorder
	// SessionIdle (default DefaultSessionIdle) and SessionAbsolute (default
	// DefaultSessionAbsolute) bound dashboard sessions.
	SessionIdle     time.Duration
	SessionAbsolute time.Duration
	// CookieSecure marks cookies Secure and names the session cookie __Host-wardops_session.
	// Set it whenever browsers reach the API over HTTPS (built-in TLS or a TLS proxy).
	CookieSecure bool
	// Hash sets the argon2id cost of new password hashes (zero fields take the defaults).
	Hash HashParams
	// MaxConcurrentHashes (default DefaultMaxConcurrentHashes) bounds the hashes of sign-ins
	// from clean addresses and of password changes; addresses with recent failures share a
	// lane of a quarter of that (at least 1).
	MaxConcurrentHashes int
	// MaxAttemptsPerAddr (default DefaultMaxAttemptsPerAddr) bounds one client address's
	// sign-in attempts in flight; more are refused before hashing.
	MaxAttemptsPerAddr int
	// Throttle sets the sign-in backoff (zero fields take the defaults).
	Throttle ThrottleParams
	// Now is the clock (default time.Now); tests move it to expire sessions and tokens.
	Now func() time.Time
	// RedisPrefix (default DefaultRedisPrefix) namespaces sessions and throttle counters.
	RedisPrefix string
	// Directory, when set, signs in every name that is not a local account (AD/LDAP).
	Directory Directory
	// DirectoryRefresh (default DefaultDirectoryRefresh) is how often a directory user's
	// session re-reads the user's groups.
	DirectoryRefresh time.Duration
	// Secrets seals TOTP secrets at rest; without it two-factor enrolment is refused.
	Secrets *secrets.Box
	// RequireTOTPAdmins makes a local admin without two-factor enrol before doing anything
	// else (WARDOPS_REQUIRE_TOTP_ADMINS). It needs Secrets.
	RequireTOTPAdmins bool
	// TOTPIssuer names WardOps in authenticator apps (default DefaultTOTPIssuer).
	TOTPIssuer string
	// OIDC turns on single sign-on with an OpenID Provider (default nil: off).
	OIDC *OIDCParams
}

func (p *Params) setDefaults() error {
	if p.Store == nil || p.Redis == nil {
		return errors.New("auth: Store and Redis are required")
	}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Audit == nil {
		p.Audit = audit.New(p.Store, p.Logger, p.Now)
	}
	if p.SessionIdle <= 0 {
		p.SessionIdle = DefaultSessionIdle
	}
	if p.SessionAbsolute <= 0 {
		p.SessionAbsolute = DefaultSessionAbsolute
	}
	if p.SessionIdle > p.SessionAbsolute {
		return fmt.Errorf("auth: session idle timeout %s exceeds the absolute timeout %s", p.SessionIdle, p.SessionAbsolute)
	}
	if p.MaxConcurrentHashes <= 0 {
		p.MaxConcurrentHashes = DefaultMaxConcurrentHashes
	}
	if p.MaxAttemptsPerAddr <= 0 {
		p.MaxAttemptsPerAddr = DefaultMaxAttemptsPerAddr
	}
	if p.RedisPrefix == "" {
		p.RedisPrefix = DefaultRedisPrefix
	}
	if p.DirectoryRefresh <= 0 {
		p.DirectoryRefresh = DefaultDirectoryRefresh
	}
	if p.TOTPIssuer == "" {
		p.TOTPIssuer = DefaultTOTPIssuer
	}
	if p.RequireTOTPAdmins && p.Secrets == nil {
		return errors.New("auth: requiring two-factor for admins needs a secret key (WARDOPS_SECRET_KEY) to seal TOTP secrets")
	}
	p.Hash.setDefaults()
	p.Throttle.setDefaults()
	if p.OIDC != nil {
		return p.OIDC.setDefaults()
	}
	return nil
}

// Service signs users in and out, authenticates requests (session cookie or bearer token),
// enforces roles and CSRF, keeps the route access registry, and serves the auth, user, token
// and audit endpoints. It is safe for concurrent use.
type Service struct {
	p        Params
	store    *store.Store
	rdb      redis.UniversalClient
	log      *slog.Logger
	audit    *audit.Recorder
	hashSem  chan struct{}
	admit    *admission
	dummy    string // hash of a random password, verified for unknown users
	throttle *throttle
	routes   *registry
	guardPC  uintptr     // code pointer of (*guard).wrap, to recognise guards in OnAddRoute
	oidc     *oidcClient // nil without single sign-on
}

// NewService checks p, fills its defaults and prepares the service (it hashes one random
// password, so that unknown users cost the same time as known ones).
func NewService(p Params) (*Service, error) {
	if err := p.setDefaults(); err != nil {
		return nil, err
	}
	s := &Service{
		p: p, store: p.Store, rdb: p.Redis, log: p.Logger, audit: p.Audit,
		hashSem: make(chan struct{}, p.MaxConcurrentHashes),
		admit:   newAdmission(p.MaxAttemptsPerAddr, p.MaxConcurrentHashes),
		routes:  newRegistry(),
		guardPC: reflect.ValueOf((&guard{}).wrap).Pointer(),
	}
	s.throttle = newThrottle(p.Redis, p.RedisPrefix, p.Throttle)
	if p.OIDC != nil {
		s.oidc = &oidcClient{p: *p.OIDC, now: s.now}
	}
	dummy, err := hashPassword(p.Hash, randomString(24))
	if err != nil {
		return nil, err
	}
	s.dummy = dummy
	return s, nil
}

// Audit returns the recorder the service writes to, for handlers elsewhere in the API.
func (s *Service) Audit() *audit.Recorder { return s.audit }

func (s *Service) now() time.Time { return s.p.Now().UTC() }

// hash hashes pw with the configured cost, waiting for a hashing slot.
func (s *Service) hash(ctx context.Context, pw string) (string, error) {
	if err := acquireHash(ctx, s.hashSem); err != nil {
		return "", err
	}
	defer func() { <-s.hashSem }()
	return hashPassword(s.p.Hash, pw)
}

// verify checks pw against encoded (the dummy hash when encoded is empty or a single sign-on
// user's marker), waiting for a hashing slot of lane.
func (s *Service) verify(ctx context.Context, lane chan struct{}, encoded, pw string) (ok, stale bool, err error) {
	if err := acquireHash(ctx, lane); err != nil {
		return false, false, err
	}
	defer func() { <-lane }()
	if encoded == "" || encoded == ssoPasswordHash {
		_, _, err := verifyPassword(s.p.Hash, s.dummy, pw)
		return false, false, err
	}
	return verifyPassword(s.p.Hash, encoded, pw)
}

func acquireHash(ctx context.Context, lane chan struct{}) error {
	select {
	case lane <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for password hashing slot: %w", ctx.Err())
	}
}

// randomString returns n random bytes, base64url-encoded without padding.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it panics if the OS source does)
	return base64.RawURLEncoding.EncodeToString(b)
}
