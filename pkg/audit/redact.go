package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Redacted replaces every secret value in audit documents and logs.
const Redacted = "[redacted]"

// TokenPrefix starts every WardOps API token secret. It lives here so that redaction
// recognises a token in any value, whatever its key; pkg/auth mints tokens with it.
const TokenPrefix = "wdo_"

// secretKeyParts are matched against a key lower-cased with '_', '-', '.' and spaces removed.
var secretKeyParts = []string{
	"password", "passwd", "passphrase", "secret", "token", "community", "authkey", "privkey",
	"authpass", "privpass", "apikey", "privatekey", "credential", "authorization", "cookie",
	"session", "webhook", "encryptionkey", "signingkey", "masterkey", "bearer",
}

// secretKeyExact are whole normalised keys that are secret but too short to match as parts.
var secretKeyExact = map[string]bool{"pass": true, "pwd": true, "psk": true}

// publicKeys are normalised keys that contain a secret-looking part but name metadata.
var publicKeys = map[string]bool{
	"tokenid": true, "tokenname": true, "tokenprefix": true, "tokenrole": true,
	"webhookid": true, "webhookname": true, "sessionidle": true, "sessionabsolute": true,
}

// IsSecretKey reports whether a field or log attribute named key holds a secret: passwords,
// SNMP communities and v3 auth/priv keys, tokens, webhook URLs, cookies, credentials.
func IsSecretKey(key string) bool {
	k := normaliseKey(key)
	if publicKeys[k] {
		return false
	}
	if secretKeyExact[k] {
		return true
	}
	for _, p := range secretKeyParts {
		if strings.Contains(k, p) {
			return true
		}
	}
	return false
}

func normaliseKey(key string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(key) {
		switch r {
		case '_', '-', '.', ' ':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// urlPassword matches the "scheme://user:" part of a URL with a password, up to the '@'.
var urlPassword = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:)[^@\s/]*@`)

// RedactString hides secrets recognisable by their value alone: a WardOps token anywhere in
// s, and the password of a URL's user info. Other text is returned unchanged.
func RedactString(s string) string {
	if i := strings.Index(s, TokenPrefix); i >= 0 {
		end := i + len(TokenPrefix)
		for end < len(s) && isTokenChar(s[end]) {
			end++
		}
		if end-i > len(TokenPrefix)+8 {
			return s[:i] + Redacted + RedactString(s[end:])
		}
	}
	if strings.Contains(s, "://") {
		s = urlPassword.ReplaceAllString(s, "${1}"+Redacted+"@")
	}
	return s
}

func isTokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// Redact marshals v to JSON with every secret-keyed value replaced by Redacted (recursively, in
// objects and arrays) and secret-looking strings cleaned by RedactString. A nil v gives nil.
func Redact(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("marshal for redaction: %w", err)
	}
	return RedactJSON(raw)
}

// RedactJSON is Redact for a document that is already JSON.
func RedactJSON(raw []byte) (json.RawMessage, error) {
	out, _, err := redactJSON(raw)
	return out, err
}

// redactJSON also reports whether anything was redacted.
func redactJSON(raw []byte) (json.RawMessage, bool, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, false, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, false, fmt.Errorf("decode for redaction: %w", err)
	}
	clean, changed := redactValue(doc)
	out, err := json.Marshal(clean)
	if err != nil {
		return nil, false, fmt.Errorf("marshal redacted document: %w", err)
	}
	return out, changed, nil
}

func redactValue(v any) (any, bool) {
	changed := false
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if ck := cleanText(k); ck != k { // jsonb refuses \u0000, even in keys
				delete(x, k)
				k, x[ck], changed = ck, val, true
			}
			if IsSecretKey(k) && val != nil && val != "" {
				x[k], changed = Redacted, true
				continue
			}
			if h, ok := val.(map[string]any); ok && normaliseKey(k) == "headers" {
				changed = redactHeaders(h) || changed // any header may carry a credential
				continue
			}
			var c bool
			x[k], c = redactValue(val)
			changed = changed || c
		}
		return x, changed
	case []any:
		for i := range x {
			var c bool
			x[i], c = redactValue(x[i])
			changed = changed || c
		}
		return x, changed
	case string:
		r := cleanText(RedactString(x))
		return r, r != x
	}
	return v, false
}

// redactHeaders replaces every non-empty value of an HTTP header map (a webhook's headers):
// which header carries a credential is the receiver's choice, so none is kept.
func redactHeaders(h map[string]any) bool {
	changed := false
	for k, v := range h {
		if v != nil && v != "" && v != Redacted {
			h[k], changed = Redacted, true
		}
	}
	return changed
}
