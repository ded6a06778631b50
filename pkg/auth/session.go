package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/pkg/store"
)

// Cookie names. The session cookie takes the __Host- prefix when Secure, which pins it to this
// host and path / (no subdomain can set or overwrite it). The CSRF cookie is readable by the
// dashboard's script, which echoes it in the X-CSRF-Token header of every write.
const (
	SessionCookie       = "wardops_session"
	SecureSessionCookie = "__Host-wardops_session"
	CSRFCookie          = "wardops_csrf"
	// CSRFHeader carries the CSRF token on cookie-authenticated writes.
	CSRFHeader = "X-CSRF-Token"
)

// session is what Redis holds for one dashboard session, under the SHA-256 of its id (so a
// copy of Redis does not hold usable session ids). Times are Unix milliseconds.
type session struct {
	UserID   int64  `json:"uid"`
	Username string `json:"name"`
	Role     Role   `json:"role"`
	CSRF     string `json:"csrf"`
	Created  int64  `json:"created"`
	Seen     int64  `json:"seen"`
	Addr     string `json:"addr"`
	// Source is the user's source (store.SourceLDAP sessions are refreshed from the directory).
	Source string `json:"src,omitempty"`
	// Checked is when the directory last confirmed the user's groups; NextCheck when to ask
	// again (Unix ms).
	Checked   int64 `json:"checked,omitempty"`
	NextCheck int64 `json:"next,omitempty"`
	// Grants are the directory grants of a directory user (with their scopes).
	Grants []Grant `json:"grants,omitempty"`
	// TOTP says the user has two-factor on; MustEnroll that the session may do nothing but
	// enrol (WARDOPS_REQUIRE_TOTP_ADMINS for an admin without two-factor).
	TOTP       bool `json:"totp,omitempty"`
	MustEnroll bool `json:"enrol,omitempty"`
	// Scope is the user's scope at sign-in; a scope change ends the user's sessions.
	Scope Scope `json:"scope"`
	// Display marks a wall screen's session started with display token TokenID: no absolute
	// lifetime (the idle one still holds), and the token is re-checked on every request.
	Display bool  `json:"display,omitempty"`
	TokenID int64 `json:"tid,omitempty"`
}

// sessionRefFor is the Redis key and public handle of session id: the handle is the SHA-256 of
// the id (what revocation notices and live streams name a session by), the key holds it.
func (s *Service) sessionRefFor(id string) sessionRef {
	h := sha256.Sum256([]byte(id))
	handle := hex.EncodeToString(h[:])
	return sessionRef{key: s.p.RedisPrefix + "session:" + handle, handle: handle}
}

func (s *Service) userSessionsKey(uid int64) string {
	return s.p.RedisPrefix + "user-sessions:" + strconv.FormatInt(uid, 10)
}

// createSession stores a new session for the verified user v and returns its secret id.
func (s *Service) createSession(ctx context.Context, v verified, role Role, addr string) (string, sessionRef, error) {
	u := v.User
	id := randomString(32)
	now := s.now().UnixMilli()
	ref := s.sessionRefFor(id)
	ref.data = session{UserID: u.ID, Username: u.Username, Role: role, CSRF: randomString(32), Created: now, Seen: now,
		Addr: addr, Source: u.Source, TOTP: u.TOTPEnabledAt != nil, Scope: scopeOf(u)}
	if u.Source == store.SourceLDAP {
		ref.data.Checked, ref.data.NextCheck, ref.data.Grants = now, now+s.p.DirectoryRefresh.Milliseconds(), v.grants
	}
	ref.data.MustEnroll = s.p.RequireTOTPAdmins && role == RoleAdmin && u.Source == store.SourceLocal && u.TOTPEnabledAt == nil
	if err := s.saveSession(ctx, ref); err != nil {
		return "", ref, err
	}
	idx := s.userSessionsKey(u.ID)
	pipe := s.rdb.TxPipeline()
	pipe.SAdd(ctx, idx, ref.key)
	pipe.Expire(ctx, idx, s.p.SessionAbsolute+time.Minute)
	if _, err := pipe.Exec(ctx); err != nil {
		return "", ref, fmt.Errorf("index session of user %d: %w", u.ID, err)
	}
	return id, ref, nil
}

// saveSession writes the session with a Redis TTL at its idle deadline (capped by the absolute
// one). Expiry decisions use the service clock and the stored times; the TTL only collects.
func (s *Service) saveSession(ctx context.Context, ref sessionRef) error {
	b, err := json.Marshal(ref.data)
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	ttl := min(s.p.SessionIdle, time.Duration(ref.data.Created+s.p.SessionAbsolute.Milliseconds()-ref.data.Seen)*time.Millisecond)
	if ref.data.Display {
		ttl = s.p.SessionIdle
	}
	if err := s.rdb.Set(ctx, ref.key, b, max(ttl, time.Second)+time.Minute).Err(); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

// errNoSession means the cookie names no live session (unknown, idle too long or too old).
var errNoSession = errors.New("no live session")

// loadSession returns the live session for id, ending it if it has expired, and records the
// activity (at most once a minute, or every tenth of the idle timeout if shorter).
func (s *Service) loadSession(ctx context.Context, id string) (sessionRef, error) {
	ref := s.sessionRefFor(id)
	b, err := s.rdb.Get(ctx, ref.key).Bytes()
	if errors.Is(err, redis.Nil) {
		return ref, errNoSession
	}
	if err != nil {
		return ref, fmt.Errorf("read session: %w", err)
	}
	if err := json.Unmarshal(b, &ref.data); err != nil {
		return ref, fmt.Errorf("decode session: %w", err)
	}
	now := s.now().UnixMilli()
	tooOld := now-ref.data.Created >= s.p.SessionAbsolute.Milliseconds() && !ref.data.Display
	if tooOld || now-ref.data.Seen >= s.p.SessionIdle.Milliseconds() {
		s.deleteSession(ctx, ref, events.ReasonExpired)
		return ref, errNoSession
	}
	if now-ref.data.Seen >= min(time.Minute, s.p.SessionIdle/10).Milliseconds() {
		ref.data.Seen = now
		if err := s.saveSession(ctx, ref); err != nil {
			return ref, err
		}
	}
	return ref, nil
}

// deleteSession ends a session and, with reason, the live streams opened with it.
func (s *Service) deleteSession(ctx context.Context, ref sessionRef, reason string) {
	pipe := s.rdb.TxPipeline()
	pipe.Del(ctx, ref.key)
	pipe.SRem(ctx, s.userSessionsKey(ref.data.UserID), ref.key)
	if _, err := pipe.Exec(ctx); err != nil {
		s.log.WarnContext(ctx, "session not deleted", "user_id", ref.data.UserID, "err", err)
	}
	s.publishRevocation(ctx, events.Revocation{Session: ref.handle, Reason: reason})
}

// EndUserSessions signs a user out everywhere (after a password, role or status change, or a
// delete) and ends every live stream of the user on every API replica, token streams too.
func (s *Service) EndUserSessions(ctx context.Context, uid int64) error {
	// the notice goes out even if the sessions cannot be deleted: the streams end either way
	defer s.publishRevocation(ctx, events.Revocation{UserID: uid, Reason: events.ReasonRevoked})
	idx := s.userSessionsKey(uid)
	keys, err := s.rdb.SMembers(ctx, idx).Result()
	if err != nil {
		return fmt.Errorf("list sessions of user %d: %w", uid, err)
	}
	if err := s.rdb.Del(ctx, append(keys, idx)...).Err(); err != nil {
		return fmt.Errorf("end sessions of user %d: %w", uid, err)
	}
	return nil
}

// sessionCookieName is the session cookie's name under the configured Secure flag.
func (s *Service) sessionCookieName() string {
	if s.p.CookieSecure {
		return SecureSessionCookie
	}
	return SessionCookie
}

// setSessionCookies sends the session id (HttpOnly) and the CSRF token (readable by script).
// Both are browser-session cookies: the server enforces the idle and absolute timeouts.
func (s *Service) setSessionCookies(c *echo.Context, id, csrf string) {
	c.SetCookie(&http.Cookie{Name: s.sessionCookieName(), Value: id, Path: "/", HttpOnly: true,
		Secure: s.p.CookieSecure, SameSite: http.SameSiteLaxMode})
	c.SetCookie(&http.Cookie{Name: CSRFCookie, Value: csrf, Path: "/", HttpOnly: false,
		Secure: s.p.CookieSecure, SameSite: http.SameSiteStrictMode})
}

func (s *Service) clearSessionCookies(c *echo.Context) {
	for _, n := range []string{s.sessionCookieName(), CSRFCookie} {
		c.SetCookie(&http.Cookie{Name: n, Value: "", Path: "/", MaxAge: -1, HttpOnly: n != CSRFCookie,
			Secure: s.p.CookieSecure, SameSite: http.SameSiteLaxMode})
	}
}
