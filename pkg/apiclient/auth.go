package apiclient

import (
	"context"
	"net/http"
)

// WithBearerToken sends an API token (wdo_…) with every request. Bearer requests need no
// CSRF token.
func WithBearerToken(token string) ClientOption {
	return WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+token)
		return nil
	})
}
