package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of a key in bytes (AES-256).
const KeySize = 32

// version is the prefix of every sealed value; it changes if the format ever does.
const version = "v1"

// ErrNoKey is returned when no key is configured: by New and ParseKey for an empty key, and by
// Seal and Open on a nil *Box. Callers use it to refuse to start when secrets are stored but
// WARDOPS_SECRET_KEY is not set.
var ErrNoKey = errors.New("no secret key configured (set WARDOPS_SECRET_KEY)")

// ErrBadKey is returned for a key that is not 32 bytes of base64 or hex.
var ErrBadKey = errors.New("secret key must be 32 bytes, written as base64 (44 characters) or hex (64 characters)")

// ErrUnknownKey is returned by Open for a value sealed with a key the Box does not hold.
var ErrUnknownKey = errors.New("sealed with an unknown key")

// ErrMalformed is returned by Open for a value that is not a sealed value of this format.
var ErrMalformed = errors.New("malformed sealed value")

// ErrDecrypt is returned by Open when authentication fails: the value or its associated data
// was altered, or it belongs to another record.
var ErrDecrypt = errors.New("decrypt sealed value: authentication failed")

// Box seals and opens secrets. A nil *Box is valid and fails every call with ErrNoKey.
// It is safe for concurrent use.
type Box struct {
	current keyed
	byID    map[string]cipher.AEAD
}

type keyed struct {
	id   string
	aead cipher.AEAD
}

// ParseKey decodes WARDOPS_SECRET_KEY: 64 hex characters or standard/URL base64 of 32 bytes.
// Surrounding spaces are ignored. An empty string gives ErrNoKey.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, ErrNoKey
	}
	if len(s) == 2*KeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	return nil, ErrBadKey
}

// New returns a Box that seals with key and opens values sealed with key or any of previous
// (older keys kept during a rotation). Every key must be KeySize bytes; an empty key gives
// ErrNoKey.
func New(key []byte, previous ...[]byte) (*Box, error) {
	if len(key) == 0 {
		return nil, ErrNoKey
	}
	b := &Box{byID: make(map[string]cipher.AEAD, 1+len(previous))}
	for i, k := range append([][]byte{key}, previous...) {
		kk, err := newKeyed(k)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i, err)
		}
		if i == 0 {
			b.current = kk
		}
		if _, dup := b.byID[kk.id]; !dup {
			b.byID[kk.id] = kk.aead
		}
	}
	return b, nil
}

func newKeyed(key []byte) (keyed, error) {
	if len(key) != KeySize {
		return keyed{}, ErrBadKey
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return keyed{}, fmt.Errorf("aes cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return keyed{}, fmt.Errorf("gcm: %w", err)
	}
	return keyed{id: KeyID(key), aead: aead}, nil
}

// KeyID is the public identifier of a key written into every value it seals: the first
// 8 hex digits of a domain-separated SHA-256 of the key. It reveals nothing usable about the key.
func KeyID(key []byte) string {
	h := sha256.Sum256(append([]byte("wardops secret key id\x00"), key...))
	return hex.EncodeToString(h[:4])
}

// KeyID returns the identifier of the key the Box seals with ("" for a nil Box).
func (b *Box) KeyID() string {
	if b == nil {
		return ""
	}
	return b.current.id
}

// Seal encrypts plaintext. aad is associated data that must be presented again to Open (for
// example "device:42:snmp"), which binds the value to its record: a sealed value copied to
// another record does not open. The result is "v1.<key id>.<base64url(nonce|ciphertext)>".
func (b *Box) Seal(plaintext, aad []byte) (string, error) {
	if b == nil {
		return "", ErrNoKey
	}
	nonce := make([]byte, b.current.aead.NonceSize(), b.current.aead.NonceSize()+len(plaintext)+b.current.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal: random nonce: %w", err)
	}
	prefix := version + "." + b.current.id + "."
	out := b.current.aead.Seal(nonce, nonce, plaintext, fullAAD(prefix, aad))
	return prefix + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open decrypts a value made by Seal with the same aad.
func (b *Box) Open(sealed string, aad []byte) ([]byte, error) {
	if b == nil {
		return nil, ErrNoKey
	}
	ver, rest, ok := strings.Cut(sealed, ".")
	if !ok || ver != version {
		return nil, ErrMalformed
	}
	id, body, ok := strings.Cut(rest, ".")
	if !ok || len(id) != 8 {
		return nil, ErrMalformed
	}
	aead, ok := b.byID[id]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownKey, id)
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrMalformed
	}
	nonce, ct := raw[:aead.NonceSize()], raw[aead.NonceSize():]
	pt, err := aead.Open(nil, nonce, ct, fullAAD(ver+"."+id+".", aad))
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// IsSealed reports whether s looks like a value made by Seal (format check only).
func IsSealed(s string) bool {
	ver, rest, ok := strings.Cut(s, ".")
	if !ok || ver != version {
		return false
	}
	id, body, ok := strings.Cut(rest, ".")
	return ok && len(id) == 8 && body != ""
}

// fullAAD authenticates the header too, so the version and key id cannot be swapped.
func fullAAD(prefix string, aad []byte) []byte {
	return append([]byte(prefix), aad...)
}
