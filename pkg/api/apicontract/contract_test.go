package apicontract_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/api/apicontract"
	"github.com/wardops/wardops/testinfra/testenv"
)

// TestContractCatchesMismatch: the check is not a rubber stamp — answers that break the
// document (a wrong type, a missing required field, an undocumented status, an error not in
// the Error shape) and a request the document refuses but the server accepts are each
// reported; a conforming exchange is not.
func TestContractCatchesMismatch(t *testing.T) {
	cases := []struct {
		name, method, path, body string
		status                   int
		answer                   string
		wantProblem              string // "" for a conforming exchange
	}{
		{"conforming health", http.MethodGet, "/api/v1/health", "", http.StatusOK,
			`{"status":"healthy","components":{"api":"healthy"},"checked_at":"2026-01-02T03:04:05Z"}`, ""},
		{"wrong type", http.MethodGet, "/api/v1/health", "", http.StatusOK,
			`{"status":5,"components":{},"checked_at":"2026-01-02T03:04:05Z"}`, "does not match the document"},
		{"missing required field", http.MethodGet, "/api/v1/devices/standalone/list", "", http.StatusOK,
			`{"devices":[]}`, "does not match the document"},
		{"undocumented status", http.MethodGet, "/api/v1/health", "", http.StatusTeapot, `{}`, "does not match the document"},
		{"error not in the Error shape", http.MethodGet, "/api/v1/devices/7", "", http.StatusNotFound,
			`{"message":"no"}`, "does not match the document"},
		{"conforming error", http.MethodGet, "/api/v1/devices/7", "", http.StatusNotFound,
			`{"error":{"code":"not_found","message":"device 7 not found"}}`, ""},
		{"bad request accepted", http.MethodPost, "/api/v1/regions", `{"name":1}`, http.StatusCreated,
			`{"id":1,"name":"1","description":"","branches":0,"devices":0,"created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z"}`,
			"the document refuses this request, the server accepted it"},
		{"bad request refused", http.MethodPost, "/api/v1/regions", `{"name":1}`, http.StatusBadRequest,
			`{"error":{"code":"invalid_name","message":"name must be a string","field":"name"}}`, ""},
		{"route not in the document", http.MethodGet, "/api/v1/nowhere", "", http.StatusOK, `{}`, "does not have"},
	}
	ct, err := apicontract.New(api.OpenAPI, nil)
	testenv.Must(t, "load openapi.yaml", err)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.answer)
			}))
			defer srv.Close()
			var body io.Reader = http.NoBody
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req, err := http.NewRequestWithContext(t.Context(), tc.method, srv.URL+tc.path, body)
			testenv.Must(t, "request", err)
			if tc.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := http.DefaultTransport.RoundTrip(req)
			testenv.Must(t, "round trip", err)
			defer resp.Body.Close()
			got := ct.Check(req, []byte(tc.body), resp)
			if (tc.wantProblem == "") != (got == "") || !strings.Contains(got, tc.wantProblem) {
				t.Errorf("check = %q, want a problem containing %q", got, tc.wantProblem)
			}
			if rest, _ := io.ReadAll(resp.Body); string(rest) != tc.answer {
				t.Errorf("the answer's body after the check is %q, want it intact", rest)
			}
		})
	}
}
