package web_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/pkg/health"
	"github.com/wardops/wardops/pkg/notify"
	"github.com/wardops/wardops/pkg/notify/notifytest"
	"github.com/wardops/wardops/pkg/secrets"
	"github.com/wardops/wardops/testinfra/harness"
	"github.com/wardops/wardops/testinfra/testenv"
)

const chromiumHint = "browser tests need Debian's chromium: `apt-get install chromium` (scripts/services.sh installs it), or set WARDOPS_CHROMIUM"

// chromiumPath is WARDOPS_CHROMIUM or chromium on PATH.
func chromiumPath(tb testing.TB) string {
	tb.Helper()
	testenv.SkipShort(tb, "chromium")
	if p := os.Getenv("WARDOPS_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	tb.Fatalf("no chromium found: %s", chromiumHint)
	return ""
}

// browser is a headless chromium of one test with a fresh profile.
type browser struct {
	tb  testing.TB
	ctx context.Context // the browser's first tab
	mu  sync.Mutex
	bad []string // exceptions and CSP violations seen in any tab
}

func newBrowser(tb testing.TB) *browser {
	tb.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(tb)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		// a test drives two tabs at once: the one in the background must not be throttled
		chromedp.Flag("disable-background-timer-throttling", true), chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.UserDataDir(tb.TempDir()), chromedp.WindowSize(1440, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	tb.Cleanup(func() { cancel(); cancelA() })
	b := &browser{tb: tb, ctx: ctx}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int]("1")); err != nil {
		tb.Fatalf("start chromium: %v (%s)", err, chromiumHint)
	}
	b.watch(ctx)
	tb.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, m := range b.bad {
			tb.Errorf("browser reported: %s", m)
		}
	})
	return b
}

// tab opens another tab of the same browser (shared cookies).
func (b *browser) tab() context.Context {
	ctx, cancel := chromedp.NewContext(b.ctx)
	b.tb.Cleanup(cancel)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int]("1")); err != nil {
		b.tb.Fatalf("open tab: %v", err)
	}
	b.watch(ctx)
	return ctx
}

// watch records uncaught exceptions and Content-Security-Policy violations of a tab: either
// means the dashboard is broken for a real user.
func (b *browser) watch(ctx context.Context) {
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			text := m.String()
			if m.IsException() || strings.Contains(text, "Content Security Policy") || strings.Contains(text, "Refused to") {
				b.mu.Lock()
				b.bad = append(b.bad, fmt.Sprintf("%s (%s:%d)", text, m.URL, m.Line))
				b.mu.Unlock()
			}
		}
	}()
}

// do runs steps in ctx, failing the test with what on error.
func (b *browser) do(ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	b.tb.Helper()
	// every browser step has a deadline: a tab that stopped answering fails the test with the
	// step's name instead of hanging the package until go test's 20-minute timeout
	ctx, cancel := context.WithTimeout(ctx, stepLimit)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.tb.Fatalf("%s: %v", what, err)
	}
}

// wait polls a JavaScript predicate until it is truthy.
func (b *browser) wait(ctx context.Context, what, expr string, limit time.Duration) {
	b.tb.Helper()
	// the Go-side deadline backs up the poll's own, which a page that stopped running never reports
	wctx, cancel := context.WithTimeout(ctx, limit+5*time.Second)
	defer cancel()
	if _, err := chromedp.Run(wctx, chromedp.Poll[any](expr, chromedp.WithPollingTimeout(limit), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		sctx, scancel := context.WithTimeout(ctx, 10*time.Second)
		defer scancel()
		state, _ := chromedp.Run(sctx, chromedp.Evaluate[string](`location.hash + ' live=' + document.getElementById('live')?.dataset.state`))
		b.shot(ctx, "failed-"+strings.NewReplacer(" ", "-", "/", "-").Replace(what))
		b.tb.Fatalf("wait for %s (%s) within %s: %v (page %s)", what, expr, limit, err, state)
	}
}

// eval evaluates a JavaScript expression.
func eval[T any](b *browser, ctx context.Context, expr string) T {
	b.tb.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepLimit)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.tb.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// shot writes a full-page PNG of the tab to the artifacts folder.
func (b *browser) shot(ctx context.Context, name string) {
	b.tb.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepLimit)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.tb.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(artifactsDir(b.tb), name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.tb.Fatalf("write screenshot: %v", err)
	}
	b.tb.Logf("screenshot %s", p)
}

// artifactsDir is $WARDOPS_ARTIFACTS/web or <module root>/test-artifacts/web.
func artifactsDir(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("WARDOPS_ARTIFACTS")
	if base == "" {
		dir, err := os.Getwd()
		if err != nil {
			tb.Fatalf("working directory: %v", err)
		}
		for dir != "/" {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				break
			}
			dir = filepath.Dir(dir)
		}
		base = filepath.Join(dir, "test-artifacts")
	}
	out := filepath.Join(base, "web")
	if err := os.MkdirAll(out, 0o755); err != nil {
		tb.Fatalf("create artifacts folder: %v", err)
	}
	return out
}

// front is an API replica like cmd/api's for the browser: the harness's store, Redis and auth
// service (so sign-in, CSRF and the CSP are the real ones), the series reader, the alert
// routes, the dashboard and the report route. It can be restarted on the same address.
type front struct {
	tb     testing.TB
	sys    *harness.System
	series api.SeriesReader
	alerts *api.Alerting
	addr   string
	srv    *api.Server
	hs     *http.Server
	// streams and middleware, when set before start, shape the live streams and see every request
	streams    api.StreamParams
	middleware []echo.MiddlewareFunc
	// profileSNMP keeps profiles' SNMP defaults (nil: none)
	profileSNMP api.ProfileSNMP
	// snmp manages devices' SNMP settings and reads their interfaces (nil: no SNMP routes)
	snmp api.SNMPManager
}

func startFront(tb testing.TB, sys *harness.System, series api.SeriesReader, shape ...func(*front)) *front {
	tb.Helper()
	f := &front{tb: tb, sys: sys, series: series, alerts: alerting(tb, sys), addr: "127.0.0.1:0"}
	for _, fn := range shape {
		fn(f)
	}
	f.start()
	tb.Cleanup(f.stop)
	return f
}

func (f *front) URL() string { return "http://" + f.addr }

func (f *front) start() {
	f.tb.Helper()
	insp := asynq.NewInspectorFromRedisClient(f.sys.Redis)
	f.tb.Cleanup(func() { _ = insp.Close() })
	checker := health.NewChecker(map[string]health.Check{
		"database": health.Ping("database", f.sys.Store.Pool(), time.Second),
		"workers":  health.Workers(insp, health.DefaultWorkerThresholds),
	}, 2*time.Second)
	f.srv = api.New(api.Params{Auth: f.sys.Auth, Store: f.sys.Store, Redis: f.sys.Redis, Client: f.sys.Client, Tasks: insp,
		Health: checker, Logger: f.sys.Logger, Series: f.series, Alerting: f.alerts, Streams: f.streams, Middleware: f.middleware,
		ProfileSNMP: f.profileSNMP, SNMP: f.snmp})
	// api.New mounts the dashboard and the availability report itself
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ { // a restart takes the same port back
		if ln, err = net.Listen("tcp", f.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		f.tb.Fatalf("listen %s: %v", f.addr, err)
	}
	f.addr = ln.Addr().String()
	f.hs = &http.Server{Handler: f.srv, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = f.hs.Serve(ln) }()
}

// stop ends live streams and the server, as cmd/api does on shutdown.
func (f *front) stop() {
	if f.hs == nil {
		return
	}
	f.srv.CloseStreams()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_ = f.hs.Shutdown(ctx)
	f.hs = nil
}

// restart stops the API and starts a new one on the same address.
func (f *front) restart() {
	f.tb.Helper()
	f.stop()
	f.start()
}

// get GETs path from the front API with the harness's admin token.
func (f *front) get(path string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, f.URL()+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+f.sys.Token)
	return apiClient.Do(req)
}

// stepLimit bounds one browser step (navigate, click, evaluate, screenshot); waits carry their own.
const stepLimit = 60 * time.Second

// apiClient is the tests' own HTTP client: a request to the test server that never answers
// fails after half a minute.
var apiClient = &http.Client{Timeout: 30 * time.Second}

// alerting is the API's alert and channel services as cmd/api builds them.
func alerting(tb testing.TB, sys *harness.System) *api.Alerting {
	tb.Helper()
	key := make([]byte, secrets.KeySize)
	if _, err := rand.Read(key); err != nil {
		tb.Fatalf("secret key: %v", err)
	}
	box, err := secrets.New(key)
	if err != nil {
		tb.Fatalf("secret box: %v", err)
	}
	return &api.Alerting{
		Alerts: alert.NewService(alert.ServiceParams{Rules: sys.Store, Acks: sys.Store, Enqueuer: sys.Client,
			RuleCache: alert.NewRuleCache(sys.Redis, sys.Store.EnabledAlertRules), Publisher: events.NewPublisher(sys.Redis), Logger: sys.Logger}),
		// the test receivers listen on loopback, which the default destination policy denies
		Channels: notify.NewService(notify.ServiceParams{Channels: sys.Store, Deliveries: sys.Store, Sealer: box,
			Policy: notifytest.AllowLoopback(), Logger: sys.Logger}),
	}
}

// place creates the region and the branch in it (each unless it exists) that a device about
// to be created names: device writes refuse unknown places.
func (f *front) place(t testing.TB, branch, region string) {
	t.Helper()
	if region != "" {
		b, _ := json.Marshal(map[string]string{"name": region})
		f.do(t, http.MethodPost, "/api/v1/regions", string(b), nil) // 409 when it exists
	}
	if branch != "" {
		b, _ := json.Marshal(map[string]string{"name": branch, "region": region})
		f.do(t, http.MethodPost, "/api/v1/branches", string(b), nil)
	}
}
