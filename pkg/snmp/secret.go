package snmp

import (
	"log/slog"
)

// Secret is a write-only string (a community or a v3 passphrase). It is read from JSON input
// but never written back out, and it prints and logs as "[redacted]". A Secret may be "stored":
// known to exist at rest without its value having been decrypted (for display).
type Secret struct {
	value  string
	stored bool
}

// NewSecret wraps a plaintext secret.
func NewSecret(s string) Secret { return Secret{value: s} }

// StoredSecret is a secret known to be set but not revealed.
func StoredSecret() Secret { return Secret{stored: true} }

// Reveal returns the plaintext ("" when unset or only known to be stored).
func (s Secret) Reveal() string { return s.value }

// IsSet reports whether the secret has a value, revealed or stored.
func (s Secret) IsSet() bool { return s.value != "" || s.stored }

// String never shows the value.
func (s Secret) String() string {
	if s.IsSet() {
		return "[redacted]"
	}
	return ""
}

// GoString never shows the value (%#v).
func (s Secret) GoString() string { return `snmp.Secret("` + s.String() + `")` }

// LogValue keeps the value out of slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON writes null: a Secret is never serialised (Settings writes *_set flags instead).
func (s Secret) MarshalJSON() ([]byte, error) { return []byte("null"), nil }
