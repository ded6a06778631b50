package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// HashParams are the argon2id cost parameters of new password hashes. Existing hashes keep
// their own parameters (they are in the PHC string) and are upgraded at the next sign-in.
type HashParams struct {
	// MemoryKiB is the memory cost in KiB (default 19456, OWASP's argon2id baseline).
	MemoryKiB uint32
	// Iterations is the time cost (default 2).
	Iterations uint32
	// Threads is the parallelism (default 1).
	Threads uint8
}

// Default argon2id costs follow OWASP's password storage recommendation (m=19 MiB, t=2, p=1):
// a few tens of milliseconds per hash on one core.
const (
	DefaultHashMemoryKiB  = 19456
	DefaultHashIterations = 2
	DefaultHashThreads    = 1
)

func (p *HashParams) setDefaults() {
	if p.MemoryKiB == 0 {
		p.MemoryKiB = DefaultHashMemoryKiB
	}
	if p.Iterations == 0 {
		p.Iterations = DefaultHashIterations
	}
	if p.Threads == 0 {
		p.Threads = DefaultHashThreads
	}
}

const (
	saltLen = 16
	keyLen  = 32
	// MinPasswordLen and MaxPasswordLen bound passwords (bytes). The maximum keeps hashing cost
	// bounded; argon2 has no length limit of its own.
	MinPasswordLen = 12
	MaxPasswordLen = 1024
)

// ErrWeakPassword is returned for a password shorter than MinPasswordLen or longer than
// MaxPasswordLen.
var ErrWeakPassword = fmt.Errorf("password must be %d to %d bytes long", MinPasswordLen, MaxPasswordLen)

// CheckPasswordPolicy returns ErrWeakPassword when pw is too short or too long.
func CheckPasswordPolicy(pw string) error {
	if len(pw) < MinPasswordLen || len(pw) > MaxPasswordLen {
		return ErrWeakPassword
	}
	return nil
}

// hashPassword returns the PHC string of an argon2id hash of pw with a fresh salt.
func hashPassword(p HashParams, pw string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Iterations, p.MemoryKiB, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Iterations,
		p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// errBadHash says a stored hash cannot be parsed; the account cannot sign in until reset.
var errBadHash = errors.New("unrecognised password hash format")

// verifyPassword checks pw against a PHC argon2id string in constant time, and reports whether
// the hash's parameters differ from p (so the caller re-hashes after a successful sign-in).
func verifyPassword(p HashParams, encoded, pw string) (ok, stale bool, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, false, errBadHash
	}
	var version int
	var hp HashParams
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, false, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &hp.MemoryKiB, &hp.Iterations, &hp.Threads); err != nil {
		return false, false, errBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || hp.MemoryKiB == 0 || hp.Iterations == 0 || hp.Threads == 0 {
		return false, false, errBadHash
	}
	got := argon2.IDKey([]byte(pw), salt, hp.Iterations, hp.MemoryKiB, hp.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, hp != p, nil
}
