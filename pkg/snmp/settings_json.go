package snmp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// settingsJSON is the wire shape of Settings. Secrets are accepted on input and never written:
// output carries community_set / auth_password_set / priv_password_set instead.
type settingsJSON struct {
	Version         string  `json:"version"`
	Community       *string `json:"community,omitempty"`
	CommunitySet    bool    `json:"community_set"`
	Username        string  `json:"username,omitempty"`
	SecurityLevel   string  `json:"security_level,omitempty"`
	AuthProtocol    string  `json:"auth_protocol,omitempty"`
	AuthPassword    *string `json:"auth_password,omitempty"`
	AuthPasswordSet bool    `json:"auth_password_set"`
	PrivProtocol    string  `json:"priv_protocol,omitempty"`
	PrivPassword    *string `json:"priv_password,omitempty"`
	PrivPasswordSet bool    `json:"priv_password_set"`
	ContextName     string  `json:"context_name,omitempty"`
	Host            string  `json:"host,omitempty"`
	Port            *int    `json:"port,omitempty"`
	TimeoutMS       *int64  `json:"timeout_ms,omitempty"`
	Retries         *int    `json:"retries,omitempty"`
	MaxRepetitions  *int    `json:"max_repetitions,omitempty"`
}

// MarshalJSON writes the settings without any secret value, e.g.
//
//	{"version":"3","community_set":false,"username":"noc","security_level":"authPriv",
//	 "auth_protocol":"SHA-256","auth_password_set":true,"priv_protocol":"AES",
//	 "priv_password_set":true,"port":161,"timeout_ms":2000,"retries":1,"max_repetitions":10}
func (s Settings) MarshalJSON() ([]byte, error) {
	d := s.WithDefaults()
	timeout := d.Timeout.Milliseconds()
	return json.Marshal(settingsJSON{
		Version: string(d.Version), CommunitySet: d.Community.IsSet(),
		Username: d.Username, SecurityLevel: string(d.SecurityLevel),
		AuthProtocol: string(d.AuthProtocol), AuthPasswordSet: d.AuthPassword.IsSet(),
		PrivProtocol: string(d.PrivProtocol), PrivPasswordSet: d.PrivPassword.IsSet(),
		ContextName: d.ContextName, Host: d.Host, Port: &d.Port, TimeoutMS: &timeout,
		Retries: &d.Retries, MaxRepetitions: &d.MaxRepetitions,
	})
}

// UnmarshalJSON reads settings, secrets included. Unknown fields are rejected (a misspelt
// "comunity" must not silently drop a credential); the read-only *_set fields are ignored.
// Absent port, timeout_ms, retries and max_repetitions take their defaults. Version and
// protocol names are normalised ("v2c" → "2c", "sha256" → "SHA-256", "aes128" → "AES").
func (s *Settings) UnmarshalJSON(b []byte) error {
	var w settingsJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return jsonFieldError(err)
	}
	if dec.More() {
		return &FieldError{Field: "", Message: "trailing data after the settings object"}
	}
	out := Settings{
		Version: normalizeVersion(w.Version), Username: w.Username,
		SecurityLevel: normalizeLevel(w.SecurityLevel), AuthProtocol: normalizeAuth(w.AuthProtocol),
		PrivProtocol: normalizePriv(w.PrivProtocol), ContextName: w.ContextName,
		Host: strings.TrimSpace(w.Host), Port: DefaultPort, Timeout: DefaultTimeout,
		Retries: DefaultRetries, MaxRepetitions: DefaultMaxRepetitions,
	}
	for _, p := range []struct {
		in  *string
		out *Secret
	}{{w.Community, &out.Community}, {w.AuthPassword, &out.AuthPassword}, {w.PrivPassword, &out.PrivPassword}} {
		if p.in != nil && *p.in != "" {
			*p.out = NewSecret(*p.in)
		}
	}
	if w.Port != nil {
		out.Port = *w.Port
	}
	if w.TimeoutMS != nil {
		if *w.TimeoutMS < 0 || *w.TimeoutMS > MaxTimeout.Milliseconds() {
			return fieldErr("timeout_ms", "must be between %d and %d", MinTimeout.Milliseconds(), MaxTimeout.Milliseconds())
		}
		out.Timeout = time.Duration(*w.TimeoutMS) * time.Millisecond
	}
	if w.Retries != nil {
		out.Retries = *w.Retries
	}
	if w.MaxRepetitions != nil {
		out.MaxRepetitions = *w.MaxRepetitions
	}
	*s = out
	return nil
}

// jsonFieldError names the offending field of a decoding error where encoding/json says it.
func jsonFieldError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fieldErr(te.Field, "must be a JSON %s", te.Type.Kind())
	}
	const unknown = "json: unknown field "
	if msg := err.Error(); strings.HasPrefix(msg, unknown) {
		return fieldErr(strings.Trim(strings.TrimPrefix(msg, unknown), `"`), "is not a settings field")
	}
	return &FieldError{Field: "", Message: fmt.Sprintf("malformed JSON: %v", err)}
}

func normalizeVersion(v string) Version {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "2c", "v2c", "2":
		return Version2c
	case "3", "v3":
		return Version3
	}
	return Version(v)
}

func normalizeLevel(v string) SecurityLevel {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "authnopriv":
		return AuthNoPriv
	case "authpriv":
		return AuthPriv
	}
	return SecurityLevel(v)
}

func normalizeAuth(v string) AuthProtocol {
	key := strings.ToUpper(strings.NewReplacer("-", "", "_", "", " ", "").Replace(v))
	switch key {
	case "SHA", "SHA1":
		return AuthSHA
	case "SHA224":
		return AuthSHA224
	case "SHA256":
		return AuthSHA256
	case "SHA384":
		return AuthSHA384
	case "SHA512":
		return AuthSHA512
	}
	return AuthProtocol(v)
}

func normalizePriv(v string) PrivProtocol {
	key := strings.ToUpper(strings.NewReplacer("-", "", "_", "", " ", "").Replace(v))
	switch key {
	case "AES", "AES128":
		return PrivAES
	case "AES192":
		return PrivAES192
	case "AES256":
		return PrivAES256
	case "AES192C":
		return PrivAES192C
	case "AES256C":
		return PrivAES256C
	}
	return PrivProtocol(v)
}

func sortFieldErrs(errs []error) {
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
}
