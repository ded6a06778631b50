package apicontract

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

func init() {
	// the single sign-on pages answer HTML; kin-openapi has no decoder for it
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
}

// Checker is an http.RoundTripper that validates the exchanges with the hosts a test
// registered with Watch and passes every other request (VictoriaMetrics, webhook receivers,
// the dashboard, …) through untouched. It is safe for concurrent use.
type Checker struct {
	next   http.RoundTripper
	router routers.Router
	prefix string // the document's server URL, /api/v1

	mu    sync.Mutex
	tests map[string]watch // host:port → the test that started the server
	// seen counts validated exchanges per operationId; total is the document's operations.
	seen  map[string]int
	total int
}

// New parses and validates the OpenAPI document and wraps next (nil: http.DefaultTransport).
// The document must have one server URL (the path prefix of its routes).
func New(document []byte, next http.RoundTripper) (*Checker, error) {
	if next == nil {
		next = http.DefaultTransport
	}
	doc, err := openapi3.NewLoader().LoadFromData(document)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	if len(doc.Servers) != 1 {
		return nil, fmt.Errorf("the document has %d servers, want one", len(doc.Servers))
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
	return &Checker{next: next, router: r, prefix: prefix, tests: map[string]watch{}, seen: map[string]int{},
		total: total}, nil
}

// Coverage says how many operations the tests have exercised, of how many.
func (ct *Checker) Coverage() (seen, total int) {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	return len(ct.seen), ct.total
}

// watch is a watched server: its test, and the document paths it serves with stand-ins.
type watch struct {
	t    testing.TB
	skip map[string]bool
}

// Watch validates every exchange with the API at baseURL until t ends; a mismatch is reported
// with t.Errorf. skip names paths below the server URL — document paths ("/devices/{id}") or
// request paths ("/test/identity") — that the server under test answers with stand-ins
// rather than the real handlers; their exchanges are not validated.
func (ct *Checker) Watch(t testing.TB, baseURL string, skip ...string) {
	t.Helper()
	u, err := url.Parse(baseURL)
	if err != nil {
		t.Fatalf("contract: parse %q: %v", baseURL, err)
	}
	w := watch{t: t, skip: map[string]bool{}}
	for _, p := range skip {
		w.skip[p] = true
	}
	ct.mu.Lock()
	ct.tests[u.Host] = w
	ct.mu.Unlock()
	t.Cleanup(func() {
		ct.mu.Lock()
		delete(ct.tests, u.Host)
		ct.mu.Unlock()
	})
}

// RoundTrip sends req with the wrapped transport and validates the exchange when its host is
// watched.
func (ct *Checker) RoundTrip(req *http.Request) (*http.Response, error) {
	ct.mu.Lock()
	w, watched := ct.tests[req.URL.Host]
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
	if msg := ct.check(req, reqBody, resp, w.skip); msg != "" {
		w.t.Errorf("contract (openapi.yaml): %s %s → HTTP %d: %s", req.Method, req.URL.RequestURI(), resp.StatusCode, msg)
	}
	return resp, nil
}

// Check validates one exchange (reqBody is the request's body, already read) and returns what
// is wrong with it ("" when nothing). It reads the answer's body and leaves an unread copy in
// resp.
func (ct *Checker) Check(req *http.Request, reqBody []byte, resp *http.Response) string {
	return ct.check(req, reqBody, resp, nil)
}

func (ct *Checker) check(req *http.Request, reqBody []byte, resp *http.Response, skip map[string]bool) string {
	inner := req.Clone(req.Context())
	inner.URL.Path = strings.TrimPrefix(req.URL.Path, ct.prefix)
	inner.URL.RawPath = ""
	inner.Body = io.NopCloser(bytes.NewReader(reqBody))
	if skip[inner.URL.Path] {
		return ""
	}
	route, params, err := ct.router.FindRoute(inner)
	if err != nil {
		if resp.StatusCode < 400 {
			return "the server answered a route the document does not have: " + err.Error()
		}
		return "" // a test of an unknown route or method
	}
	if skip[route.Path] {
		return ""
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

// RunTests is a test binary's TestMain body: it puts a Checker of document on
// http.DefaultClient's transport (http.DefaultTransport itself stays: production code clones
// it), stores it in *ct for the tests' Watch calls, runs the tests, prints how many operations
// they exercised and returns the exit code (2 when the document does not load).
func RunTests(m *testing.M, document []byte, ct **Checker) int {
	c, err := New(document, http.DefaultTransport)
	if err != nil {
		fmt.Fprintln(os.Stderr, "openapi.yaml:", err)
		return 2
	}
	*ct = c
	http.DefaultClient.Transport = c
	code := m.Run()
	if n, total := c.Coverage(); n > 0 {
		fmt.Printf("contract: %d of %d operations of openapi.yaml exercised and validated\n", n, total)
	}
	return code
}
