package config

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wardops/wardops/pkg/notify"
)

// Getenv looks up one variable; os.LookupEnv in the binaries, a map in tests.
type Getenv func(key string) (string, bool)

// FieldError names the variable whose value is wrong.
type FieldError struct {
	Var    string
	Value  string
	Reason string
}

func (e *FieldError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: %s", e.Var, e.Reason)
	}
	return fmt.Sprintf("%s=%q: %s", e.Var, e.Value, e.Reason)
}

// reader collects the first error per variable while a section is loaded.
type reader struct {
	get  Getenv
	errs []error
}

func (r *reader) fail(key, val, reason string) {
	r.errs = append(r.errs, &FieldError{Var: key, Value: val, Reason: reason})
}

func (r *reader) err() error { return errors.Join(r.errs...) }

func (r *reader) str(key, def string) string {
	if v, ok := r.get(key); ok && strings.TrimSpace(v) != "" {
		return strings.TrimSpace(v)
	}
	return def
}

func (r *reader) integer(key string, def, lo, hi int) int {
	v, ok := r.get(key)
	if !ok || strings.TrimSpace(v) == "" {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		r.fail(key, v, "not an integer")
		return def
	}
	if n < lo || n > hi {
		r.fail(key, v, fmt.Sprintf("must be between %d and %d", lo, hi))
		return def
	}
	return n
}

func (r *reader) duration(key string, def, lo, hi time.Duration) time.Duration {
	v, ok := r.get(key)
	if !ok || strings.TrimSpace(v) == "" {
		return def
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil {
		r.fail(key, v, "not a duration (use e.g. 30s, 5m)")
		return def
	}
	if d < lo || d > hi {
		r.fail(key, v, fmt.Sprintf("must be between %s and %s", lo, hi))
		return def
	}
	return d
}

func (r *reader) boolean(key string, def bool) bool {
	v, ok := r.get(key)
	if !ok || strings.TrimSpace(v) == "" {
		return def
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		r.fail(key, v, "not a boolean (true/false)")
		return def
	}
	return b
}

// url reads a URL whose scheme must be one of schemes.
func (r *reader) url(key, def string, schemes ...string) string {
	v := r.str(key, def)
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		r.fail(key, v, "not a URL with a host")
		return v
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return v
		}
	}
	r.fail(key, v, "scheme must be one of "+strings.Join(schemes, ", "))
	return v
}

func (r *reader) oneOf(key, def string, allowed ...string) string {
	v := r.str(key, def)
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return a
		}
	}
	r.fail(key, v, "must be one of "+strings.Join(allowed, ", "))
	return def
}

// prefixes reads a comma-separated list of addresses or CIDRs (an address is its /32 or /128).
func (r *reader) prefixes(key string) []netip.Prefix {
	v := r.str(key, "")
	if v == "" {
		return nil
	}
	var out []netip.Prefix
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			r.fail(key, v, fmt.Sprintf("%q is not an address or CIDR", f))
			return nil
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out
}

// allowList reads a notification destination allow-list (notify.ParseAllowList).
func (r *reader) allowList(key string) notify.AllowList {
	v := r.str(key, "")
	a, err := notify.ParseAllowList(v)
	if err != nil {
		r.fail(key, v, err.Error())
	}
	return a
}

// MapEnv reads variables from m instead of the process environment (tests, the harness).
func MapEnv(m map[string]string) Getenv {
	return func(key string) (string, bool) {
		v, ok := m[key]
		return v, ok
	}
}
