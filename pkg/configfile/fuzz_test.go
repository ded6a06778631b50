package configfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/wardops/wardops/pkg/configfile"
)

func fromYAML(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// FuzzParse: the parser never panics; it returns a Document or Errors whose every entry
// names the file and a line within it; and a document it accepts encodes and parses again to
// the same file.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yaml")
	more, _ := filepath.Glob("testdata/invalid/*.yaml")
	for _, s := range append(seeds, more...) {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("version: 1\nregions: [{name: a}, {name: b, description: ~}]\n"))
	f.Add([]byte("version: 1\ndevices: {a: 1}\n"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := configfile.Parse("f.yaml", data)
		if err != nil {
			var es configfile.Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("want Errors, got %T %v", err, err)
			}
			lines := strings.Count(string(data), "\n") + 1
			for _, e := range es {
				if e.File != "f.yaml" || e.Line < 0 || e.Line > lines+1 {
					t.Fatalf("error %q has no place in a %d-line file", e.Error(), lines)
				}
			}
			return
		}
		out, err := configfile.Encode(&doc.File)
		if err != nil {
			t.Fatalf("encode an accepted file: %v", err)
		}
		again, err := configfile.Parse("f.yaml", out)
		if err != nil {
			t.Fatalf("the encoding of an accepted file is refused: %v\n%s", err, out)
		}
		b1, _ := configfile.Encode(&again.File)
		if string(b1) != string(out) {
			t.Fatalf("encode → parse → encode differs:\n%s\n---\n%s", out, b1)
		}
	})
}
