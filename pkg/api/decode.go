package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/labstack/echo/v5"
)

// MaxBody is the largest request body the API reads (1 MiB); larger bodies get 413.
const MaxBody = 1 << 20

// decodeStrict reads one JSON object from the request into v: unknown fields, trailing data,
// wrong types and oversized bodies are 4xx errors naming the field where possible.
func decodeStrict(c *echo.Context, v any) error {
	tooLarge := &Error{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large", Message: fmt.Sprintf("request body over %d bytes", MaxBody)}
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, MaxBody+1))
	if bodyTooLarge(err) {
		return tooLarge // a chunked body stopped by a body-limit middleware
	}
	if err != nil {
		return badRequest("", "read body: %v", err)
	}
	if len(body) > MaxBody {
		return tooLarge
	}
	return DecodeJSON(body, v)
}

// bodyTooLarge reports whether a body read failed because a body-limit middleware stopped it
// (http.MaxBytesReader, or echo's BodyLimit).
func bodyTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe) || echo.StatusCode(err) == http.StatusRequestEntityTooLarge
}

// DecodeJSON decodes exactly one JSON value into v, rejecting unknown fields and trailing data.
func DecodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("", "request body is empty; a JSON object is required")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return badRequest("", "trailing data after the JSON object")
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return badRequest("", "trailing data after the JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te) && te.Type == reflect.TypeFor[optID]():
		return badRequest(te.Field, "%s must be a positive integer id or null", te.Field)
	case errors.As(err, &se):
		return badRequest("", "malformed JSON at byte %d: %v", se.Offset, err)
	case errors.As(err, &te):
		return badRequest(te.Field, "field %q must be %s, not %s", te.Field, te.Type.String(), te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &Error{Status: http.StatusBadRequest, Code: "unknown_field", Message: fmt.Sprintf("unknown field %q", f), Field: f}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("", "truncated JSON")
	}
	var fe *fieldErr
	if errors.As(err, &fe) {
		return badRequest(fe.field, "%s", fe.msg)
	}
	return badRequest("", "invalid JSON: %v", err)
}

// fieldErr is returned by custom UnmarshalJSON methods to name their field.
type fieldErr struct{ field, msg string }

func (e *fieldErr) Error() string { return e.field + ": " + e.msg }
