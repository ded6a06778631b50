package api_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

// streamEnv is an API with auth on the test's own database and Redis DB, for live-stream tests.
type streamEnv struct {
	t     *testing.T
	svc   *auth.Service
	store *store.Store
	rdb   *redis.Client
	url   string
	admin string // an admin bearer token
}

// streamOptions shape a streamEnv.
type streamOptions struct {
	Auth    auth.Params
	Hub     events.HubParams
	Streams api.StreamParams
}

func startStreams(t *testing.T, o streamOptions) *streamEnv {
	t.Helper()
	st := store.New(testenv.NewDB(t), 10*time.Second, nil)
	rdb := testenv.NewRedis(t)
	o.Auth.Store, o.Auth.Redis = st, rdb
	svc := authtest.NewService(t, o.Auth)
	e := &streamEnv{t: t, svc: svc, store: st, rdb: rdb}
	e.url = e.replica(o)
	e.admin = authtest.Token(t, svc, auth.RoleAdmin)
	return e
}

// replica starts one more API process on the same database, Redis and auth service, with a
// hub of its own, and returns its URL.
func (e *streamEnv) replica(o streamOptions) string {
	e.t.Helper()
	o.Hub.Redis = e.rdb
	if o.Hub.RevokedChannel == "" {
		o.Hub.RevokedChannel = e.svc.RevokedChannel()
	}
	hub := events.NewHub(o.Hub)
	srv := api.New(api.Params{Auth: e.svc, Store: e.store, Redis: e.rdb, Hub: hub, Streams: o.Streams})
	hs := httptest.NewServer(srv)
	e.t.Cleanup(func() { srv.CloseStreams(); _ = hub.Close(); hs.Close() })
	checkContract(e.t, hs.URL)
	return hs.URL
}

// bearer authenticates a request with a token secret.
func bearer(secret string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+secret) }
}

// session is a signed-in dashboard session.
type session struct {
	cookies []*http.Cookie
	csrf    string
}

func (s session) apply(r *http.Request) {
	for _, c := range s.cookies {
		r.AddCookie(c)
	}
	if r.Method != http.MethodGet {
		r.Header.Set(auth.CSRFHeader, s.csrf)
	}
}

// login signs name in with authtest.Password.
func (e *streamEnv) login(name string) session {
	e.t.Helper()
	resp := e.do(e.url, http.MethodPost, "/api/v1/auth/login", fmt.Sprintf(`{"username":%q,"password":%q}`, name, authtest.Password), nil)
	defer resp.Body.Close()
	var info auth.SessionInfo
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&info) != nil {
		e.t.Fatalf("login %s: HTTP %d", name, resp.StatusCode)
	}
	return session{cookies: resp.Cookies(), csrf: info.CSRFToken}
}

// do sends a request (JSON body when body is not empty) to base+path.
func (e *streamEnv) do(base, method, path, body string, authn func(*http.Request)) *http.Response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, rd)
	testenv.Must(e.t, "build request", err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if authn != nil {
		authn(req)
	}
	resp, err := http.DefaultClient.Do(req)
	testenv.Must(e.t, method+" "+path, err)
	return resp
}

// expect sends a request and fails unless it answers want.
func (e *streamEnv) expect(base, method, path, body string, authn func(*http.Request), want int) {
	e.t.Helper()
	resp := e.do(base, method, path, body, authn)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s: HTTP %d %s, want %d", method, path, resp.StatusCode, raw, want)
	}
}

// record is one server-sent event.
type record struct {
	Event string // "" for a data message
	Data  string
}

// sse is an open live-event stream.
type sse struct {
	t    *testing.T
	resp *http.Response
	recs chan record // closed at the end of the body
}

// open opens GET /api/v1/events on base and waits for the opening comment, so that the
// stream is subscribed when it returns.
func (e *streamEnv) open(base string, authn func(*http.Request)) *sse {
	e.t.Helper()
	s, status, body := e.tryOpen(base, authn)
	if s == nil {
		e.t.Fatalf("open stream: HTTP %d %s", status, body)
	}
	return s
}

// tryOpen opens a stream, or returns the refusal's status and body.
func (e *streamEnv) tryOpen(base string, authn func(*http.Request)) (*sse, int, []byte) {
	e.t.Helper()
	resp := e.do(base, http.MethodGet, "/api/v1/events", "", authn)
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return nil, resp.StatusCode, raw
	}
	s := &sse{t: e.t, resp: resp, recs: make(chan record, 1024)}
	e.t.Cleanup(s.close)
	connected := make(chan struct{})
	go s.read(connected)
	select {
	case <-connected:
	case <-time.After(5 * time.Second):
		e.t.Fatalf("stream sent no opening comment within 5s")
	}
	return s, resp.StatusCode, nil
}

func (s *sse) read(connected chan struct{}) {
	defer close(s.recs)
	sc := bufio.NewScanner(s.resp.Body)
	var r record
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == ": connected":
			close(connected)
		case strings.HasPrefix(line, "event: "):
			r.Event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			r.Data = strings.TrimPrefix(line, "data: ")
		case line == "" && r.Data != "":
			s.recs <- r
			r = record{}
		}
	}
}

func (s *sse) close() { _ = s.resp.Body.Close() }

// waitEnd reads the stream until its "end" event and returns the reason; it fails the test
// if the stream is still open after limit or closes without saying why.
func (s *sse) waitEnd(limit time.Duration) string {
	s.t.Helper()
	deadline := time.After(limit)
	for {
		select {
		case r, ok := <-s.recs:
			if !ok {
				s.t.Fatalf("stream closed without an end event")
			}
			if r.Event != "end" {
				continue
			}
			var end struct{ Reason string }
			if err := json.Unmarshal([]byte(r.Data), &end); err != nil {
				s.t.Fatalf("end event data %q: %v", r.Data, err)
			}
			if _, more := <-s.recs; more {
				s.t.Errorf("stream went on after its end event")
			}
			return end.Reason
		case <-deadline:
			s.t.Fatalf("stream still open %s later", limit)
			return ""
		}
	}
}

// events reads n data messages of type typ (others' events are skipped: pub/sub is shared
// by every test on this Redis server) and returns their data.
func (s *sse) events(typ string, n int, limit time.Duration) []string {
	s.t.Helper()
	got, err := s.collect(typ, n, limit)
	if err != nil {
		s.t.Fatal(err)
	}
	return got
}

// collect is events without failing the test, for other goroutines.
func (s *sse) collect(typ string, n int, limit time.Duration) ([]string, error) {
	var got []string
	deadline := time.After(limit)
	for len(got) < n {
		select {
		case r, ok := <-s.recs:
			if !ok || r.Event == "end" {
				return got, fmt.Errorf("stream ended (%s) after %d of %d events", r.Data, len(got), n)
			}
			var ev events.Event
			if err := json.Unmarshal([]byte(r.Data), &ev); err != nil {
				return got, fmt.Errorf("event %q: %w", r.Data, err)
			}
			if ev.Type == typ {
				got = append(got, string(ev.Data))
			}
		case <-deadline:
			return got, fmt.Errorf("%d of %d events within %s", len(got), n, limit)
		}
	}
	return got, nil
}

// newServer serves h until the test ends and returns its URL.
func newServer(t *testing.T, h http.Handler) string {
	t.Helper()
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return hs.URL
}

// publish sends events of type typ with data 0..n-1 as the workers do.
func (e *streamEnv) publish(typ string, n int) {
	e.t.Helper()
	p := events.NewPublisher(e.rdb)
	for i := range n {
		testenv.Must(e.t, "publish", p.Publish(testenv.Ctx(e.t, 5*time.Second), typ, i))
	}
}

// newToken creates a user with role and a token for it; it returns the user, the token's id
// and its secret.
func (e *streamEnv) newToken(name string, role auth.Role) (store.User, int64, string) {
	e.t.Helper()
	u := authtest.User(e.t, e.svc, name, role)
	secret, tok, err := e.svc.CreateToken(authtest.SystemCtx(e.t), auth.NewToken{Name: name, UserID: u.ID, Role: role})
	testenv.Must(e.t, "create token", err)
	return u, tok.ID, secret
}
