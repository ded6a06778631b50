package web_test

import (
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/web"
)

func newServer(t *testing.T) *echo.Echo {
	t.Helper()
	e := echo.New()
	if err := web.Register(e); err != nil {
		t.Fatalf("register dashboard: %v", err)
	}
	return e
}

func get(e http.Handler, path string, hdr map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

func TestServeAssets(t *testing.T) {
	e := newServer(t)
	tests := []struct {
		name, path, accept string
		wantCode           int
		wantType, wantEnc  string
	}{
		{"index", "/", "", 200, "text/html; charset=utf-8", ""},
		{"index gzip", "/", "gzip, deflate, br", 200, "text/html; charset=utf-8", "gzip"},
		{"module", "/static/js/main.js", "gzip", 200, "text/javascript; charset=utf-8", "gzip"},
		{"css", "/static/css/app.css", "br;q=1, gzip;q=0.8", 200, "text/css; charset=utf-8", "gzip"},
		{"gzip refused", "/static/css/app.css", "gzip;q=0", 200, "text/css; charset=utf-8", ""},
		{"icon", "/favicon.ico", "", 200, "image/svg+xml", ""},
		{"missing", "/static/js/nope.js", "", 404, "", ""},
		{"index not under static", "/static/index.html", "", 404, "", ""},
		{"traversal", "/static/../web.go", "", 404, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(e, tc.path, map[string]string{"Accept-Encoding": tc.accept})
			got := []any{rec.Code, rec.Header().Get("Content-Encoding")}
			want := []any{tc.wantCode, tc.wantEnc}
			if tc.wantCode == 200 {
				got = append(got, rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"))
				want = append(want, tc.wantType, "no-cache")
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("GET %s (-want +got):\n%s", tc.path, diff)
			}
		})
	}
}

func TestGzipBodyIsTheFile(t *testing.T) {
	e := newServer(t)
	plain := get(e, "/static/js/overview.js", nil).Body.String()
	rec := get(e, "/static/js/overview.js", map[string]string{"Accept-Encoding": "gzip"})
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	unz, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	if diff := cmp.Diff(plain, string(unz)); diff != "" {
		t.Errorf("gzip body differs from the plain one (-want +got):\n%s", diff)
	}
}

func TestETagRevalidation(t *testing.T) {
	e := newServer(t)
	first := get(e, "/static/js/api.js", nil)
	tag := first.Header().Get("ETag")
	if !regexp.MustCompile(`^"[0-9a-f]{24}"$`).MatchString(tag) {
		t.Fatalf("ETag = %q, want a quoted content hash", tag)
	}
	for _, inm := range []string{tag, "W/" + tag, `"other", ` + tag} {
		if rec := get(e, "/static/js/api.js", map[string]string{"If-None-Match": inm}); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
			t.Errorf("If-None-Match %s: HTTP %d with %d bytes, want 304 and no body", inm, rec.Code, rec.Body.Len())
		}
	}
	if rec := get(e, "/static/js/api.js", map[string]string{"If-None-Match": `"stale"`}); rec.Code != http.StatusOK {
		t.Errorf("stale ETag: HTTP %d, want 200", rec.Code)
	}
}

// TestNoInlineScriptOrStyle keeps the dashboard within the API's CSP (no 'unsafe-inline'):
// no <script> without src, no on* handler attributes, no style attributes or <style> blocks,
// and no innerHTML in the scripts (text goes through textContent).
func TestNoInlineScriptOrStyle(t *testing.T) {
	files := staticFiles(t)
	checks := []struct {
		name string
		ext  string
		re   *regexp.Regexp
	}{
		{"inline script", ".html", regexp.MustCompile(`<script(?:\s+(?:type|nonce)="[^"]*")*\s*>`)},
		{"handler attribute", ".html", regexp.MustCompile(`\son[a-z]+\s*=`)},
		{"style attribute", ".html", regexp.MustCompile(`\sstyle\s*=`)},
		{"style block", ".html", regexp.MustCompile(`<style`)},
		{"innerHTML", ".js", regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write`)},
		{"eval", ".js", regexp.MustCompile(`\beval\(|new Function\(`)},
		{"external URL", "", regexp.MustCompile(`(?:src|href)=["']?(?:https?:)?//`)},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			for name, body := range files {
				if c.ext != "" && filepath.Ext(name) != c.ext {
					continue
				}
				if m := c.re.FindString(body); m != "" {
					t.Errorf("%s contains %q", name, m)
				}
			}
		})
	}
}

// TestModuleImportsResolve checks that every import and preload names an embedded file.
func TestModuleImportsResolve(t *testing.T) {
	files := staticFiles(t)
	importRe := regexp.MustCompile(`(?:from\s+|import\()\s*'\./([a-z]+\.js)'`)
	refRe := regexp.MustCompile(`(?:href|src)="/static/([^"]+)"`)
	for name, body := range files {
		var refs []string
		for _, m := range importRe.FindAllStringSubmatch(body, -1) {
			refs = append(refs, "js/"+m[1])
		}
		for _, m := range refRe.FindAllStringSubmatch(body, -1) {
			refs = append(refs, m[1])
		}
		for _, r := range refs {
			if _, ok := files[r]; !ok {
				t.Errorf("%s refers to %s, which is not embedded", name, r)
			}
		}
	}
}

func staticFiles(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	root := "static"
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		out[strings.TrimPrefix(filepath.ToSlash(p), root+"/")] = string(b)
		return err
	})
	if err != nil {
		t.Fatalf("read static files: %v", err)
	}
	return out
}
