package httpsec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/labstack/echo/v5"
)

// DefaultMaxJSONBytes caps a JSON request body that DecodeJSON reads (1 MiB).
const DefaultMaxJSONBytes = 1 << 20

// maxJSONDepth bounds nesting; no WardOps request is deeper than a few levels.
const maxJSONDepth = 32

// Bind decodes the request body of c into v strictly (see DecodeJSON). The request must say
// Content-Type: application/json, which also keeps cross-site HTML forms (which cannot send that
// type without a CORS preflight) away from JSON endpoints. Errors are *Error (400, 413, 415).
func Bind(c *echo.Context, v any) error {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != echo.MIMEApplicationJSON {
		return &Error{Status: http.StatusUnsupportedMediaType, Code: CodeUnsupportedType,
			Message: "request body must be application/json"}
	}
	return DecodeJSON(c.Request().Body, v)
}

// DecodeJSON decodes exactly one JSON value from r into v (a pointer) and rejects, as *Error
// with the offending field's dotted path: malformed JSON, a key that v has no field for
// (including a key that only matches a field case-insensitively), the same key twice in one
// object (case-insensitively, so {"role":"viewer","Role":"admin"} cannot smuggle a value past
// a check), a value of the wrong type, nesting deeper than 32, anything after the value, and
// bodies over DefaultMaxJSONBytes or over a body-limit middleware's limit (413: this package's
// BodyLimit or echo's).
func DecodeJSON(r io.Reader, v any) error {
	raw, err := io.ReadAll(io.LimitReader(r, DefaultMaxJSONBytes+1))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || echo.StatusCode(err) == http.StatusRequestEntityTooLarge || len(raw) > DefaultMaxJSONBytes {
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeBodyTooLarge, Message: "request body is too large"}
	}
	if err != nil {
		return badRequest(CodeInvalidJSON, "request body could not be read", "")
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return badRequest(CodeInvalidJSON, "request body is empty", "")
	}
	rt := reflect.TypeOf(v)
	if rt == nil || rt.Kind() != reflect.Pointer {
		return fmt.Errorf("decode json: destination must be a pointer, not %T", v)
	}
	if err := checkDocument(raw, rt.Elem()); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest(CodeTrailingData, "unexpected data after the JSON value", "")
	}
	return nil
}

// decodeError turns encoding/json errors into API errors. The structural pass has already
// caught syntax errors, unknown fields and duplicates, so this is mostly type mismatches.
func decodeError(err error) *Error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return badRequest(CodeInvalidField, "expected "+jsonKind(te.Type)+", got "+te.Value, te.Field)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return badRequest(CodeInvalidJSON, fmt.Sprintf("malformed JSON at byte %d", se.Offset), "")
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return badRequest(CodeUnknownField, "unknown field", strings.Trim(f, `"`))
	}
	var fe InputFieldError
	if errors.As(err, &fe) {
		return badRequest(CodeInvalidField, fe.Error(), fe.InputField())
	}
	return badRequest(CodeInvalidJSON, "request body is not valid JSON for this endpoint", "")
}

// InputFieldError is implemented by the errors of custom UnmarshalJSON methods that know which
// input field they are about; DecodeJSON turns them into a 400 naming that field.
type InputFieldError interface {
	error
	// InputField is the dotted JSON path of the offending field.
	InputField() string
}

// ExpectedJSON is implemented by types with their own UnmarshalJSON that want a wrong value
// described in their own words ("a positive integer id or null") rather than by Go kind.
type ExpectedJSON interface {
	ExpectedJSON() string
}

var expectedJSONType = reflect.TypeFor[ExpectedJSON]()

func jsonKind(t reflect.Type) string {
	if t.Implements(expectedJSONType) {
		return reflect.Zero(t).Interface().(ExpectedJSON).ExpectedJSON()
	}
	if reflect.PointerTo(t).Implements(expectedJSONType) {
		return reflect.New(t).Interface().(ExpectedJSON).ExpectedJSON()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}
