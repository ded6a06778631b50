package inventory_test

import (
	"bytes"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/inventory"
)

// FuzzParseCSV: ParseCSV never panics on any input; every row it accepts is a valid device
// (valid IP, non-blank canonical name, valid labels), names are unique, line numbers are
// increasing and point into the file, and a header error means no rows.
func FuzzParseCSV(f *testing.F) {
	if good, err := os.ReadFile("testdata/devices.csv"); err == nil {
		f.Add(good)
	}
	seeds := []string{
		"",
		"name,ip\n",
		"name,ip\na,127.0.0.1\n",
		"name,ip,parent\na,127.0.0.1,\nb,::1,a\nb,127.0.0.2,a\n",
		"name,ip,labels,enabled\na,127.0.0.1,k=v;x=y,false\n",
		"name,ip\n\"a\"x,127.0.0.1\n",
		"name,ip\nb\"x,127.0.0.1\n",
		"name,ip\n\"unterminated,127.0.0.1\n",
		"name,ip\n\"two\nlines\",127.0.0.1\n",
		"\ufeffname,ip\r\na,127.0.0.1\r\n",
		"ip,name,colour\n",
		"name,ip\n,\n,,,,,,,,,,\n",
		"name,ip,enabled\na,127.0.0.1,maybe\n",
		"name,ip\na,fe80::1%lo\na,::ffff:127.0.0.1\n",
		"name\n\"\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, errs := inventory.ParseCSV(bytes.NewReader(data))
		lines := bytes.Count(data, []byte("\n")) + 1
		seen := map[string]bool{}
		prev := 1
		for _, r := range rows {
			d := r.Device
			if !d.IP.IsValid() || d.IP.Zone() != "" || d.IP.Is4In6() {
				t.Fatalf("line %d: accepted IP %v", r.Line, d.IP)
			}
			if n, err := inventory.Name(d.Name); err != nil || n != d.Name {
				t.Fatalf("line %d: accepted name %q (Name: %q, %v)", r.Line, d.Name, n, err)
			}
			if _, err := inventory.Labels(d.Labels); err != nil {
				t.Fatalf("line %d: accepted labels %v: %v", r.Line, d.Labels, err)
			}
			if seen[d.Name] {
				t.Fatalf("line %d: name %q accepted twice", r.Line, d.Name)
			}
			seen[d.Name] = true
			if r.Line <= prev || r.Line > lines {
				t.Fatalf("row line %d after %d in a file of %d lines", r.Line, prev, lines)
			}
			prev = r.Line
		}
		for _, e := range errs {
			if e.Line < 1 || e.Line > lines || e.Reason == "" {
				t.Fatalf("line error %+v in a file of %d lines", e, lines)
			}
			if e.Line == 1 && len(rows) > 0 {
				t.Fatalf("header error %+v but %d rows accepted", e, len(rows))
			}
		}
		_ = inventory.CheckParents(rows, map[string]bool{"x": true})
		_ = inventory.ExternalParents(rows)
	})
}

// FuzzParseLabels: ParseLabels never panics; what it accepts passes Labels, and printing it back
// as "k=v;…" parses to the same map.
func FuzzParseLabels(f *testing.F) {
	for _, s := range []string{"", "a=1", "a=1;b=2", " a = 1 ;; ", "a", "=1", "1a=x", "a=b=c", "a=\x00", "a=\xff",
		"k.x/y-z_1=v", strings.Repeat("k=v;", 60), "a=1;a=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := inventory.ParseLabels(s)
		if err != nil {
			if m != nil {
				t.Fatalf("ParseLabels(%q) returned %v with error %v", s, m, err)
			}
			return
		}
		if again, err := inventory.Labels(m); err != nil || !cmp.Equal(m, again) {
			t.Fatalf("ParseLabels(%q) = %v, which Labels refuses: %v", s, m, err)
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + m[k]
		}
		back, err := inventory.ParseLabels(strings.Join(parts, ";"))
		if err != nil {
			t.Fatalf("ParseLabels(%q) = %v, which does not parse back: %v", s, m, err)
		}
		if diff := cmp.Diff(m, back); diff != "" {
			t.Fatalf("round trip of %q (-first +second):\n%s", s, diff)
		}
	})
}
