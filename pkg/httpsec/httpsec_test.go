package httpsec

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
)

func TestSecureHeaders(t *testing.T) {
	e := echo.New()
	e.Use(SecureHeaders(HeadersParams{}))
	e.GET("/api/v1/x", func(c *echo.Context) error { return c.String(http.StatusOK, "ok") })
	e.GET("/app", func(c *echo.Context) error { return c.String(http.StatusOK, "ok") })
	tests := []struct {
		path string
		want map[string]string
	}{
		{"/api/v1/x", map[string]string{"Cache-Control": "no-store"}},
		{"/app", map[string]string{"Cache-Control": ""}},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
			want := map[string]string{
				"Content-Security-Policy":      DefaultCSP,
				"X-Content-Type-Options":       "nosniff",
				"X-Frame-Options":              "DENY",
				"Referrer-Policy":              "no-referrer",
				"Cross-Origin-Opener-Policy":   "same-origin",
				"Cross-Origin-Resource-Policy": "same-origin",
				"Strict-Transport-Security":    "",
			}
			for k, v := range tc.want {
				want[k] = v
			}
			got := map[string]string{}
			for k := range want {
				got[k] = rec.Header().Get(k)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if strings.Contains(rec.Header().Get("Content-Security-Policy"), "unsafe-inline") {
				t.Error("CSP allows inline script")
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	e := echo.NewWithConfig(echo.Config{HTTPErrorHandler: ErrorHandler(nil)})
	e.Use(BodyLimit(64, map[string]int64{"/big": 1024}))
	decode := func(c *echo.Context) error {
		var v map[string]string
		if err := Bind(c, &v); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
	e.POST("/small", decode)
	e.POST("/big", decode)
	body := `{"a":"` + strings.Repeat("x", 200) + `"}`
	tests := []struct {
		name, path string
		chunked    bool
		want       int
	}{
		{"declared length over limit", "/small", false, http.StatusRequestEntityTooLarge},
		{"chunked over limit", "/small", true, http.StatusRequestEntityTooLarge},
		{"route override", "/big", false, http.StatusNoContent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, tc.path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if tc.chunked {
				req.ContentLength = -1
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Errorf("status %d, want %d: %s", rec.Code, tc.want, rec.Body)
			}
		})
	}
}

func TestDecodeUnderEchoBodyLimit(t *testing.T) {
	e := echo.NewWithConfig(echo.Config{HTTPErrorHandler: ErrorHandler(nil)})
	e.Use(middleware.BodyLimit(16))
	e.POST("/", func(c *echo.Context) error {
		var v map[string]string
		if err := Bind(c, &v); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	})
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"a":"`+strings.Repeat("x", 64)+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = -1
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413: %s", rec.Code, rec.Body)
	}
}

func TestIPExtractor(t *testing.T) {
	trusted, err := ParseTrustedProxies("127.0.0.1, 10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"127.0.0.1/32", "10.0.0.0/8"}, prefixStrings(trusted)); diff != "" {
		t.Errorf("parsed (-want +got):\n%s", diff)
	}
	if _, err := ParseTrustedProxies("10.0.0.0/33"); err == nil {
		t.Error("bad prefix accepted")
	}
	tests := []struct {
		name    string
		trusted []netip.Prefix
		remote  string
		xff     string
		want    string
	}{
		{"no proxies ignores header", nil, "127.0.0.5:1000", "127.0.0.9", "127.0.0.5"},
		{"trusted peer", trusted, "127.0.0.1:1000", "127.0.0.9", "127.0.0.9"},
		{"untrusted peer", trusted, "127.0.0.2:1000", "127.0.0.9", "127.0.0.2"},
		{"spoofed left entry", trusted, "127.0.0.1:1000", "127.0.0.66, 127.0.0.9", "127.0.0.9"},
		{"loopback not implicitly trusted", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, "127.0.0.1:1000", "127.0.0.9", "127.0.0.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.RemoteAddr = tc.remote
			req.Header.Set("X-Forwarded-For", tc.xff)
			if got := IPExtractor(tc.trusted)(req); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func prefixStrings(ps []netip.Prefix) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

func TestNewServerTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeSelfSigned(t, dir)
	if _, err := NewServer(ServerParams{TLSCertFile: cert}); err == nil {
		t.Error("cert without key accepted")
	}
	if _, err := NewServer(ServerParams{TLSCertFile: cert, TLSKeyFile: filepath.Join(dir, "missing")}); err == nil {
		t.Error("missing key file accepted")
	}
	srv, err := NewServer(ServerParams{Addr: "127.0.0.1:0", TLSCertFile: cert, TLSKeyFile: key,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("tls ok")) })})
	if err != nil {
		t.Fatal(err)
	}
	got := []time.Duration{srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout}
	want := []time.Duration{DefaultReadHeaderTimeout, DefaultReadTimeout, DefaultWriteTimeout, DefaultIdleTimeout}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("timeouts (-want +got):\n%s", diff)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := client.Get("https://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Errorf("not served over TLS 1.2+: %+v", resp.TLS)
	}
}

func writeSelfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	must(os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), 0o600))
	return certFile, keyFile
}
