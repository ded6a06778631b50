package snmp

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxOIDLength is the longest OID accepted (RFC 2578 allows 128 sub-identifiers).
const MaxOIDLength = 128

// OID is a numeric object identifier such as 1.3.6.1.2.1.1.3.0.
type OID []uint32

// ErrBadOID is returned by ParseOID for text that is not a numeric dotted OID.
var ErrBadOID = errors.New("not a numeric OID")

// ParseOID parses a dotted numeric OID; a leading dot is allowed (".1.3.6.1" as gosnmp writes
// them). It needs at least two sub-identifiers, each at most 2^32-1, the first 0, 1 or 2.
func ParseOID(s string) (OID, error) {
	s = strings.TrimPrefix(s, ".")
	if s == "" {
		return nil, fmt.Errorf("%w: empty", ErrBadOID)
	}
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > MaxOIDLength {
		return nil, fmt.Errorf("%w: %q has %d sub-identifiers (2..%d)", ErrBadOID, s, len(parts), MaxOIDLength)
	}
	o := make(OID, len(parts))
	for i, p := range parts {
		if p == "" || (len(p) > 1 && p[0] == '0') || strings.TrimLeft(p, "0123456789") != "" {
			return nil, fmt.Errorf("%w: %q", ErrBadOID, s)
		}
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: sub-identifier %q out of range", ErrBadOID, s, p)
		}
		o[i] = uint32(n)
	}
	if o[0] > 2 {
		return nil, fmt.Errorf("%w: %q must start with 0, 1 or 2", ErrBadOID, s)
	}
	return o, nil
}

// MustOID parses a constant OID of this package; it panics on a typo (programming error).
func MustOID(s string) OID {
	o, err := ParseOID(s)
	if err != nil {
		panic(err)
	}
	return o
}

// String writes the OID dotted, without a leading dot.
func (o OID) String() string {
	var b strings.Builder
	for i, n := range o {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.FormatUint(uint64(n), 10))
	}
	return b.String()
}

// dotted is the form gosnmp puts on the wire API: with a leading dot.
func (o OID) dotted() string { return "." + o.String() }

// HasPrefix reports whether p is a prefix of o (o is p or below it).
func (o OID) HasPrefix(p OID) bool {
	if len(p) > len(o) {
		return false
	}
	for i := range p {
		if o[i] != p[i] {
			return false
		}
	}
	return true
}

// Compare orders OIDs lexicographically by sub-identifier, as agents walk them.
func (o OID) Compare(p OID) int {
	for i := 0; i < len(o) && i < len(p); i++ {
		switch {
		case o[i] < p[i]:
			return -1
		case o[i] > p[i]:
			return 1
		}
	}
	switch {
	case len(o) < len(p):
		return -1
	case len(o) > len(p):
		return 1
	}
	return 0
}

// Append returns o followed by sub, as a new OID.
func (o OID) Append(sub ...uint32) OID {
	out := make(OID, 0, len(o)+len(sub))
	return append(append(out, o...), sub...)
}
