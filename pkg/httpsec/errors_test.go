package httpsec

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v5"
)

// Every way a handler fails reaches the client in the one error shape; an unexpected error
// never shows its text.
func TestErrorHandler(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		status     int
		code       string
		field      string
		notInBody  string
		retryAfter string
	}{
		{"API error", NewError(http.StatusBadRequest, "invalid_name", "name is required", "name"), 400, "invalid_name", "name", "", ""},
		{"wrapped API error", fmt.Errorf("save: %w", NewError(http.StatusConflict, "conflict", "taken", "name")), 409, "conflict", "name", "save:", ""},
		{"echo HTTP error", echo.ErrMethodNotAllowed, 405, "method_not_allowed", "", "", ""},
		{"unexpected error", errors.New(`pq: duplicate key value violates unique constraint "devices_name_key"`), 500, "internal", "", "duplicate key", ""},
		{"header set before failing", NewError(http.StatusTooManyRequests, "throttled", "slow down", ""), 429, "throttled", "", "", "7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := echo.NewWithConfig(echo.Config{HTTPErrorHandler: ErrorHandler(nil)})
			e.GET("/", func(c *echo.Context) error {
				if tc.retryAfter != "" {
					c.Response().Header().Set("Retry-After", tc.retryAfter)
				}
				return tc.err
			})
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			var b Body
			if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			if rec.Code != tc.status || b.Error.Code != tc.code || b.Error.Field != tc.field || b.Error.Message == "" {
				t.Errorf("got %d %+v, want %d code %s field %q", rec.Code, b.Error, tc.status, tc.code, tc.field)
			}
			if tc.notInBody != "" && strings.Contains(rec.Body.String(), tc.notInBody) {
				t.Errorf("body shows internals %q: %s", tc.notInBody, rec.Body)
			}
			if got := rec.Header().Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tc.retryAfter)
			}
		})
	}
}
