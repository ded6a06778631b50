package monitoring

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// asynqmon's index.html has two inline scripts (its flags and webpack's runtime) and links
// Google Fonts. WardOps serves it rewritten: the outside links removed (the system font is
// used; its icons are inline SVG), a nonce meta for the styles Material-UI's JSS inserts, a
// same-origin stylesheet and, for read-only callers, a banner; for admins a same-origin script
// that adds the session's CSRF token to asynqmon's writes. The inline scripts stay byte
// for byte, and the page's policy allows exactly their SHA-256 hashes.

var (
	inlineScriptRe = regexp.MustCompile(`(?s)<script>(.*?)</script>`)
	linkRe         = regexp.MustCompile(`<link\b[^>]*>`)
	outsideRe      = regexp.MustCompile(`(?i)\b(?:href|src)\s*=\s*["']?(?:https?:)?//`)
)

// nonceMark stands for the per-request nonce in the rewritten page.
const nonceMark = "WARDOPS_CSP_NONCE"

// index is asynqmon's page as rendered by one handler, rewritten, with its script hashes.
type index struct {
	raw    []byte   // what asynqmon answers for its index (to recognise it)
	page   []byte   // the rewritten page, nonceMark where the nonce goes
	hashes []string // 'sha256-…' of each inline script
}

// newIndex renders asynqmon's index through h (GET root+"/") and rewrites it.
func newIndex(h http.Handler, root string, readOnly bool) (*index, error) {
	rec := newRecorder()
	req, err := http.NewRequest(http.MethodGet, root+"/", nil)
	if err != nil {
		return nil, fmt.Errorf("asynqmon index request: %w", err)
	}
	h.ServeHTTP(rec, req)
	if rec.status != http.StatusOK || !bytes.Contains(rec.body.Bytes(), []byte(`<div id="root">`)) {
		return nil, fmt.Errorf("asynqmon index: HTTP %d, %d bytes without its root element", rec.status, rec.body.Len())
	}
	raw := bytes.Clone(rec.body.Bytes())
	page, err := rewriteIndex(string(raw), root, readOnly)
	if err != nil {
		return nil, err
	}
	return &index{raw: raw, page: []byte(page), hashes: scriptHashes(page)}, nil
}

// scriptHashes returns the CSP source of every inline script of page, in order.
func scriptHashes(page string) []string {
	var out []string
	for _, m := range inlineScriptRe.FindAllStringSubmatch(page, -1) {
		sum := sha256.Sum256([]byte(m[1]))
		out = append(out, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
	}
	return out
}

// rewriteIndex drops every <link> to another origin, adds the nonce meta, WardOps' stylesheet
// and (read-only) the banner, and refuses a page that still loads anything from elsewhere.
func rewriteIndex(page, root string, readOnly bool) (string, error) {
	page = linkRe.ReplaceAllStringFunc(page, func(tag string) string {
		if outsideRe.MatchString(tag) {
			return ""
		}
		return tag
	})
	head := `<meta property="csp-nonce" content="` + nonceMark + `"/>` +
		`<link rel="stylesheet" href="` + root + `/` + assetPrefix + `monitoring.css"/>`
	if !strings.Contains(page, "</head>") || !strings.Contains(page, `<div id="root">`) {
		return "", errors.New("asynqmon index: no </head> or root element to rewrite")
	}
	if !readOnly { // the admin's writes need the session's CSRF token; before asynqmon's own scripts
		head += `<script src="` + root + `/` + assetPrefix + `csrf.js"></script>`
	}
	page = strings.Replace(page, "</head>", head+"</head>", 1)
	if readOnly {
		page = strings.Replace(page, `<div id="root">`, readOnlyBanner+`<div id="root">`, 1)
	}
	if loc := outsideRe.FindStringIndex(page); loc != nil {
		return "", fmt.Errorf("asynqmon index still loads from another origin: %q", page[loc[0]:min(len(page), loc[1]+60)])
	}
	return page, nil
}

// readOnlyBanner tells operators why there are no action buttons.
const readOnlyBanner = `<div id="wardops-readonly" class="wardops-readonly" role="status">` +
	`<strong>Read-only.</strong> Your role (operator) can inspect queues, tasks and schedules; ` +
	`retry, archive, delete, cancel and pause need an admin (or <code>api tasks …</code> on the server).</div>`

// recorder is a minimal in-memory http.ResponseWriter.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

// copyTo sends the recorded answer to w.
func (r *recorder) copyTo(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	if r.status == 0 {
		r.status = http.StatusOK
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body.Bytes())
}
