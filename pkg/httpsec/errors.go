package httpsec

import (
	"encoding/json"
	"errors"
	"log/slog"
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

// NewError is an API error to return from a handler or middleware; ErrorHandler writes it.
// It is the one way a WardOps handler fails: api, auth, report and the live stream all return
// errors, and none writes an error body itself.
func NewError(status int, code, message, field string) *Error {
	return &Error{Status: status, Code: code, Message: message, Field: field}
}

// ErrorHandler is the echo error handler of the WardOps API: an *Error is written as it is, an
// echo HTTP error (unknown route, wrong method) in the same shape, and anything else is logged
// and answered 500 without internals (never a database's own text).
func ErrorHandler(logger *slog.Logger) echo.HTTPErrorHandler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return func(c *echo.Context, err error) {
		if r, uerr := echo.UnwrapResponse(c.Response()); uerr == nil && r.Committed {
			return
		}
		var ae *Error
		var he *echo.HTTPError
		switch {
		case errors.As(err, &ae):
		case errors.As(err, &he):
			ae = &Error{Status: he.Code, Code: StatusCode(he.Code), Message: he.Message}
		default:
			if sc := echo.StatusCode(err); sc >= 400 && sc < 500 {
				ae = &Error{Status: sc, Code: StatusCode(sc), Message: http.StatusText(sc)}
				break
			}
			logger.Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
			ae = &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error; see the API log"}
		}
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(ae.Status)
			return
		}
		_ = c.JSON(ae.Status, ae) // Error marshals as {"error":{…}}
	}
}

// StatusCode is the error code the API uses for a bare HTTP status.
func StatusCode(status int) string {
	switch status {
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusRequestEntityTooLarge:
		return "body_too_large"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusTooManyRequests:
		return "too_many_requests"
	case http.StatusServiceUnavailable:
		return "unavailable"
	}
	return "bad_request"
}

func badRequest(code, msg, field string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code, Message: msg, Field: field}
}
