package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/audit"
	"github.com/wardops/wardops/pkg/store"
)

// Two-factor settings. Codes are RFC 6238 TOTP: SHA-1, 6 digits, 30-second steps (what every
// authenticator app supports), accepted one step either side for clock drift, each step once.
const (
	// DefaultTOTPIssuer names WardOps in authenticator apps.
	DefaultTOTPIssuer = "WardOps"
	totpPeriod        = 30
	totpSkew          = 1
	// RecoveryCodeCount codes are issued at enrolment, each good for one sign-in.
	RecoveryCodeCount = 10
	// MFAPendingTTL is how long the second sign-in step may follow a correct password.
	MFAPendingTTL = 5 * time.Minute
	// mfaMaxAttempts codes may be tried per password step.
	mfaMaxAttempts = 5
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// ErrNoSecretKey means two-factor cannot be set up: no WARDOPS_SECRET_KEY to seal secrets.
var ErrNoSecretKey = errors.New("two-factor sign-in needs WARDOPS_SECRET_KEY")

func totpAAD(uid int64) []byte { return []byte("totp:user:" + strconv.FormatInt(uid, 10)) }

// Enrolment is the answer to the enrolment start: the secret three ways.
type Enrolment struct {
	Secret string `json:"secret"`
	// URL is the otpauth:// URL the QR code holds.
	URL string `json:"otpauth_url"`
	// QRCode is a PNG data URL of the QR code.
	QRCode string `json:"qr_png"`
}

// StartTOTP creates a new TOTP secret for local user u (replacing one not yet confirmed) and
// stores it sealed. store.ErrConflict when two-factor is already on.
func (s *Service) StartTOTP(ctx context.Context, u store.User) (Enrolment, error) {
	if s.p.Secrets == nil {
		return Enrolment{}, ErrNoSecretKey
	}
	if u.Source != store.SourceLocal {
		return Enrolment{}, &InputError{Field: "user", Msg: "two-factor for directory and single sign-on users is the directory's or the identity provider's business"}
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.p.TOTPIssuer, AccountName: u.Username, Period: totpPeriod,
		SecretSize: 20, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return Enrolment{}, fmt.Errorf("generate TOTP key: %w", err)
	}
	sealed, err := s.p.Secrets.Seal([]byte(key.Secret()), totpAAD(u.ID))
	if err != nil {
		return Enrolment{}, fmt.Errorf("seal TOTP secret: %w", err)
	}
	if err := s.store.SetTOTPSecret(ctx, u.ID, sealed); err != nil {
		return Enrolment{}, err
	}
	img, err := key.Image(256, 256)
	if err != nil {
		return Enrolment{}, fmt.Errorf("TOTP QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return Enrolment{}, fmt.Errorf("encode TOTP QR code: %w", err)
	}
	s.record(ctx, audit.Entry{Action: "user.totp_enrol_start", TargetType: "user", TargetID: idStr(u.ID)})
	return Enrolment{Secret: key.Secret(), URL: key.URL(),
		QRCode: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// ConfirmTOTP turns two-factor on for user id when code matches the pending secret, and
// returns the recovery codes (shown once; stored as SHA-256).
func (s *Service) ConfirmTOTP(ctx context.Context, id int64, code string) ([]string, error) {
	u, err := s.store.UserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if u.TOTPEnabledAt != nil || u.TOTPSecret == "" {
		return nil, &InputError{Field: "code", Msg: "start enrolment first", conflict: u.TOTPEnabledAt != nil}
	}
	step, ok, err := s.matchTOTP(u, code)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, &InputError{Field: "code", Msg: "the code does not match; check the device's clock and try the next code"}
	}
	codes, hashes := newRecoveryCodes(u.ID)
	if _, err := s.store.EnableTOTP(ctx, u.ID, step, hashes); err != nil {
		return nil, err
	}
	s.record(ctx, audit.Entry{Action: "user.totp_enable", TargetType: "user", TargetID: idStr(u.ID)})
	return codes, nil
}

// ResetTOTP turns two-factor off for user id (an admin's action, when a device is lost).
func (s *Service) ResetTOTP(ctx context.Context, id int64) error {
	before, err := s.store.ResetTOTP(ctx, id)
	if err != nil {
		return err
	}
	s.record(ctx, audit.Entry{Action: "user.totp_reset", TargetType: "user", TargetID: idStr(id),
		Detail: map[string]bool{"was_enabled": before.TOTPEnabledAt != nil}})
	return nil
}

// matchTOTP checks code against u's secret at now ± one step and returns the matching step.
func (s *Service) matchTOTP(u store.User, code string) (int64, bool, error) {
	code = strings.Join(strings.Fields(code), "")
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return 0, false, nil
	}
	if s.p.Secrets == nil {
		return 0, false, ErrNoSecretKey // the key was removed after users enrolled
	}
	plain, err := s.p.Secrets.Open(u.TOTPSecret, totpAAD(u.ID))
	if err != nil {
		return 0, false, fmt.Errorf("open TOTP secret of user %d: %w", u.ID, err)
	}
	now := s.now().Unix() / totpPeriod
	for step := now - totpSkew; step <= now+totpSkew; step++ {
		want, err := totp.GenerateCodeCustom(string(plain), time.Unix(step*totpPeriod, 0), totpOpts)
		if err != nil {
			return 0, false, fmt.Errorf("TOTP code: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true, nil
		}
	}
	return 0, false, nil
}

// checkSecondFactor verifies a TOTP code (each time step once) or a recovery code (once).
func (s *Service) checkSecondFactor(ctx context.Context, u store.User, code, recovery string) (string, bool, error) {
	if recovery != "" {
		ok, err := s.store.UseRecoveryCode(ctx, u.ID, recoveryHash(u.ID, recovery))
		return "recovery_code", ok, err
	}
	step, ok, err := s.matchTOTP(u, code)
	if err != nil || !ok {
		return "totp", false, err
	}
	fresh, err := s.store.UseTOTPStep(ctx, u.ID, step)
	return "totp", fresh, err
}

var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newRecoveryCodes returns RecoveryCodeCount codes like "k3jd-9fqa-27xm" (60 random bits) and
// their hashes.
func newRecoveryCodes(uid int64) ([]string, [][]byte) {
	codes := make([]string, RecoveryCodeCount)
	hashes := make([][]byte, RecoveryCodeCount)
	for i := range codes {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		s := strings.ToLower(recoveryEncoding.EncodeToString(b))[:12]
		codes[i] = s[:4] + "-" + s[4:8] + "-" + s[8:]
		hashes[i] = recoveryHash(uid, codes[i])
	}
	return codes, hashes
}

// recoveryHash normalises a recovery code as typed (case, spaces, dashes) and hashes it with
// the user's id.
func recoveryHash(uid int64, code string) []byte {
	c := strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
	h := sha256.Sum256([]byte(strconv.FormatInt(uid, 10) + ":" + c))
	return h[:]
}

// mfaPending is the state between a correct password and the code step, in Redis under the
// SHA-256 of its token.
type mfaPending struct {
	UserID   int64  `json:"uid"`
	Username string `json:"name"`
	Addr     string `json:"addr"`
}

func (s *Service) mfaKey(token string) string {
	h := sha256.Sum256([]byte(token))
	return s.p.RedisPrefix + "mfa:" + fmt.Sprintf("%x", h)
}

// startMFA stores a pending second step for u from addr and returns its token.
func (s *Service) startMFA(ctx context.Context, u store.User, addr string) (string, error) {
	token := randomString(32)
	b, _ := json.Marshal(mfaPending{UserID: u.ID, Username: u.Username, Addr: addr})
	key := s.mfaKey(token)
	pipe := s.rdb.TxPipeline()
	pipe.HSet(ctx, key, "data", b, "tries", 0)
	pipe.PExpire(ctx, key, MFAPendingTTL)
	if _, err := pipe.Exec(ctx); err != nil {
		return "", fmt.Errorf("save pending sign-in: %w", err)
	}
	return token, nil
}

// errMFAExpired: no pending second step for that token (expired, used, too many tries, or
// another address).
var errMFAExpired = errors.New("the sign-in has expired: enter the password again")

// takeMFAAttempt counts one code attempt on the pending sign-in of token and returns it.
func (s *Service) takeMFAAttempt(ctx context.Context, token, addr string) (mfaPending, error) {
	var p mfaPending
	if token == "" || len(token) > 100 {
		return p, errMFAExpired
	}
	key := s.mfaKey(token)
	tries, err := s.rdb.HIncrBy(ctx, key, "tries", 1).Result()
	if err != nil {
		return p, fmt.Errorf("read pending sign-in: %w", err)
	}
	raw, err := s.rdb.HGet(ctx, key, "data").Bytes()
	if errors.Is(err, redis.Nil) {
		s.rdb.Del(ctx, key) // HIncrBy created it
		return p, errMFAExpired
	}
	if err != nil {
		return p, fmt.Errorf("read pending sign-in: %w", err)
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, fmt.Errorf("decode pending sign-in: %w", err)
	}
	if tries > mfaMaxAttempts || p.Addr != addr {
		s.rdb.Del(ctx, key)
		return p, errMFAExpired
	}
	return p, nil
}

func (s *Service) endMFA(ctx context.Context, token string) {
	if err := s.rdb.Del(ctx, s.mfaKey(token)).Err(); err != nil {
		s.log.WarnContext(ctx, "pending sign-in not deleted", "err", err)
	}
}
