package notifytest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Request is one request a Webhook received.
type Request struct {
	Path string
	// Query is the raw query; User the basic-auth "user:password" ("" without).
	Query  string
	User   string
	Header http.Header
	Body   []byte
	// Status is what the receiver answered.
	Status int
}

// Webhook is an HTTP receiver on loopback that answers 500 to its first FailFirst requests
// and 200 afterwards, recording every request.
type Webhook struct {
	URL  string
	mu   sync.Mutex
	fail int
	reqs []Request
	wake chan struct{}
}

// NewWebhook starts a receiver failing its first failFirst requests; it stops when the test ends.
func NewWebhook(t testing.TB, failFirst int) *Webhook {
	w := &Webhook{fail: failFirst, wake: make(chan struct{}, 1)}
	srv := httptest.NewServer(http.HandlerFunc(w.serve))
	t.Cleanup(srv.Close)
	w.URL = srv.URL
	return w
}

func (w *Webhook) serve(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.mu.Lock()
	status := http.StatusOK
	if w.fail > 0 {
		w.fail--
		status = http.StatusInternalServerError
	}
	req := Request{Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body, Status: status}
	if u, p, ok := r.BasicAuth(); ok {
		req.User = u + ":" + p
	}
	w.reqs = append(w.reqs, req)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	rw.WriteHeader(status)
	if r.URL.Path != "" && status == http.StatusOK {
		_, _ = rw.Write([]byte(`{"ok":true}`))
	}
}

// Requests returns every request received so far.
func (w *Webhook) Requests() []Request {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Request(nil), w.reqs...)
}

// Accepted returns the requests answered 200.
func (w *Webhook) Accepted() []Request {
	var out []Request
	for _, r := range w.Requests() {
		if r.Status == http.StatusOK {
			out = append(out, r)
		}
	}
	return out
}

// WaitAccepted returns the accepted requests once there are at least n, or what there is after timeout.
func (w *Webhook) WaitAccepted(n int, timeout time.Duration) []Request {
	deadline := time.After(timeout)
	for {
		if a := w.Accepted(); len(a) >= n {
			return a
		}
		select {
		case <-w.wake:
		case <-deadline:
			return w.Accepted()
		}
	}
}
