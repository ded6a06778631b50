package httpsec

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Server timeout defaults. WriteTimeout bounds a whole response, so long-lived streams (SSE)
// must lift it per request with ClearWriteDeadline.
const (
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultWriteTimeout      = 60 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultMaxHeaderBytes    = 64 << 10
)

// ServerParams configures NewServer. Zero durations take the defaults above.
type ServerParams struct {
	// Addr is the listen address (":5001").
	Addr              string
	Handler           http.Handler
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// TLSCertFile and TLSKeyFile, both set, serve HTTPS (TLS 1.2+); both empty serve HTTP.
	TLSCertFile string
	TLSKeyFile  string
	// Logger receives the server's own errors (TLS handshake failures and the like).
	Logger *slog.Logger
}

// NewServer returns an http.Server with every timeout set and, when a certificate is configured,
// a TLS config holding it (loaded now, so a bad file stops the binary at start). Serve it with
// ListenAndServe.
func NewServer(p ServerParams) (*http.Server, error) {
	if (p.TLSCertFile == "") != (p.TLSKeyFile == "") {
		return nil, errors.New("tls: set both the certificate and the key file, or neither")
	}
	srv := &http.Server{
		Addr:              p.Addr,
		Handler:           p.Handler,
		ReadHeaderTimeout: orDefault(p.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		ReadTimeout:       orDefault(p.ReadTimeout, DefaultReadTimeout),
		WriteTimeout:      orDefault(p.WriteTimeout, DefaultWriteTimeout),
		IdleTimeout:       orDefault(p.IdleTimeout, DefaultIdleTimeout),
		MaxHeaderBytes:    DefaultMaxHeaderBytes,
	}
	if p.Logger != nil {
		srv.ErrorLog = slog.NewLogLogger(p.Logger.Handler(), slog.LevelWarn)
	}
	if p.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(p.TLSCertFile, p.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("load tls certificate %s: %w", p.TLSCertFile, err)
		}
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	}
	return srv, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// ListenAndServe serves srv over TLS when NewServer gave it a certificate, over plain HTTP
// otherwise. Like http.Server's, it returns http.ErrServerClosed after Shutdown.
func ListenAndServe(srv *http.Server) error {
	if srv.TLSConfig != nil && len(srv.TLSConfig.Certificates) > 0 {
		return srv.ListenAndServeTLS("", "")
	}
	return srv.ListenAndServe()
}

// ClearWriteDeadline lifts the server's WriteTimeout for one long-lived response (an SSE
// stream); the handler must then end the stream itself when the request context ends.
func ClearWriteDeadline(w http.ResponseWriter) error {
	if err := http.NewResponseController(w).SetWriteDeadline(time.Time{}); err != nil {
		return fmt.Errorf("clear write deadline: %w", err)
	}
	return nil
}
