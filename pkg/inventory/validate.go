package inventory

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// FieldError says which field of a device definition is wrong and why.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Limits of the text fields.
const (
	MaxNameLen  = 200
	MaxTextLen  = 100
	MaxLabels   = 50
	MaxLabelLen = 200
)

var labelKeyRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.\-/]{0,62}$`)

// Name validates a device name: not blank, at most MaxNameLen, no control characters.
func Name(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", &FieldError{"name", "is required"}
	case utf8.RuneCountInString(s) > MaxNameLen:
		return "", &FieldError{"name", fmt.Sprintf("longer than %d characters", MaxNameLen)}
	case hasControl(s) || !utf8.ValidString(s):
		return "", &FieldError{"name", "contains control characters or invalid UTF-8"}
	}
	if err := checkInvisible("name", s); err != nil {
		return "", err
	}
	return s, nil
}

// IP validates an IPv4 or IPv6 address (no zone, no prefix).
func IP(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, &FieldError{"ip", fmt.Sprintf("%q is not an IPv4 or IPv6 address", s)}
	}
	return a.Unmap(), nil
}

// Text validates an optional short text field (branch, region, type, vendor).
func Text(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > MaxTextLen {
		return "", &FieldError{field, fmt.Sprintf("longer than %d characters", MaxTextLen)}
	}
	if hasControl(s) || !utf8.ValidString(s) {
		return "", &FieldError{field, "contains control characters or invalid UTF-8"}
	}
	if err := checkInvisible(field, s); err != nil {
		return "", err
	}
	return s, nil
}

// Labels validates a label map: at most MaxLabels, keys like Prometheus label names (plus . - /).
func Labels(m map[string]string) (map[string]string, error) {
	if len(m) > MaxLabels {
		return nil, &FieldError{"labels", fmt.Sprintf("more than %d labels", MaxLabels)}
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if !labelKeyRe.MatchString(k) {
			return nil, &FieldError{"labels", fmt.Sprintf("label key %q must match %s", k, labelKeyRe)}
		}
		if len(v) > MaxLabelLen || hasControl(v) || !utf8.ValidString(v) {
			return nil, &FieldError{"labels", fmt.Sprintf("label %q: value too long or has control characters", k)}
		}
		if r, ok := invisibleRune(v); ok {
			return nil, &FieldError{"labels", fmt.Sprintf("label %q: contains the invisible formatting character U+%04X", k, r)}
		}
		out[k] = v
	}
	return out, nil
}

// ParseLabels reads "k=v;k2=v2" (the CSV form of labels).
func ParseLabels(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, &FieldError{"labels", fmt.Sprintf("%q is not key=value", part)}
		}
		k = strings.TrimSpace(k)
		if prev, dup := m[k]; dup {
			// two values for one key is a typo in the inventory; keeping either would hide it
			return nil, &FieldError{"labels", fmt.Sprintf("key %q given twice (%q and %q)", k, prev, strings.TrimSpace(v))}
		}
		m[k] = strings.TrimSpace(v)
	}
	return Labels(m)
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) { // C0, DEL and C1
			return true
		}
	}
	return false
}

// checkInvisible refuses text with a format character (Unicode category Cf): the bidirectional
// overrides and isolates (U+202A-U+202E, U+2066-U+2069, U+200E/F, U+061C) that make
// "ATM-01<U+202E>10-MTA" display as something else, and the zero-width characters (U+200B-U+200D,
// U+2060, U+FEFF, U+00AD) that make two different names look the same on the dashboard.
func checkInvisible(field, s string) error {
	if r, ok := invisibleRune(s); ok {
		return &FieldError{field, fmt.Sprintf("contains the invisible formatting character U+%04X (bidirectional or zero-width characters can disguise a name)", r)}
	}
	return nil
}

// invisibleRune returns the first format character of s.
func invisibleRune(s string) (rune, bool) {
	for _, r := range s {
		if unicode.Is(unicode.Cf, r) {
			return r, true
		}
	}
	return 0, false
}
