package httpsec

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDecodeJSON checks the strict decoder against encoding/json: it never panics, fails only
// with a 400/413 *Error, accepts nothing encoding/json (with unknown fields disallowed)
// rejects, and decodes what it accepts to the same value. Seeds: testdata/fuzz/FuzzDecodeJSON.
func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`{"name":"r1","count":1,"labels":{"a":"b"},"items":[{"name":"x"}]}`))
	f.Add([]byte(`{"role":"viewer","Role":"admin"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var strict sample
		err := DecodeJSON(bytes.NewReader(data), &strict)
		var std sample
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		stdErr := dec.Decode(&std)
		if err != nil {
			var he *Error
			if !errors.As(err, &he) || (he.Status != http.StatusBadRequest && he.Status != http.StatusRequestEntityTooLarge) {
				t.Fatalf("error %#v is not a 400/413 *Error", err)
			}
			return
		}
		if stdErr != nil {
			t.Fatalf("strict decoder accepted what encoding/json rejects (%v): %q", stdErr, data)
		}
		if diff := cmp.Diff(std, strict, cmp.AllowUnexported(sample{})); diff != "" {
			t.Fatalf("decoded differently (-std +strict):\n%s", diff)
		}
	})
}
