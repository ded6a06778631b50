package snmp

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseOID(t *testing.T) {
	tests := []struct {
		in      string
		want    OID
		wantErr bool
	}{
		{"1.3.6.1.2.1.1.3.0", OID{1, 3, 6, 1, 2, 1, 1, 3, 0}, false},
		{".1.3.6.1", OID{1, 3, 6, 1}, false},
		{"2.25.4294967295", OID{2, 25, 4294967295}, false},
		{"", nil, true},
		{".", nil, true},
		{"1", nil, true},
		{"1..3", nil, true},
		{"1.3.", nil, true},
		{"3.1", nil, true},
		{"1.3.4294967296", nil, true},
		{"1.3.-1", nil, true},
		{"1.3.+1", nil, true},
		{"1.3.01", nil, true},
		{"1.3.6.1.x", nil, true},
		{"sysName.0", nil, true},
		{" 1.3", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseOID(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ParseOID(%q) error = %v, wantErr %v", tc.in, err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, ErrBadOID) {
				t.Errorf("error %v does not wrap ErrBadOID", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseOID(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestOIDCompareAndPrefix(t *testing.T) {
	tests := []struct {
		a, b       string
		cmp        int
		aHasPrefix bool
	}{
		{"1.3.6.1.2", "1.3.6.1.2", 0, true},
		{"1.3.6.1.2.1", "1.3.6.1.2", 1, true},
		{"1.3.6.1.10", "1.3.6.1.9", 1, false},
		{"1.3.6.1.2", "1.3.6.1.10", -1, false},
		{"1.3", "1.3.6", -1, false},
	}
	for _, tc := range tests {
		t.Run(tc.a+"_"+tc.b, func(t *testing.T) {
			a, b := MustOID(tc.a), MustOID(tc.b)
			if got := a.Compare(b); got != tc.cmp {
				t.Errorf("Compare = %d, want %d", got, tc.cmp)
			}
			if got := a.HasPrefix(b); got != tc.aHasPrefix {
				t.Errorf("HasPrefix = %v, want %v", got, tc.aHasPrefix)
			}
			if got := a.String(); got != tc.a {
				t.Errorf("String = %q, want %q", got, tc.a)
			}
		})
	}
}

func FuzzParseOID(f *testing.F) {
	for _, s := range []string{"1.3.6.1.2.1.1.3.0", ".1.3", "", "1..2", "2.4294967295", "1.3.01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseOID(s)
		if err != nil {
			return
		}
		back, err := ParseOID(o.String())
		if err != nil || back.Compare(o) != 0 {
			t.Fatalf("round trip of %q: %v %v", s, back, err)
		}
	})
}
