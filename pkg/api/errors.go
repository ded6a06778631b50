package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/httpsec"
	"github.com/wardops/wardops/pkg/store"
)

// Error is an API error: it becomes {"error":{"code","message","field"}} with Status. It is
// httpsec's error type, so the decoder, auth and the API's handlers fail in one shape.
type Error = httpsec.Error

// badRequest is a 400 about one input field.
func badRequest(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_" + fieldCode(field), Message: fmt.Sprintf(format, args...), Field: field}
}

func fieldCode(field string) string {
	if field == "" {
		return "request"
	}
	return field
}

func notFound(what string, id any) *Error {
	return &Error{Status: http.StatusNotFound, Code: "not_found", Message: fmt.Sprintf("%s %v not found", what, id)}
}

// storeError maps store errors to API errors: conflicts 409, bad references 400, missing 404.
func storeError(err error, what string, id any) error {
	var ce *store.ConstraintError
	switch {
	case errors.As(err, &ce) && errors.Is(err, store.ErrConflict):
		return &Error{Status: http.StatusConflict, Code: "conflict", Message: ce.ClientMessage(what), Field: ce.Field()}
	case errors.As(err, &ce) && errors.Is(err, store.ErrInvalidReference):
		return &Error{Status: http.StatusBadRequest, Code: "invalid_reference", Message: ce.ClientMessage(what), Field: ce.Field()}
	case errors.Is(err, store.ErrNotFound):
		return notFound(what, id)
	case errors.Is(err, store.ErrConflict):
		// a write that the object's current state refuses (e.g. acking an acknowledged alert)
		return &Error{Status: http.StatusConflict, Code: "conflict", Message: err.Error()}
	}
	return err
}

// errorHandler writes every error in the API's JSON shape; unexpected errors are logged and
// answered 500 without internals.
func errorHandler(logger *slog.Logger) echo.HTTPErrorHandler {
	return func(c *echo.Context, err error) {
		if r, uerr := echo.UnwrapResponse(c.Response()); uerr == nil && r.Committed {
			return
		}
		var ae *Error
		var he *echo.HTTPError
		switch {
		case errors.As(err, &ae):
		case errors.As(err, &he):
			ae = &Error{Status: he.Code, Code: httpCode(he.Code), Message: he.Message}
		default:
			if sc := echo.StatusCode(err); sc >= 400 && sc < 500 {
				ae = &Error{Status: sc, Code: httpCode(sc), Message: http.StatusText(sc)}
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

func httpCode(status int) string {
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

// orEmpty makes a nil list marshal as [] rather than null: list answers always hold an array.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
