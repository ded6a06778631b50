package api

import (
	"errors"
	"fmt"
	"net/http"

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

// orEmpty makes a nil list marshal as [] rather than null: list answers always hold an array.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
