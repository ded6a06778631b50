package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Sign-in throttle defaults.
const (
	// DefaultUserFreeFailures failures per username pass before backoff starts.
	DefaultUserFreeFailures = 5
	// DefaultAddrFreeFailures failures per client address pass before backoff (higher: a NOC
	// may sit behind one NAT address).
	DefaultAddrFreeFailures = 20
	// DefaultBackoffBase is the first wait; each further failure doubles it.
	DefaultBackoffBase = time.Second
	// DefaultBackoffMax caps the wait.
	DefaultBackoffMax = 15 * time.Minute
	// DefaultThrottleWindow forgets failures this long after the last one.
	DefaultThrottleWindow = time.Hour
)

// ThrottleParams configures sign-in backoff. After Free failures on a key (a username or a
// client address), each attempt must wait Base·2^(failures−Free), at most Max, after the last
// failure; the count is forgotten Window after the last failure.
type ThrottleParams struct {
	UserFree int
	AddrFree int
	Base     time.Duration
	Max      time.Duration
	Window   time.Duration
}

func (p *ThrottleParams) setDefaults() {
	if p.UserFree <= 0 {
		p.UserFree = DefaultUserFreeFailures
	}
	if p.AddrFree <= 0 {
		p.AddrFree = DefaultAddrFreeFailures
	}
	if p.Base <= 0 {
		p.Base = DefaultBackoffBase
	}
	if p.Max <= 0 {
		p.Max = DefaultBackoffMax
	}
	if p.Window <= 0 {
		p.Window = DefaultThrottleWindow
	}
}

// throttleScript atomically checks the backoff of one key and, when the attempt may go ahead,
// counts it as a failure in advance (so parallel guesses cannot all slip through before the
// first failure is written). A success later undoes or clears that count.
// KEYS[1] key; ARGV now_ms, free, base_ms, max_ms, ttl_ms. Returns {allowed, wait_ms, n}: n is
// the count before this attempt (failures and attempts still in flight).
const throttleScript = `
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
local now, free, base, max = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
if n >= free then
  local delay = math.min(base * 2 ^ (n - free), max)
  if now < last + delay then
    return {0, math.ceil(last + delay - now), n}
  end
end
redis.call('HSET', KEYS[1], 'n', n + 1, 'last', now)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {1, 0, n}
`

// releaseScript clears the user's key and gives the address back its reserved attempt.
// KEYS[1] user key, KEYS[2] address key.
const releaseScript = `
redis.call('DEL', KEYS[1])
local n = tonumber(redis.call('HGET', KEYS[2], 'n') or '0')
if n > 0 then redis.call('HSET', KEYS[2], 'n', n - 1) end
return 1
`

type throttle struct {
	rdb     redis.UniversalClient
	prefix  string
	p       ThrottleParams
	script  *redis.Script
	release *redis.Script
}

func newThrottle(rdb redis.UniversalClient, prefix string, p ThrottleParams) *throttle {
	return &throttle{rdb: rdb, prefix: prefix + "throttle:", p: p,
		script: redis.NewScript(throttleScript), release: redis.NewScript(releaseScript)}
}

// keys returns the Redis keys for a username and a client address. Names are hashed so that
// arbitrary input cannot make long keys, and unknown names are throttled exactly like known.
func (t *throttle) keys(username, addr string) (user, ip string) {
	hu := sha256.Sum256([]byte(username))
	return t.prefix + "user:" + hex.EncodeToString(hu[:16]), t.prefix + "addr:" + addr
}

// attempt reserves a sign-in attempt on key; when backoff is in force it returns the wait.
// prior is the key's count before this attempt.
func (t *throttle) attempt(ctx context.Context, key string, free int, now time.Time) (wait time.Duration, prior int64, err error) {
	ttl := t.p.Window + t.p.Max
	res, err := t.script.Run(ctx, t.rdb, []string{key}, now.UnixMilli(), free, t.p.Base.Milliseconds(),
		t.p.Max.Milliseconds(), ttl.Milliseconds()).Int64Slice()
	if err != nil {
		return 0, 0, fmt.Errorf("sign-in throttle: %w", err)
	}
	if len(res) != 3 {
		return 0, 0, fmt.Errorf("sign-in throttle: script answered %d values, want 3", len(res))
	}
	if res[0] == 1 {
		return 0, res[2], nil
	}
	return time.Duration(res[1]) * time.Millisecond, res[2], nil
}

// check reserves an attempt for both the user and the address (address first, so a locked
// address does not also spend the user's allowance) and returns the longer wait, if any, and
// the address's lane class (see admission): an address with a quarter of its free failures or
// more in the window (counting attempts in flight) is suspect — a guessing run, not a typo or
// two; else one that signed someone in within TrustFor is trusted; else it is new.
func (t *throttle) check(ctx context.Context, username, addr string, now time.Time) (wait time.Duration, class laneClass, err error) {
	userKey, addrKey := t.keys(username, addr)
	wait, prior, err := t.attempt(ctx, addrKey, t.p.AddrFree, now)
	if err != nil || wait > 0 {
		return wait, laneSuspect, err
	}
	if wait, _, err = t.attempt(ctx, userKey, t.p.UserFree, now); err != nil || wait > 0 {
		return wait, laneSuspect, err
	}
	if prior >= int64(max(1, t.p.AddrFree/4)) {
		return 0, laneSuspect, nil
	}
	n, err := t.rdb.Exists(ctx, t.trustKey(addr)).Result()
	if err != nil {
		return 0, laneSuspect, fmt.Errorf("sign-in throttle: %w", err)
	}
	if n == 1 {
		return 0, laneTrusted, nil
	}
	return 0, laneNew, nil
}

// trustKey marks an address that signed a user in within the trust period.
func (t *throttle) trustKey(addr string) string { return t.prefix + "trusted:" + addr }

// succeeded clears the user's failures and returns the address's reserved attempt; earlier
// failures from the address stay (a valid account must not reset an attacker's counter).
func (t *throttle) succeeded(ctx context.Context, username, addr string) error {
	userKey, addrKey := t.keys(username, addr)
	if err := t.release.Run(ctx, t.rdb, []string{userKey, addrKey}).Err(); err != nil {
		return fmt.Errorf("reset sign-in throttle: %w", err)
	}
	if err := t.rdb.Set(ctx, t.trustKey(addr), 1, addrTrustPeriod).Err(); err != nil {
		return fmt.Errorf("mark sign-in address trusted: %w", err)
	}
	return nil
}
