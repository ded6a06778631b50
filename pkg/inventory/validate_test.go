package inventory_test

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/inventory"
)

// errText returns "" for nil, else the error text; a non-nil error must be a *FieldError.
func errText(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var fe *inventory.FieldError
	if !errors.As(err, &fe) {
		t.Errorf("error %v (%T) is not a *inventory.FieldError", err, err)
	}
	return err.Error()
}

func TestName(t *testing.T) {
	cases := []struct {
		name, in, want, wantErr string
	}{
		{name: "plain", in: "br01-rtr", want: "br01-rtr"},
		{name: "trimmed", in: "  br01 rtr\t", want: "br01 rtr"},
		{name: "unicode", in: "Zürich-Kasse-Ä", want: "Zürich-Kasse-Ä"},
		{name: "200 runes of two bytes", in: strings.Repeat("é", 200), want: strings.Repeat("é", 200)},
		{name: "empty", in: "", wantErr: "name: is required"},
		{name: "blank", in: " \t ", wantErr: "name: is required"},
		{name: "201 runes", in: strings.Repeat("é", 201), wantErr: "name: longer than 200 characters"},
		{name: "tab inside", in: "a\tb", wantErr: "name: contains control characters or invalid UTF-8"},
		{name: "newline inside", in: "a\nb", wantErr: "name: contains control characters or invalid UTF-8"},
		{name: "NUL", in: "a\x00b", wantErr: "name: contains control characters or invalid UTF-8"},
		{name: "DEL", in: "a\x7fb", wantErr: "name: contains control characters or invalid UTF-8"},
		{name: "invalid UTF-8", in: "a\xffb", wantErr: "name: contains control characters or invalid UTF-8"},
		{name: "C1 control", in: "a\u0085b", wantErr: "name: contains control characters or invalid UTF-8"},
		{name: "right-to-left override", in: "ATM-01\u202E10-MTA", wantErr: "name: contains the invisible formatting character U+202E (bidirectional or zero-width characters can disguise a name)"},
		{name: "zero-width space", in: "br01\u200B-rtr", wantErr: "name: contains the invisible formatting character U+200B (bidirectional or zero-width characters can disguise a name)"},
		{name: "first strong isolate", in: "a\u2068b", wantErr: "name: contains the invisible formatting character U+2068 (bidirectional or zero-width characters can disguise a name)"},
		{name: "byte order mark", in: "\uFEFFrtr", wantErr: "name: contains the invisible formatting character U+FEFF (bidirectional or zero-width characters can disguise a name)"},
		{name: "Cyrillic is fine", in: "алматы-рутер-01", want: "алматы-рутер-01"},
		{name: "Arabic is fine", in: "فرع-01", want: "فرع-01"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := inventory.Name(tc.in)
			if diff := cmp.Diff(tc.wantErr, errText(t, err)); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("name (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIP(t *testing.T) {
	cases := []struct {
		name, in, want, wantErr string
	}{
		{name: "IPv4", in: "127.0.0.1", want: "127.0.0.1"},
		{name: "IPv4 trimmed", in: " 127.10.0.3 ", want: "127.10.0.3"},
		{name: "IPv6 loopback", in: "::1", want: "::1"},
		{name: "IPv4-mapped IPv6 unmapped", in: "::ffff:127.0.0.2", want: "127.0.0.2"},
		{name: "empty", in: "", wantErr: `ip: "" is not an IPv4 or IPv6 address`},
		{name: "hostname", in: "localhost", wantErr: `ip: "localhost" is not an IPv4 or IPv6 address`},
		{name: "prefix", in: "127.0.0.0/8", wantErr: `ip: "127.0.0.0/8" is not an IPv4 or IPv6 address`},
		{name: "zone", in: "fe80::1%lo", wantErr: `ip: "fe80::1%lo" is not an IPv4 or IPv6 address`},
		{name: "octet over 255", in: "127.0.0.256", wantErr: `ip: "127.0.0.256" is not an IPv4 or IPv6 address`},
		{name: "leading zero", in: "127.0.0.01", wantErr: `ip: "127.0.0.01" is not an IPv4 or IPv6 address`},
		{name: "three octets", in: "127.0.1", wantErr: `ip: "127.0.1" is not an IPv4 or IPv6 address`},
		{name: "with port", in: "127.0.0.1:161", wantErr: `ip: "127.0.0.1:161" is not an IPv4 or IPv6 address`},
		{name: "SQL", in: "127.0.0.1'; DROP TABLE devices; --", wantErr: `ip: "127.0.0.1'; DROP TABLE devices; --" is not an IPv4 or IPv6 address`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := inventory.IP(tc.in)
			if diff := cmp.Diff(tc.wantErr, errText(t, err)); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			want := netip.Addr{}
			if tc.want != "" {
				want = netip.MustParseAddr(tc.want)
			}
			if got != want {
				t.Errorf("IP(%q) = %v, want %v", tc.in, got, want)
			}
		})
	}
}

func TestText(t *testing.T) {
	cases := []struct {
		name, field, in, want, wantErr string
	}{
		{name: "empty is allowed", field: "branch", in: "", want: ""},
		{name: "trimmed", field: "region", in: "  north ", want: "north"},
		{name: "100 runes", field: "vendor", in: strings.Repeat("ß", 100), want: strings.Repeat("ß", 100)},
		{name: "101 runes", field: "vendor", in: strings.Repeat("ß", 101), wantErr: "vendor: longer than 100 characters"},
		{name: "control", field: "type", in: "router\r", want: "router"}, // trailing \r is trimmed away
		{name: "control inside", field: "type", in: "rou\rter", wantErr: "type: contains control characters or invalid UTF-8"},
		{name: "invalid UTF-8", field: "branch", in: "\xc3\x28", wantErr: "branch: contains control characters or invalid UTF-8"},
		{name: "zero-width joiner", field: "region", in: "so\u200Duth", wantErr: "region: contains the invisible formatting character U+200D (bidirectional or zero-width characters can disguise a name)"},
		{name: "quotes and SQL are just text", field: "branch", in: `x' OR '1'='1`, want: `x' OR '1'='1`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := inventory.Text(tc.field, tc.in)
			if diff := cmp.Diff(tc.wantErr, errText(t, err)); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("text (-want +got):\n%s", diff)
			}
		})
	}
}

func labelsN(n int) map[string]string {
	m := make(map[string]string, n)
	for i := range n {
		m[fmt.Sprintf("k%d", i)] = "v"
	}
	return m
}

func TestLabels(t *testing.T) {
	cases := []struct {
		name    string
		in      map[string]string
		want    map[string]string
		wantErr string
	}{
		{name: "nil gives empty", in: nil, want: map[string]string{}},
		{name: "prometheus-like keys", in: map[string]string{"site": "zrh", "_x": "", "rack.unit/slot-2": "7"},
			want: map[string]string{"site": "zrh", "_x": "", "rack.unit/slot-2": "7"}},
		{name: "50 labels", in: labelsN(50), want: labelsN(50)},
		{name: "51 labels", in: labelsN(51), wantErr: "labels: more than 50 labels"},
		{name: "key starts with a digit", in: map[string]string{"1site": "x"}, wantErr: `labels: label key "1site" must match ^[A-Za-z_][A-Za-z0-9_.\-/]{0,62}$`},
		{name: "empty key", in: map[string]string{"": "x"}, wantErr: `labels: label key "" must match ^[A-Za-z_][A-Za-z0-9_.\-/]{0,62}$`},
		{name: "key with space", in: map[string]string{"a b": "x"}, wantErr: `labels: label key "a b" must match ^[A-Za-z_][A-Za-z0-9_.\-/]{0,62}$`},
		{name: "63-character key", in: map[string]string{strings.Repeat("k", 63): "x"}, want: map[string]string{strings.Repeat("k", 63): "x"}},
		{name: "64-character key", in: map[string]string{strings.Repeat("k", 64): "x"},
			wantErr: fmt.Sprintf(`labels: label key %q must match ^[A-Za-z_][A-Za-z0-9_.\-/]{0,62}$`, strings.Repeat("k", 64))},
		{name: "200-byte value", in: map[string]string{"k": strings.Repeat("v", 200)}, want: map[string]string{"k": strings.Repeat("v", 200)}},
		{name: "201-byte value", in: map[string]string{"k": strings.Repeat("v", 201)}, wantErr: `labels: label "k": value too long or has control characters`},
		{name: "control in value", in: map[string]string{"k": "a\nb"}, wantErr: `labels: label "k": value too long or has control characters`},
		{name: "invalid UTF-8 value", in: map[string]string{"k": "\xff"}, wantErr: `labels: label "k": value too long or has control characters`},
		{name: "bidi override value", in: map[string]string{"k": "a\u202Eb"}, wantErr: `labels: label "k": contains the invisible formatting character U+202E`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := inventory.Labels(tc.in)
			if diff := cmp.Diff(tc.wantErr, errText(t, err)); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseLabels(t *testing.T) {
	cases := []struct {
		name, in string
		want     map[string]string
		wantErr  string
	}{
		{name: "empty", in: "", want: map[string]string{}},
		{name: "only separators", in: " ; ;; ", want: map[string]string{}},
		{name: "two", in: "site=zrh;floor=2", want: map[string]string{"site": "zrh", "floor": "2"}},
		{name: "spaces trimmed", in: " site = zrh ; floor=2 ;", want: map[string]string{"site": "zrh", "floor": "2"}},
		{name: "value may hold =", in: "expr=a=b", want: map[string]string{"expr": "a=b"}},
		{name: "empty value", in: "flag=", want: map[string]string{"flag": ""}},
		{name: "no =", in: "site", wantErr: `labels: "site" is not key=value`},
		{name: "one bad part of many", in: "a=1;oops;b=2", wantErr: `labels: "oops" is not key=value`},
		{name: "empty key", in: "=x", wantErr: `labels: label key "" must match ^[A-Za-z_][A-Za-z0-9_.\-/]{0,62}$`},
		{name: "bad key", in: "9a=x", wantErr: `labels: label key "9a" must match ^[A-Za-z_][A-Za-z0-9_.\-/]{0,62}$`},
		{name: "key twice", in: "site=zrh; site = gva", wantErr: `labels: key "site" given twice ("zrh" and "gva")`},
		{name: "too many", in: strings.Repeat("k=v;", 1) + labelsText(51), wantErr: "labels: more than 50 labels"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := inventory.ParseLabels(tc.in)
			if diff := cmp.Diff(tc.wantErr, errText(t, err)); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
		})
	}
}

func labelsText(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf("k%d=v", i)
	}
	return strings.Join(parts, ";")
}

func TestFieldErrorText(t *testing.T) {
	e := &inventory.FieldError{Field: "ip", Reason: "is required"}
	if diff := cmp.Diff("ip: is required", e.Error()); diff != "" {
		t.Errorf("Error (-want +got):\n%s", diff)
	}
}
