package monitoring

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// TestIndexFromAsset rewrites pages served by stand-ins for asynqmon: the hashes follow the
// scripts of whatever page the handler serves (they are computed, not a constant), other-origin
// links are dropped, and a page that would still load from elsewhere is refused at start.
func TestIndexFromAsset(t *testing.T) {
	for _, c := range []struct {
		name, page string
		want       []string
		err        string
	}{
		{name: "two scripts, fonts dropped",
			page: `<html><head><link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto"/>` +
				`<link rel="icon" href="/m/favicon.ico"/><script>window.A=1</script></head><body><div id="root"></div>` +
				`<script>boot()</script><script src="/m/static/js/x.js"></script></body></html>`,
			want: []string{hashOf("window.A=1"), hashOf("boot()")}},
		{name: "another script, another hash",
			page: `<html><head><script>window.A=2</script></head><body><div id="root"></div></body></html>`,
			want: []string{hashOf("window.A=2")}},
		{name: "protocol-relative font link dropped",
			page: `<html><head><link href="//fonts.example/x.css" rel="stylesheet"></head><body><div id="root"></div></body></html>`},
		{name: "outside script refused",
			page: `<html><head></head><body><div id="root"></div><script src="https://cdn.example/x.js"></script></body></html>`,
			err:  "another origin"},
		{name: "not asynqmon", page: `<html><body>hello</body></html>`, err: "root element"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(c.page)) })
			idx, err := newIndex(h, "/m", true)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("newIndex: %v, want an error with %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("newIndex: %v", err)
			}
			if d := cmp.Diff(c.want, idx.hashes); d != "" {
				t.Errorf("hashes (-want +got):\n%s", d)
			}
			page := string(idx.page)
			if strings.Contains(page, "fonts.") || !strings.Contains(page, `href="/m/_wardops/monitoring.css"`) ||
				!strings.Contains(page, `content="`+nonceMark+`"`) || !strings.Contains(page, `id="wardops-readonly"`) {
				t.Errorf("rewritten page: %s", page)
			}
		})
	}
}

// TestPolicyHasNoUnsafeInline guards the policy builder itself.
func TestPolicyHasNoUnsafeInline(t *testing.T) {
	p := Policy([]string{hashOf("x")}, "abc")
	for _, bad := range []string{"unsafe-inline", "unsafe-eval", "*", "https:"} {
		if strings.Contains(p, bad) {
			t.Errorf("policy contains %s: %s", bad, p)
		}
	}
	if !strings.Contains(p, "script-src 'self' "+hashOf("x")+";") || !strings.Contains(p, "style-src 'self' 'nonce-abc';") {
		t.Errorf("policy %s lacks the hash or the nonce", p)
	}
}
