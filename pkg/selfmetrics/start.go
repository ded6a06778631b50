package selfmetrics

import (
	"context"
	"log/slog"
)

// Start serves /metrics on addr ("" or "off": no listener) and, when pushURL is set, pushes the
// metrics there. Failures are logged, not fatal: a binary without metrics still does its work.
// The returned function stops the listener; call it last on shutdown.
func (r *Registry) Start(ctx context.Context, addr, pushURL string, logger *slog.Logger) (stop func()) {
	if pushURL != "" {
		if err := r.StartPush(ctx, PushParams{URL: pushURL, Logger: logger}); err != nil {
			logger.Warn("metrics push", "url", pushURL, "err", err)
		}
	}
	if addr == "" || addr == "off" {
		return func() {}
	}
	srv, err := r.NewServer(addr, logger)
	if err != nil {
		logger.Warn("metrics listener", "addr", addr, "err", err)
		return func() {}
	}
	// the listener outlives the signal so the last scrape sees the shutdown
	mctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	go func() { _ = srv.Run(mctx) }()
	logger.Info("metrics listening", "addr", srv.Addr())
	return cancel
}
