package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/testenv"
)

// The contract check: every request a test sends to an API server it registered with
// checkContract, and every answer, is validated against openapi.yaml (kin-openapi's
// openapi3filter). An answer the document does not describe (status, headers, body) fails the
// test; so does a request the document refuses that the server accepted (2xx/3xx), since the
// two then disagree about what is valid. Requests the document refuses and the server refuses
// too are the tests of bad input, and pass.
//
// It is http.DefaultClient's transport (set in TestMain), so call/jsonCall, harness.System.Do
// and http.Get are checked; a test's own client takes contractCheck as its Transport.
// (http.DefaultTransport itself stays: production code clones it as an *http.Transport.)
var contractCheck *contractTransport

func TestMain(m *testing.M) {
	ct, err := newContractTransport(http.DefaultTransport)
	if err != nil {
		fmt.Fprintln(os.Stderr, "openapi.yaml:", err)
		os.Exit(2)
	}
	contractCheck = ct
	http.DefaultClient.Transport = ct
	// the single sign-on pages answer HTML; kin-openapi has no decoder for it
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	code := m.Run()
	if n, total := ct.coverage(); n > 0 {
		fmt.Printf("contract: %d of %d operations of openapi.yaml exercised and validated\n", n, total)
	}
	os.Exit(code)
}

// checkContract validates every exchange with the API at baseURL against openapi.yaml until
// t ends; a mismatch is reported on t.
func checkContract(t testing.TB, baseURL string) {
	t.Helper()
	u, err := url.Parse(baseURL)
	if err != nil {
		t.Fatalf("contract: parse %q: %v", baseURL, err)
	}
	contractCheck.mu.Lock()
	contractCheck.tests[u.Host] = t
	contractCheck.mu.Unlock()
	t.Cleanup(func() {
		contractCheck.mu.Lock()
		delete(contractCheck.tests, u.Host)
		contractCheck.mu.Unlock()
	})
}

// contractTransport validates the exchanges with registered hosts and passes every other
// request (VictoriaMetrics, webhook receivers, …) through untouched.
type contractTransport struct {
	next   http.RoundTripper
	router routers.Router
	prefix string // the document's server URL, /api/v1

	mu    sync.Mutex
	tests map[string]testing.TB // host:port → the test that started the server
	// seen counts validated exchanges per operationId; total is the document's operations.
	seen  map[string]int
	total int
}

func newContractTransport(next http.RoundTripper) (*contractTransport, error) {
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	prefix := doc.Servers[0].URL
	doc.Servers = nil // requests are matched on the path below the prefix
	r, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	total := 0
	for _, item := range doc.Paths.Map() {
		total += len(item.Operations())
	}
	return &contractTransport{next: next, router: r, prefix: prefix, tests: map[string]testing.TB{}, seen: map[string]int{},
		total: total}, nil
}

// coverage says how many operations the tests have exercised, of how many.
func (ct *contractTransport) coverage() (seen, total int) {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	return len(ct.seen), ct.total
}

func (ct *contractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ct.mu.Lock()
	t, watched := ct.tests[req.URL.Host]
	ct.mu.Unlock()
	if !watched || !strings.HasPrefix(req.URL.Path, ct.prefix+"/") {
		return ct.next.RoundTrip(req) // not the API (the dashboard, /metrics, /monitoring, other services)
	}
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		reqBody = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	resp, err := ct.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if msg := ct.check(req, reqBody, resp); msg != "" {
		t.Errorf("contract (openapi.yaml): %s %s → HTTP %d: %s", req.Method, req.URL.RequestURI(), resp.StatusCode, msg)
	}
	return resp, nil
}

// check validates one exchange and returns what is wrong with it ("" when nothing). It reads
// the answer's body and leaves an unread copy in resp.
func (ct *contractTransport) check(req *http.Request, reqBody []byte, resp *http.Response) string {
	inner := req.Clone(req.Context())
	inner.URL.Path = strings.TrimPrefix(req.URL.Path, ct.prefix)
	inner.URL.RawPath = ""
	inner.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := ct.router.FindRoute(inner)
	if err != nil {
		if resp.StatusCode < 400 {
			return "the server answered a route the document does not have: " + err.Error()
		}
		return "" // a test of an unknown route or method
	}
	ct.mu.Lock()
	ct.seen[route.Operation.OperationID]++
	ct.mu.Unlock()
	in := &openapi3filter.RequestValidationInput{Request: inner, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil && resp.StatusCode < 400 {
		return "the document refuses this request, the server accepted it: " + err.Error()
	}
	body, stream := []byte(nil), strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream")
	if !stream {
		b, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return "read the answer: " + err.Error()
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
		if body, err = decoded(resp.Header, b); err != nil {
			return err.Error()
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
			ExcludeResponseBody: stream || req.Method == http.MethodHead}}
	if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
		return "the answer does not match the document: " + err.Error() + "\nbody: " + clip(body)
	}
	return ""
}

// decoded is the body as the client's JSON decoder sees it: gunzipped when the test asked
// for gzip itself (Go's transport leaves such bodies compressed).
func decoded(h http.Header, b []byte) ([]byte, error) {
	if h.Get("Content-Encoding") != "gzip" {
		return b, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("gunzip the answer: %w", err)
	}
	return io.ReadAll(zr)
}

func clip(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

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
			got := contractCheck.check(req, []byte(tc.body), resp)
			if (tc.wantProblem == "") != (got == "") || !strings.Contains(got, tc.wantProblem) {
				t.Errorf("check = %q, want a problem containing %q", got, tc.wantProblem)
			}
			if rest, _ := io.ReadAll(resp.Body); string(rest) != tc.answer {
				t.Errorf("the answer's body after the check is %q, want it intact", rest)
			}
		})
	}
}
