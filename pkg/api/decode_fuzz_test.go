package api_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/httpsec"
)

// FuzzDecodeJSON: the API's one decoder (httpsec.DecodeJSON) never panics on the device body
// (with its custom parent_id decoding); it accepts only valid JSON and otherwise returns an
// *api.Error with a 4xx status.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		``, ` `, `{}`, `null`, `[]`, `{"name":"a","ip":"127.0.0.1"}`,
		`{"name":"a","ip":"127.0.0.1","parent_id":null,"profile_id":3,"labels":{"k":"v"},"enabled":false}`,
		`{"parent_id":0}`, `{"parent_id":-1}`, `{"parent_id":"7"}`, `{"parent_id":1e400}`, `{"parent_id":{}}`,
		`{"name":5}`, `{"labels":{"k":1}}`, `{"colour":"red"}`, `{"name":"a"} {}`, `{"name":"a"}]`, `{"name":"a"} x`,
		`{"name":"a"`, `{"name":"\ud800"}`, `{"name":"a","name":"b"}`, `{"ip":"1","IP":"2"}`, `[[[[[[[[[[]]]]]]]]]]`,
		`"\u0000"`, "\xef\xbb\xbf{}", `{"enabled":tru}`, `{"ip":["127.0.0.1"]}`, `{"snmp":{"version":"2c","Version":"3"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var v api.DeviceBody
		err := httpsec.DecodeJSON(bytes.NewReader(body), &v)
		if err == nil {
			if !json.Valid(body) {
				t.Fatalf("DecodeJSON(%q) accepted invalid JSON", body)
			}
			return
		}
		var ae *api.Error
		if !errors.As(err, &ae) {
			t.Fatalf("DecodeJSON(%q): error %v (%T) is not an *api.Error", body, err, err)
		}
		if ae.Status < 400 || ae.Status > 499 || ae.Code == "" || ae.Message == "" {
			t.Fatalf("DecodeJSON(%q): error %+v, want a 4xx with code and message", body, ae)
		}
	})
}

// TestDecodeJSON pins the error of each kind of bad device body.
func TestDecodeJSON(t *testing.T) {
	cases := []struct {
		name, body string
		want       *api.Error
	}{
		{name: "ok", body: `{"name":"a","ip":"127.0.0.1"}`},
		{name: "null clears nothing", body: `null`},
		{name: "empty", body: "  \n",
			want: &api.Error{Status: 400, Code: "invalid_json", Message: "request body is empty"}},
		{name: "unknown field", body: `{"name":"a","colour":"red"}`,
			want: &api.Error{Status: 400, Code: "unknown_field", Message: "unknown field", Field: "colour"}},
		{name: "duplicate key", body: `{"name":"a","name":"b"}`,
			want: &api.Error{Status: 400, Code: "duplicate_field", Message: "field appears more than once", Field: "name"}},
		{name: "case-only variant beside the field", body: `{"ip":"127.0.0.1","IP":"127.0.0.2"}`,
			want: &api.Error{Status: 400, Code: "duplicate_field", Message: "field appears more than once", Field: "IP"}},
		{name: "wrong type", body: `{"name":5}`,
			want: &api.Error{Status: 400, Code: "invalid_field", Message: "expected a string, got number", Field: "name"}},
		{name: "parent id zero", body: `{"parent_id":0}`,
			want: &api.Error{Status: 400, Code: "invalid_field", Message: "expected a positive integer id or null, got 0", Field: "parent_id"}},
		{name: "profile id as string", body: `{"profile_id":"7"}`,
			want: &api.Error{Status: 400, Code: "invalid_field", Message: `expected a positive integer id or null, got "7"`, Field: "profile_id"}},
		{name: "second object", body: `{"name":"a"} {}`,
			want: &api.Error{Status: 400, Code: "trailing_data", Message: "unexpected data after the JSON value"}},
		{name: "truncated", body: `{"name":"a"`,
			want: &api.Error{Status: 400, Code: "invalid_json", Message: "malformed or truncated JSON"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b api.DeviceBody
			err := httpsec.DecodeJSON(strings.NewReader(tc.body), &b)
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

// TestWritesUseTheStrictDecoder (pen-test finding 5): writes refuse duplicate keys and
// case-only variants (400) and any Content-Type but application/json (415), and nothing is
// written. Every JSON write handler of the package (devices, SNMP, rules, channels, windows,
// alerts) decodes with the same decodeStrict, which is httpsec.Bind.
func TestWritesUseTheStrictDecoder(t *testing.T) {
	sys := startAPI(t)
	dev := createDevice(t, sys, `{"name":"strict-01","ip":"127.51.0.1"}`)
	devPath := fmt.Sprintf("/api/v1/devices/%d", dev.ID)
	cases := []struct {
		name, method, path, ctype, body string
		status                          int
		code, field                     string
	}{
		{"device create, case-only IP", http.MethodPost, "/api/v1/devices", "application/json",
			`{"name":"strict-02","ip":"127.51.0.2","IP":"127.51.0.3"}`, 400, "duplicate_field", "IP"},
		{"device create, case-only field alone", http.MethodPost, "/api/v1/devices", "application/json",
			`{"name":"strict-02","IP":"127.51.0.3"}`, 400, "unknown_field", "IP"},
		{"device create, duplicate ip", http.MethodPost, "/api/v1/devices", "application/json",
			`{"name":"strict-02","ip":"127.51.0.2","ip":"127.51.0.3"}`, 400, "duplicate_field", "ip"},
		{"device create, text/plain", http.MethodPost, "/api/v1/devices", "text/plain",
			`{"name":"strict-02","ip":"127.51.0.2"}`, 415, "unsupported_media_type", ""},
		{"device create, no type", http.MethodPost, "/api/v1/devices", "",
			`{"name":"strict-02","ip":"127.51.0.2"}`, 415, "unsupported_media_type", ""},
		{"device patch, case-only Name", http.MethodPatch, devPath, "application/json",
			`{"name":"x","Name":"y"}`, 400, "duplicate_field", "Name"},
		{"device patch, form type", http.MethodPatch, devPath, "application/x-www-form-urlencoded",
			`{"name":"x"}`, 415, "unsupported_media_type", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			call(t, sys, tc.method, tc.path, tc.ctype, strings.NewReader(tc.body)).wantError(t, tc.name, tc.status, tc.code, tc.field)
		})
	}
	var l listPage
	jsonCall(t, sys, http.MethodGet, "/api/v1/devices", "").decode(t, &l)
	if len(l.Devices) != 1 || l.Devices[0].Name != "strict-01" {
		t.Errorf("devices after refused writes: %+v, want only strict-01 unchanged", l.Devices)
	}
}
