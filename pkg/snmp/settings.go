package snmp

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"time"

	"github.com/gosnmp/gosnmp"
)

// Defaults of Settings (applied by WithDefaults and to absent JSON fields).
const (
	DefaultPort           = 161
	DefaultTimeout        = 2 * time.Second
	DefaultRetries        = 1
	DefaultMaxRepetitions = 10
)

// Limits of Settings.
const (
	MinTimeout        = 100 * time.Millisecond
	MaxTimeout        = 60 * time.Second
	MaxRetries        = 10
	MaxMaxRepetitions = 100
	minPassphraseLen  = 8 // RFC 3414 §11.2; net-snmp refuses shorter
	maxSecretLen      = 255
	maxNameLen        = 32 // SnmpAdminString (SIZE(1..32)) for user and context names
)

// Version is the SNMP version: "2c" or "3".
type Version string

// SNMP versions.
const (
	Version2c Version = "2c"
	Version3  Version = "3"
)

// SecurityLevel is the SNMPv3 security level.
type SecurityLevel string

// SNMPv3 security levels (noAuthNoPriv is not offered: it sends everything in clear).
const (
	AuthNoPriv SecurityLevel = "authNoPriv"
	AuthPriv   SecurityLevel = "authPriv"
)

// AuthProtocol is an SNMPv3 authentication protocol.
type AuthProtocol string

// Authentication protocols.
const (
	AuthSHA    AuthProtocol = "SHA"
	AuthSHA224 AuthProtocol = "SHA-224"
	AuthSHA256 AuthProtocol = "SHA-256"
	AuthSHA384 AuthProtocol = "SHA-384"
	AuthSHA512 AuthProtocol = "SHA-512"
)

// PrivProtocol is an SNMPv3 privacy (encryption) protocol.
type PrivProtocol string

// Privacy protocols. AES-192/AES-256 use the Blumenthal key extension (net-snmp, most
// vendors); the -C variants use the Reeder extension that Cisco IOS uses.
const (
	PrivAES     PrivProtocol = "AES"
	PrivAES192  PrivProtocol = "AES-192"
	PrivAES256  PrivProtocol = "AES-256"
	PrivAES192C PrivProtocol = "AES-192-C"
	PrivAES256C PrivProtocol = "AES-256-C"
)

var authProtocols = map[AuthProtocol]gosnmp.SnmpV3AuthProtocol{
	AuthSHA: gosnmp.SHA, AuthSHA224: gosnmp.SHA224, AuthSHA256: gosnmp.SHA256,
	AuthSHA384: gosnmp.SHA384, AuthSHA512: gosnmp.SHA512,
}

var privProtocols = map[PrivProtocol]gosnmp.SnmpV3PrivProtocol{
	PrivAES: gosnmp.AES, PrivAES192: gosnmp.AES192, PrivAES256: gosnmp.AES256,
	PrivAES192C: gosnmp.AES192C, PrivAES256C: gosnmp.AES256C,
}

// Settings are the SNMP credentials and polling parameters of a device (or of a monitoring
// profile, as the default of its devices). Secrets are write-only: see Secret and MarshalJSON.
type Settings struct {
	// Version is "2c" or "3" (required).
	Version Version
	// Community is the SNMPv2c community (required for 2c).
	Community Secret
	// Username is the SNMPv3 user (required for 3).
	Username string
	// SecurityLevel is authNoPriv or authPriv (required for 3).
	SecurityLevel SecurityLevel
	// AuthProtocol is SHA, SHA-224, SHA-256, SHA-384 or SHA-512 (required for 3).
	AuthProtocol AuthProtocol
	// AuthPassword is the SNMPv3 authentication passphrase, at least 8 characters.
	AuthPassword Secret
	// PrivProtocol is AES, AES-192, AES-256, AES-192-C or AES-256-C (authPriv only).
	PrivProtocol PrivProtocol
	// PrivPassword is the SNMPv3 privacy passphrase, at least 8 characters (authPriv only).
	PrivPassword Secret
	// ContextName is the SNMPv3 context (optional).
	ContextName string
	// Host overrides the device IP as the SNMP target (IP or DNS name; optional).
	Host string
	// Port is the agent's UDP port (default 161).
	Port int
	// Timeout is the timeout of one request (default 2 s).
	Timeout time.Duration
	// Retries is the number of resends after a timeout (default 1 from JSON).
	Retries int
	// MaxRepetitions is the GetBulk max-repetitions (default 10).
	MaxRepetitions int
}

// WithDefaults fills the zero Port, Timeout and MaxRepetitions with their defaults (zero is
// never valid for them). Retries is left alone: 0 retries is a valid choice.
func (s Settings) WithDefaults() Settings {
	if s.Port == 0 {
		s.Port = DefaultPort
	}
	if s.Timeout == 0 {
		s.Timeout = DefaultTimeout
	}
	if s.MaxRepetitions == 0 {
		s.MaxRepetitions = DefaultMaxRepetitions
	}
	return s
}

func (s Settings) timeout() time.Duration {
	if s.Timeout <= 0 {
		return DefaultTimeout
	}
	return s.Timeout
}

// FieldError names the settings field (its JSON name) that failed validation.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// InputField names the JSON field, for the API's decoder (httpsec.InputFieldError).
func (e *FieldError) InputField() string { return e.Field }

// ErrInvalid is matched (errors.Is) by every validation error of this package.
var ErrInvalid = errors.New("invalid SNMP settings")

// Is makes every FieldError match ErrInvalid.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

var hostnameRE = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$`)

// Validate checks the settings and returns every problem, each a *FieldError naming the JSON
// field (errors.As finds the first; errors.Is(err, ErrInvalid) holds). Zero Port, Timeout
// and MaxRepetitions are accepted as "default".
func (s Settings) Validate() error {
	var errs []error
	switch s.Version {
	case Version2c:
		errs = append(errs, s.validateV2c()...)
	case Version3:
		errs = append(errs, s.validateV3()...)
	case "":
		errs = append(errs, fieldErr("version", "is required (2c or 3)"))
	default:
		errs = append(errs, fieldErr("version", "must be 2c or 3, not %q", s.Version))
	}
	errs = append(errs, s.validateTransport()...)
	return errors.Join(errs...)
}

func (s Settings) validateV2c() []error {
	var errs []error
	c := s.Community
	switch {
	case !c.IsSet():
		errs = append(errs, fieldErr("community", "is required for SNMPv2c"))
	case len(c.value) > maxSecretLen:
		errs = append(errs, fieldErr("community", "is longer than %d characters", maxSecretLen))
	case strings.ContainsAny(c.value, "\x00\r\n"):
		errs = append(errs, fieldErr("community", "contains a control character"))
	}
	for field, v := range map[string]bool{"username": s.Username != "", "security_level": s.SecurityLevel != "",
		"auth_protocol": s.AuthProtocol != "", "auth_password": s.AuthPassword.IsSet(),
		"priv_protocol": s.PrivProtocol != "", "priv_password": s.PrivPassword.IsSet(), "context_name": s.ContextName != ""} {
		if v {
			errs = append(errs, fieldErr(field, "applies to SNMPv3 only"))
		}
	}
	sortFieldErrs(errs)
	return errs
}

func (s Settings) validateV3() []error {
	var errs []error
	if s.Community.IsSet() {
		errs = append(errs, fieldErr("community", "applies to SNMPv2c only"))
	}
	switch {
	case s.Username == "":
		errs = append(errs, fieldErr("username", "is required for SNMPv3"))
	case len(s.Username) > maxNameLen || strings.ContainsAny(s.Username, "\x00\r\n"):
		errs = append(errs, fieldErr("username", "must be 1 to %d printable characters", maxNameLen))
	}
	if len(s.ContextName) > maxNameLen {
		errs = append(errs, fieldErr("context_name", "is longer than %d characters", maxNameLen))
	}
	if _, ok := authProtocols[s.AuthProtocol]; !ok {
		errs = append(errs, fieldErr("auth_protocol", "must be one of SHA, SHA-224, SHA-256, SHA-384, SHA-512, not %q", s.AuthProtocol))
	}
	errs = append(errs, passphraseErr("auth_password", s.AuthPassword)...)
	switch s.SecurityLevel {
	case AuthPriv:
		if _, ok := privProtocols[s.PrivProtocol]; !ok {
			errs = append(errs, fieldErr("priv_protocol", "must be one of AES, AES-192, AES-256, AES-192-C, AES-256-C, not %q", s.PrivProtocol))
		}
		errs = append(errs, passphraseErr("priv_password", s.PrivPassword)...)
	case AuthNoPriv:
		if s.PrivProtocol != "" {
			errs = append(errs, fieldErr("priv_protocol", "must be empty for authNoPriv"))
		}
		if s.PrivPassword.IsSet() {
			errs = append(errs, fieldErr("priv_password", "must be empty for authNoPriv"))
		}
	case "":
		errs = append(errs, fieldErr("security_level", "is required for SNMPv3 (authNoPriv or authPriv)"))
	default:
		errs = append(errs, fieldErr("security_level", "must be authNoPriv or authPriv, not %q", s.SecurityLevel))
	}
	return errs
}

func passphraseErr(field string, p Secret) []error {
	switch {
	case !p.IsSet():
		return []error{fieldErr(field, "is required")}
	case p.stored && p.value == "":
		return nil // kept from storage, validated when it was set
	case len(p.value) < minPassphraseLen:
		return []error{fieldErr(field, "must be at least %d characters", minPassphraseLen)}
	case len(p.value) > maxSecretLen:
		return []error{fieldErr(field, "is longer than %d characters", maxSecretLen)}
	}
	return nil
}

func (s Settings) validateTransport() []error {
	var errs []error
	if s.Host != "" {
		if _, err := netip.ParseAddr(s.Host); err != nil && (len(s.Host) > 253 || !hostnameRE.MatchString(s.Host)) {
			errs = append(errs, fieldErr("host", "must be an IP address or a DNS name, not %q", s.Host))
		}
	}
	if s.Port < 0 || s.Port > 65535 {
		errs = append(errs, fieldErr("port", "must be between 1 and 65535"))
	}
	if s.Timeout != 0 && (s.Timeout < MinTimeout || s.Timeout > MaxTimeout) {
		errs = append(errs, fieldErr("timeout_ms", "must be between %d and %d", MinTimeout.Milliseconds(), MaxTimeout.Milliseconds()))
	}
	if s.Retries < 0 || s.Retries > MaxRetries {
		errs = append(errs, fieldErr("retries", "must be between 0 and %d", MaxRetries))
	}
	if s.MaxRepetitions < 0 || s.MaxRepetitions > MaxMaxRepetitions {
		errs = append(errs, fieldErr("max_repetitions", "must be between 1 and %d", MaxMaxRepetitions))
	}
	return errs
}

// MergeSecrets returns s with every secret that s leaves unset taken from old, when old's
// secret still applies: the community when both are v2c, the passphrases when both are v3 for
// the same user. This gives an update the "omit a secret to keep it" semantics.
func (s Settings) MergeSecrets(old Settings) Settings {
	switch {
	case s.Version == Version2c && old.Version == Version2c:
		if !s.Community.IsSet() {
			s.Community = old.Community
		}
	case s.Version == Version3 && old.Version == Version3 && s.Username == old.Username:
		if !s.AuthPassword.IsSet() {
			s.AuthPassword = old.AuthPassword
		}
		if !s.PrivPassword.IsSet() && s.SecurityLevel == AuthPriv {
			s.PrivPassword = old.PrivPassword
		}
	}
	return s
}
