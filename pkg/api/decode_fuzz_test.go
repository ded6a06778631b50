package api_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/api"
)

// FuzzDecodeJSON: DecodeJSON never panics; it either accepts exactly one valid JSON value or
// returns an *api.Error with a 4xx status, for the device body (with its custom parent_id
// decoding), a plain map and a slice.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		``, ` `, `{}`, `null`, `[]`, `{"name":"a","ip":"127.0.0.1"}`,
		`{"name":"a","ip":"127.0.0.1","parent_id":null,"profile_id":3,"labels":{"k":"v"},"enabled":false}`,
		`{"parent_id":0}`, `{"parent_id":-1}`, `{"parent_id":"7"}`, `{"parent_id":1e400}`, `{"parent_id":{}}`,
		`{"name":5}`, `{"labels":{"k":1}}`, `{"colour":"red"}`, `{"name":"a"} {}`, `{"name":"a"}]`, `{"name":"a"} x`,
		`{"name":"a"`, `{"name":"\ud800"}`, `{"name":"a","name":"b"}`, `[[[[[[[[[[]]]]]]]]]]`, `"\u0000"`,
		"\xef\xbb\xbf{}", `{"enabled":tru}`, `{"ip":["127.0.0.1"]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		targets := []func() any{
			func() any { return new(api.DeviceBody) },
			func() any { return new(map[string]any) },
			func() any { return new([]int) },
		}
		for _, mk := range targets {
			v := mk()
			err := api.DecodeJSON(body, v)
			if err == nil {
				if !json.Valid(body) {
					t.Fatalf("DecodeJSON(%q) into %T accepted invalid JSON", body, v)
				}
				continue
			}
			var ae *api.Error
			if !errors.As(err, &ae) {
				t.Fatalf("DecodeJSON(%q) into %T: error %v (%T) is not an *api.Error", body, v, err, err)
			}
			if ae.Status < 400 || ae.Status > 499 || ae.Code == "" || ae.Message == "" {
				t.Fatalf("DecodeJSON(%q) into %T: error %+v, want a 4xx with code and message", body, v, ae)
			}
		}
	})
}

// TestDecodeJSON pins the error of each kind of bad body.
func TestDecodeJSON(t *testing.T) {
	cases := []struct {
		name, body string
		want       *api.Error
	}{
		{name: "ok", body: `{"name":"a","ip":"127.0.0.1"}`},
		{name: "null clears nothing", body: `null`},
		{name: "empty", body: "  \n",
			want: &api.Error{Status: 400, Code: "invalid_request", Message: "request body is empty; a JSON object is required"}},
		{name: "unknown field", body: `{"name":"a","colour":"red"}`,
			want: &api.Error{Status: 400, Code: "unknown_field", Message: `unknown field "colour"`, Field: "colour"}},
		{name: "wrong type", body: `{"name":5}`,
			want: &api.Error{Status: 400, Code: "invalid_name", Message: `field "name" must be string, not number`, Field: "name"}},
		{name: "wrong type of a label", body: `{"labels":{"k":1}}`,
			want: &api.Error{Status: 400, Code: "invalid_labels", Message: `field "labels" must be string, not number`, Field: "labels"}},
		{name: "parent id zero", body: `{"parent_id":0}`,
			want: &api.Error{Status: 400, Code: "invalid_parent_id", Message: "parent_id must be a positive integer id or null", Field: "parent_id"}},
		{name: "profile id as string", body: `{"profile_id":"7"}`,
			want: &api.Error{Status: 400, Code: "invalid_profile_id", Message: "profile_id must be a positive integer id or null", Field: "profile_id"}},
		{name: "second object", body: `{"name":"a"} {}`,
			want: &api.Error{Status: 400, Code: "invalid_request", Message: "trailing data after the JSON object"}},
		{name: "trailing garbage", body: `{"name":"a"} x`,
			want: &api.Error{Status: 400, Code: "invalid_request", Message: "trailing data after the JSON object"}},
		{name: "trailing bracket", body: `{"name":"a"}]`,
			want: &api.Error{Status: 400, Code: "invalid_request", Message: "trailing data after the JSON object"}},
		{name: "truncated", body: `{"name":"a"`,
			want: &api.Error{Status: 400, Code: "invalid_request", Message: "truncated JSON"}},
		{name: "malformed", body: `{"name":'a'}`,
			want: &api.Error{Status: 400, Code: "invalid_request", Message: "malformed JSON at byte 9: invalid character '\\'' looking for beginning of value"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b api.DeviceBody
			err := api.DecodeJSON([]byte(tc.body), &b)
			var got *api.Error
			if err != nil && !errors.As(err, &got) {
				t.Fatalf("error %v is not an *api.Error", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}
