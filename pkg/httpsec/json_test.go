package httpsec

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v5"
)

type inner struct {
	Name string `json:"name"`
}

type embedded struct {
	Region string `json:"region"`
}

type sample struct {
	embedded
	Name    string            `json:"name"`
	Role    string            `json:"role"`
	Count   int               `json:"count"`
	Enabled *bool             `json:"enabled"`
	Labels  map[string]string `json:"labels"`
	Items   []inner           `json:"items"`
	Profile *inner            `json:"profile"`
	When    time.Time         `json:"when"`
	Raw     json.RawMessage   `json:"raw"`
	Any     any               `json:"any"`
	Skipped string            `json:"-"`
	NoTag   string
}

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name string
		body string
		want *Error // nil: accepted
	}{
		{"ok", `{"name":"r1","role":"viewer","count":3,"labels":{"a":"b"},"items":[{"name":"x"}],"region":"eu"}`, nil},
		{"promoted and untagged fields", `{"region":"eu","NoTag":"x"}`, nil},
		{"self-decoding types", `{"when":"2026-01-02T03:04:05Z","raw":{"k":[1,2]},"any":{"x":1}}`, nil},
		{"empty", ``, badRequest(CodeInvalidJSON, "request body is empty", "")},
		{"whitespace", " \n", badRequest(CodeInvalidJSON, "request body is empty", "")},
		{"malformed", `{"name":`, badRequest(CodeInvalidJSON, "malformed or truncated JSON", "")},
		{"syntax", `{"name" "x"}`, badRequest(CodeInvalidJSON, "malformed JSON at byte 8", "")},
		{"unknown field", `{"name":"x","admin":true}`, badRequest(CodeUnknownField, "unknown field", "admin")},
		{"unknown nested", `{"items":[{"name":"x"},{"nam":"y"}]}`, badRequest(CodeUnknownField, "unknown field", "items[1].nam")},
		{"unknown in pointer", `{"profile":{"id":1}}`, badRequest(CodeUnknownField, "unknown field", "profile.id")},
		{"dash field", `{"Skipped":"x"}`, badRequest(CodeUnknownField, "unknown field", "Skipped")},
		{"case variant", `{"ROLE":"admin"}`, badRequest(CodeUnknownField, "unknown field", "ROLE")},
		{"duplicate", `{"role":"viewer","role":"admin"}`, badRequest(CodeDuplicateField, "field appears more than once", "role")},
		{"duplicate in map", `{"labels":{"a":"1","A":"2"}}`, badRequest(CodeDuplicateField, "field appears more than once", "labels.A")},
		{"duplicate kelvin", "{\"labels\":{\"k\":\"1\",\"\u212a\":\"2\"}}", badRequest(CodeDuplicateField, "field appears more than once", "labels.\u212a")},
		{"duplicate in raw", `{"raw":{"a":1,"a":2}}`, badRequest(CodeDuplicateField, "field appears more than once", "raw.a")},
		{"trailing object", `{"name":"x"}{"name":"y"}`, badRequest(CodeTrailingData, "unexpected data after the JSON value", "")},
		{"trailing garbage", `{"name":"x"} x`, badRequest(CodeTrailingData, "unexpected data after the JSON value", "")},
		{"wrong type", `{"count":"3"}`, badRequest(CodeInvalidField, "expected an integer, got string", "count")},
		{"wrong nested type", `{"items":[{"name":5}]}`, badRequest(CodeInvalidField, "expected a string, got number", "items.name")},
		{"not an object", `[1,2]`, badRequest(CodeInvalidField, "expected an object, got array", "")},
		{"too deep", `{"any":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, badRequest(CodeInvalidJSON, "JSON is nested too deeply", "any"+strings.Repeat("[0]", 31))},
		{"too large", `{"name":"` + strings.Repeat("a", DefaultMaxJSONBytes) + `"}`,
			&Error{Status: http.StatusRequestEntityTooLarge, Code: CodeBodyTooLarge, Message: "request body is too large"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v sample
			err := DecodeJSON(strings.NewReader(tc.body), &v)
			var got *Error
			if err != nil && !errors.As(err, &got) {
				t.Fatalf("error %v is not *Error", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestBindContentType(t *testing.T) {
	e := echo.New()
	tests := []struct {
		ct   string
		want int
	}{
		{"application/json", 0},
		{"application/json; charset=utf-8", 0},
		{"text/plain", http.StatusUnsupportedMediaType},
		{"application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
		{"", http.StatusUnsupportedMediaType},
	}
	for _, tc := range tests {
		t.Run(tc.ct, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"name":"x"}`))
			req.Header.Set("Content-Type", tc.ct)
			c := e.NewContext(req, httptest.NewRecorder())
			var v sample
			err := Bind(c, &v)
			got := 0
			var he *Error
			if errors.As(err, &he) {
				got = he.Status
			}
			if got != tc.want {
				t.Errorf("status %d, want %d (err %v)", got, tc.want, err)
			}
		})
	}
}

func TestErrorRendersThroughEcho(t *testing.T) {
	e := echo.New()
	e.GET("/", func(c *echo.Context) error { return badRequest(CodeUnknownField, "unknown field", "x") })
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("status %d", rec.Code)
	}
	var got Body
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := Body{Error: BodyError{Code: CodeUnknownField, Message: "unknown field", Field: "x"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
