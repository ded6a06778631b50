package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v5"
)

// static holds the dashboard's files; it is read once, by New.
//
//go:embed static
var static embed.FS

// asset is one embedded file, ready to serve.
type asset struct {
	body  []byte
	gz    []byte // nil when compression does not pay
	ctype string
	etag  string
}

// Dashboard serves the embedded dashboard. It is immutable after New and safe for concurrent use.
type Dashboard struct {
	assets map[string]*asset // by path under static/, e.g. "js/main.js"
}

// RouteAdder is the part of *echo.Echo and *echo.Group that Register uses.
type RouteAdder interface {
	GET(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) echo.RouteInfo
}

var _ RouteAdder = (*echo.Echo)(nil)
var _ RouteAdder = (*echo.Group)(nil)

// New loads and compresses every embedded asset.
func New() (*Dashboard, error) {
	d := &Dashboard{assets: map[string]*asset{}}
	err := fs.WalkDir(static, "static", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		body, err := static.ReadFile(p)
		if err != nil {
			return fmt.Errorf("read asset %s: %w", p, err)
		}
		a, err := newAsset(p, body)
		if err != nil {
			return err
		}
		d.assets[strings.TrimPrefix(p, "static/")] = a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load dashboard assets: %w", err)
	}
	if d.assets["index.html"] == nil {
		return nil, fmt.Errorf("load dashboard assets: index.html missing")
	}
	return d, nil
}

func newAsset(name string, body []byte) (*asset, error) {
	sum := sha256.Sum256(body)
	a := &asset{body: body, ctype: contentType(name), etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	if len(body) < 512 || strings.HasPrefix(a.ctype, "image/png") {
		return a, nil
	}
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		return nil, fmt.Errorf("compress asset %s: %w", name, err)
	}
	if _, err := zw.Write(body); err != nil {
		return nil, fmt.Errorf("compress asset %s: %w", name, err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compress asset %s: %w", name, err)
	}
	if b.Len() < len(body)*9/10 {
		a.gz = b.Bytes()
	}
	return a, nil
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".html":
		return "text/html; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// Register adds the dashboard's routes to r, each with mw (e.g. the auth service's Public
// guard): GET / (the application shell; pages are addressed by the URL fragment, #/devices…),
// GET /static/* and GET /favicon.ico.
func (d *Dashboard) Register(r RouteAdder, mw ...echo.MiddlewareFunc) {
	r.GET("/", d.serveIndex, mw...)
	r.GET("/static/*", d.serveStatic, mw...)
	r.GET("/favicon.ico", d.serveFavicon, mw...)
}

// Register is New followed by Dashboard.Register.
func Register(r RouteAdder, mw ...echo.MiddlewareFunc) error {
	d, err := New()
	if err != nil {
		return err
	}
	d.Register(r, mw...)
	return nil
}

func (d *Dashboard) serveIndex(c *echo.Context) error {
	return d.serve(c, "index.html")
}

func (d *Dashboard) serveFavicon(c *echo.Context) error {
	return d.serve(c, "icon.svg")
}

func (d *Dashboard) serveStatic(c *echo.Context) error {
	name := c.Param("*")
	if name == "index.html" || strings.Contains(name, "..") {
		return echo.ErrNotFound
	}
	return d.serve(c, name)
}

// serve writes one asset: 304 when the browser's copy is current, gzip when it accepts it.
// Every answer is revalidated (no-cache): the files change with each release and are small.
func (d *Dashboard) serve(c *echo.Context, name string) error {
	a := d.assets[name]
	if a == nil {
		return echo.ErrNotFound
	}
	req, h := c.Request(), c.Response().Header()
	h.Set("ETag", a.etag)
	h.Set("Cache-Control", "no-cache")
	h.Set("Vary", "Accept-Encoding")
	if etagMatch(req.Header.Get("If-None-Match"), a.etag) {
		return c.NoContent(http.StatusNotModified)
	}
	if a.gz != nil && acceptsGzip(req.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		return c.Blob(http.StatusOK, a.ctype, a.gz)
	}
	return c.Blob(http.StatusOK, a.ctype, a.body)
}

func etagMatch(header, etag string) bool {
	for _, v := range strings.Split(header, ",") {
		v = strings.TrimPrefix(strings.TrimSpace(v), "W/")
		if v == etag || v == "*" {
			return true
		}
	}
	return false
}

func acceptsGzip(header string) bool {
	for _, v := range strings.Split(header, ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(v), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && !strings.HasSuffix(strings.ReplaceAll(q, " ", ""), "q=0") {
			return true
		}
	}
	return false
}
