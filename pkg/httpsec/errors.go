package httpsec

import (
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v5"
)

// Error codes produced by this package.
const (
	CodeInvalidJSON     = "invalid_json"
	CodeUnknownField    = "unknown_field"
	CodeDuplicateField  = "duplicate_field"
	CodeInvalidField    = "invalid_field"
	CodeTrailingData    = "trailing_data"
	CodeBodyTooLarge    = "body_too_large"
	CodeUnsupportedType = "unsupported_media_type"
)

// Error is an API error: an HTTP status and the body {"error":{"code","message","field"}}.
type Error struct {
	Status  int
	Code    string
	Message string
	// Field names the offending input field (dotted JSON path), or is empty.
	Field string
}

var _ echo.HTTPStatusCoder = (*Error)(nil)

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Code + ": " + e.Message + " (field " + e.Field + ")"
	}
	return e.Code + ": " + e.Message
}

// StatusCode is the HTTP status, for echo's error handler.
func (e *Error) StatusCode() int { return e.Status }

// Body is the JSON body of an API error.
type Body struct {
	Error BodyError `json:"error"`
}

// BodyError is the inner object of Body.
type BodyError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// MarshalJSON renders the API error shape.
func (e *Error) MarshalJSON() ([]byte, error) {
	return json.Marshal(Body{Error: BodyError{Code: e.Code, Message: e.Message, Field: e.Field}})
}

// WriteError writes an API error response. It returns the write error, so handlers can
// `return httpsec.WriteError(...)`.
func WriteError(c *echo.Context, status int, code, message, field string) error {
	if c.Request().Method == http.MethodHead {
		return c.NoContent(status)
	}
	return c.JSON(status, Body{Error: BodyError{Code: code, Message: message, Field: field}})
}

// Write writes e as the response.
func (e *Error) Write(c *echo.Context) error {
	return WriteError(c, e.Status, e.Code, e.Message, e.Field)
}

func badRequest(code, msg, field string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code, Message: msg, Field: field}
}
