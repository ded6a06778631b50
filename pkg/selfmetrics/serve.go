package selfmetrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metrics"
)

// Server is the worker's and scheduler's small HTTP server for /metrics.
type Server struct {
	ln     net.Listener
	srv    *http.Server
	logger *slog.Logger
}

// NewServer binds addr (e.g. 127.0.0.1:9101; ":0" picks a port) now, so a bad address fails
// the binary at start, and serves GET /metrics (and GET /healthz answering ok) once Run is called.
func (r *Registry) NewServer(addr string, logger *slog.Logger) (*Server, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for metrics on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", r.Endpoint())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	if r.pprof {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	// WriteTimeout leaves room for a 30 s CPU profile.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 90 * time.Second}
	return &Server{ln: ln, srv: srv, logger: logger}, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Run serves until ctx is done, then shuts down within five seconds.
func (s *Server) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.ln) }()
	s.logger.Info("metrics server listening", "addr", s.Addr())
	select {
	case err := <-errc:
		return fmt.Errorf("metrics server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shut down metrics server: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics server: %w", err)
	}
	return nil
}

// DefaultPushInterval is how often metrics are pushed when PushParams.Interval is 0.
const DefaultPushInterval = 10 * time.Second

// PushParams configures StartPush.
type PushParams struct {
	// URL receives the metrics in the Prometheus text format, e.g.
	// http://127.0.0.1:8428/api/v1/import/prometheus (WARDOPS_METRICS_PUSH_URL).
	URL string
	// Interval between pushes (default DefaultPushInterval).
	Interval time.Duration
	// ExtraLabels are added to every pushed metric (default
	// `job="wardops-<binary>",instance="<hostname>"`).
	ExtraLabels string
	// Logger reports failed pushes (default: discard).
	Logger *slog.Logger
}

// StartPush pushes the registry's metrics (and Go/process metrics) to p.URL every interval
// until ctx is done.
func (r *Registry) StartPush(ctx context.Context, p PushParams) error {
	if p.Interval <= 0 {
		p.Interval = DefaultPushInterval
	}
	if p.ExtraLabels == "" {
		host, _ := os.Hostname()
		p.ExtraLabels = name("x", "job", "wardops-"+r.binary, "instance", host)
		p.ExtraLabels = strings.TrimSuffix(strings.TrimPrefix(p.ExtraLabels, "x{"), "}")
	}
	logger := p.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts := &metrics.PushOptions{
		ExtraLabels: p.ExtraLabels,
		Method:      http.MethodPost,
		LogErr: func(format string, v ...any) {
			logger.Warn("metrics push failed", "err", fmt.Sprintf(format, v...))
		},
	}
	if err := metrics.InitPushExtWithOptions(ctx, p.URL, p.Interval, r.WritePrometheus, opts); err != nil {
		return fmt.Errorf("start metrics push to %s: %w", p.URL, err)
	}
	return nil
}
