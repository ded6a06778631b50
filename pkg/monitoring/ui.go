package monitoring

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"

	"github.com/wardops/wardops/pkg/auth"
)

// DefaultRootPath is where cmd/api mounts asynqmon.
const DefaultRootPath = "/monitoring"

// assetPrefix is the folder of WardOps' own files under the root path.
const assetPrefix = "_wardops/"

//go:embed assets/monitoring.css assets/csrf.js
var assets embed.FS

// UIParams configure the asynqmon console.
type UIParams struct {
	// RootPath is the mount point (default DefaultRootPath).
	RootPath string
	// RedisConnOpt is asynq's Redis (required).
	RedisConnOpt asynq.RedisConnOpt
	// MetricsURL is VictoriaMetrics' Prometheus-compatible query API (WARDOPS_VM_URL); empty
	// hides asynqmon's Metrics tab.
	MetricsURL string
	// CanAct reports whether the caller may change queues and tasks (default: the caller's role
	// is admin). Everybody else gets asynqmon's read-only mode and a banner saying so.
	CanAct func(r *http.Request) bool
	// Client probes MetricsURL before asynqmon queries it (default: a 2 s timeout).
	Client *http.Client
	// Logger (default: discard).
	Logger *slog.Logger
}

// UI serves asynqmon: a full handler for admins and a read-only one for everybody else, each
// page under a Content-Security-Policy that allows exactly its own inline scripts.
type UI struct {
	p              UIParams
	full, readOnly *console
	css, csrfJS    []byte
}

// console is one asynqmon handler and its rewritten index.
type console struct {
	h   *asynqmon.HTTPHandler
	idx *index
}

// NewUI builds both asynqmon handlers and renders their pages once, computing the script
// hashes from the assets embedded in asynqmon. Close it on shutdown.
func NewUI(p UIParams) (*UI, error) {
	if p.RedisConnOpt == nil {
		return nil, fmt.Errorf("monitoring: RedisConnOpt is required")
	}
	if p.RootPath == "" {
		p.RootPath = DefaultRootPath
	}
	p.RootPath = strings.TrimSuffix(p.RootPath, "/")
	if p.CanAct == nil {
		p.CanAct = adminOnly
	}
	if p.Client == nil {
		p.Client = &http.Client{Timeout: 2 * time.Second}
	}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	css, err := assets.ReadFile("assets/monitoring.css")
	if err != nil {
		return nil, fmt.Errorf("monitoring stylesheet: %w", err)
	}
	csrfJS, err := assets.ReadFile("assets/csrf.js")
	if err != nil {
		return nil, fmt.Errorf("monitoring csrf script: %w", err)
	}
	u := &UI{p: p, css: css, csrfJS: csrfJS}
	if u.full, err = u.console(false); err != nil {
		return nil, err
	}
	if u.readOnly, err = u.console(true); err != nil {
		_ = u.full.h.Close()
		return nil, err
	}
	return u, nil
}

func (u *UI) console(readOnly bool) (*console, error) {
	h := asynqmon.New(asynqmon.Options{RootPath: u.p.RootPath, RedisConnOpt: u.p.RedisConnOpt,
		PrometheusAddress: u.p.MetricsURL, ReadOnly: readOnly})
	idx, err := newIndex(h, u.p.RootPath, readOnly)
	if err != nil {
		_ = h.Close()
		return nil, fmt.Errorf("asynqmon (read-only %v): %w", readOnly, err)
	}
	return &console{h: h, idx: idx}, nil
}

func adminOnly(r *http.Request) bool {
	id, ok := auth.PrincipalFrom(r.Context())
	return ok && id.Role >= auth.RoleAdmin
}

// Close closes both handlers' Redis connections.
func (u *UI) Close() error {
	err1, err2 := u.full.h.Close(), u.readOnly.h.Close()
	if err1 != nil {
		return err1
	}
	return err2
}

// ScriptHashes are the CSP sources of the inline scripts of the admin (full) or read-only page.
func (u *UI) ScriptHashes(readOnly bool) []string {
	if readOnly {
		return append([]string(nil), u.readOnly.idx.hashes...)
	}
	return append([]string(nil), u.full.idx.hashes...)
}

// ServeHTTP routes a request under the root path to the caller's console.
func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := u.readOnly
	if u.p.CanAct(r) {
		c = u.full
	}
	root, path := u.p.RootPath, r.URL.Path
	switch {
	case path == root+"/"+assetPrefix+"monitoring.css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		_, _ = w.Write(u.css)
	case path == root+"/"+assetPrefix+"csrf.js":
		w.Header().Set("Content-Type", "application/javascript; charset=utf-8")
		_, _ = w.Write(u.csrfJS)
	case path == root+"/api/metrics":
		u.metrics(w, r, c)
	case strings.HasPrefix(path, root+"/api/"):
		c.h.ServeHTTP(w, r)
	default:
		// asynqmon answers its index for every path that is not a file (the SPA's routes)
		rec := newRecorder()
		c.h.ServeHTTP(rec, r)
		if rec.status == http.StatusOK && bytes.Equal(rec.body.Bytes(), c.idx.raw) {
			serveIndex(w, c.idx)
			return
		}
		rec.copyTo(w)
	}
}

// serveIndex writes the rewritten page with a fresh style nonce and the page's own policy.
func serveIndex(w http.ResponseWriter, idx *index) {
	nonce := newNonce()
	h := w.Header()
	h.Set("Content-Security-Policy", Policy(idx.hashes, nonce))
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(bytes.ReplaceAll(idx.page, []byte(nonceMark), []byte(nonce)))
}

// Policy is the Content-Security-Policy of an asynqmon page: the site's policy
// (httpsec.DefaultCSP) plus exactly the page's inline scripts by hash and the styles that
// carry the page's nonce (Material-UI inserts <style> elements at run time and reads the
// nonce from the csp-nonce meta). Nothing from another origin, no 'unsafe-inline'.
func Policy(scriptHashes []string, styleNonce string) string {
	return "default-src 'self'; script-src 'self' " + strings.Join(scriptHashes, " ") +
		"; style-src 'self' 'nonce-" + styleNonce + "'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
		"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

func newNonce() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// metrics serves asynqmon's Metrics tab data. When VictoriaMetrics is not configured, does
// not answer, or fails a query, asynqmon would answer 500 and its tab would stay blank (it
// ignores a failed request and draws only what it got). The answer is then asynqmon's own shape
// with every series in the error form of the Prometheus API, which the tab shows above each
// chart: "Failed to get metrics data: Queue metrics unavailable: …".
func (u *UI) metrics(w http.ResponseWriter, r *http.Request, c *console) {
	if u.p.MetricsURL == "" {
		metricsUnavailable(w, "no VictoriaMetrics is configured (WARDOPS_VM_URL)")
		return
	}
	if err := u.probe(r.Context()); err != nil {
		u.p.Logger.Warn("asynqmon metrics: victoriametrics unavailable", "url", u.p.MetricsURL, "err", err)
		metricsUnavailable(w, fmt.Sprintf("VictoriaMetrics at %s does not answer (%v)", u.p.MetricsURL, err))
		return
	}
	rec := newRecorder()
	c.h.ServeHTTP(rec, r)
	if rec.status >= http.StatusInternalServerError {
		u.p.Logger.Warn("asynqmon metrics query failed", "status", rec.status, "detail", strings.TrimSpace(rec.body.String()))
		metricsUnavailable(w, "VictoriaMetrics did not answer the queue metrics queries")
		return
	}
	rec.copyTo(w)
}

// MetricsUnavailableHeader is set on a metrics answer that carries the unavailability errors.
const MetricsUnavailableHeader = "X-Wardops-Metrics"

// metricSeries are the fields of asynqmon's metrics answer (metrics_handler.go).
var metricSeries = []string{"queue_size", "queue_latency_seconds", "queue_memory_usage_approx_bytes",
	"tasks_processed_per_second", "tasks_failed_per_second", "error_rate", "pending_tasks_by_queue",
	"retry_tasks_by_queue", "archived_tasks_by_queue"}

func metricsUnavailable(w http.ResponseWriter, why string) {
	msg := "Queue metrics unavailable: " + why + ". Queues, tasks and schedulers still work (docs/OPERATIONS.md)."
	series := map[string]any{}
	for _, k := range metricSeries {
		series[k] = map[string]string{"status": "error", "errorType": "unavailable", "error": msg}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set(MetricsUnavailableHeader, "unavailable")
	_ = json.NewEncoder(w).Encode(series)
}

// probe checks that VictoriaMetrics answers its health endpoint.
func (u *UI) probe(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(u.p.MetricsURL, "/")+"/health", nil)
	if err != nil {
		return fmt.Errorf("health request: %w", err)
	}
	resp, err := u.p.Client.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: HTTP %d", resp.StatusCode)
	}
	return nil
}
