package monitoring_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/httpsec"
	"github.com/wardops/wardops/pkg/monitoring"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/testinfra/testenv"
)

var (
	inlineScript = regexp.MustCompile(`(?s)<script>(.*?)</script>`)
	nonceMeta    = regexp.MustCompile(`<meta property="csp-nonce" content="([^"]+)"/>`)
	scriptSrc    = regexp.MustCompile(`<script src="([^"]+)"`)
)

// directives splits a policy into directive → sources.
func directives(csp string) map[string][]string {
	out := map[string][]string{}
	for _, d := range strings.Split(csp, ";") {
		f := strings.Fields(d)
		if len(f) > 0 {
			out[f[0]] = f[1:]
		}
	}
	return out
}

// CheckStrict fails when a page policy allows more than the page's own inline scripts and
// nonce'd styles: no 'unsafe-inline' or 'unsafe-eval' anywhere, no wildcard or other origin.
func checkStrict(t *testing.T, csp string) {
	t.Helper()
	for _, bad := range []string{"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "http:", "https:", "data:"} {
		for name, srcs := range directives(csp) {
			if slices.Contains(srcs, bad) && !(bad == "data:" && name == "img-src") {
				t.Errorf("policy allows %s in %s: %s", bad, name, csp)
			}
		}
	}
	for name, srcs := range directives(csp) {
		for _, src := range srcs {
			if strings.Contains(src, ".") || strings.Contains(src, "//") {
				t.Errorf("policy names a host in %s: %s", name, src)
			}
		}
	}
}

// TestConsolePolicy reads /monitoring/ and a client-side route as admin and as operator: each
// page's policy is strict, allows exactly the SHA-256 of each inline script the page carries
// (computed here from the served page) and a fresh style nonce that the page's csp-nonce meta
// repeats; the page loads nothing from another origin; the operator's page is the read-only
// console with its banner. asynqmon's scripts and API answers keep the site's policy.
func TestConsolePolicy(t *testing.T) {
	s := start(t, "")
	nonces := map[string]bool{}
	for _, c := range []struct {
		who, token, path string
		readOnly         bool
	}{
		{"admin", s.admin, "/monitoring/", false},
		{"admin", s.admin, "/monitoring/queues/default", false},
		{"operator", s.operator, "/monitoring/", true},
		{"operator", s.operator, "/monitoring/schedulers", true},
	} {
		t.Run(c.who+c.path, func(t *testing.T) {
			code, h, body := s.do(c.token, "GET", c.path, "", nil)
			if code != http.StatusOK || !strings.Contains(body, `<div id="root">`) {
				t.Fatalf("GET %s: %d %.200s", c.path, code, body)
			}
			csp := h.Get("Content-Security-Policy")
			checkStrict(t, csp)
			var want []string
			for _, m := range inlineScript.FindAllStringSubmatch(body, -1) {
				sum := sha256.Sum256([]byte(m[1]))
				want = append(want, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
			}
			if len(want) != 2 {
				t.Errorf("page has %d inline scripts, want asynqmon's 2", len(want))
			}
			if d := cmp.Diff(append([]string{"'self'"}, want...), directives(csp)["script-src"]); d != "" {
				t.Errorf("script-src (-want +got):\n%s", d)
			}
			if d := cmp.Diff(want, s.ui.ScriptHashes(c.readOnly)); d != "" {
				t.Errorf("ScriptHashes (-want +got):\n%s", d)
			}
			m := nonceMeta.FindStringSubmatch(body)
			if m == nil || !slices.Contains(directives(csp)["style-src"], "'nonce-"+m[1]+"'") {
				t.Errorf("style nonce: meta %v, policy %s", m, csp)
			} else if nonces[m[1]] {
				t.Errorf("nonce %s served twice", m[1])
			} else {
				nonces[m[1]] = true
			}
			for _, outside := range []string{"googleapis", "gstatic", "https://", "http://"} {
				if strings.Contains(body, outside) {
					t.Errorf("page still names %s", outside)
				}
			}
			if got := strings.Contains(body, `id="wardops-readonly"`); got != c.readOnly {
				t.Errorf("read-only banner shown %v, want %v", got, c.readOnly)
			}
			for _, m := range scriptSrc.FindAllStringSubmatch(body, -1) {
				code, h, _ := s.do(c.token, "GET", m[1], "", nil)
				if code != http.StatusOK || h.Get("Content-Security-Policy") != httpsec.DefaultCSP ||
					!strings.HasPrefix(h.Get("Content-Type"), "application/javascript") {
					t.Errorf("GET %s: %d %q, CSP %q", m[1], code, h.Get("Content-Type"), h.Get("Content-Security-Policy"))
				}
			}
		})
	}
	if s.ui.ScriptHashes(true)[0] == s.ui.ScriptHashes(false)[0] {
		t.Errorf("read-only and full pages have the same flag script hash: the flags are not rendered per console")
	}
	for _, path := range []string{"/monitoring/api/queues", "/api/v1/health", "/"} {
		if _, h, _ := s.do(s.admin, "GET", path, "", nil); h.Get("Content-Security-Policy") != httpsec.DefaultCSP {
			t.Errorf("GET %s: CSP %q, want the site's %q", path, h.Get("Content-Security-Policy"), httpsec.DefaultCSP)
		}
	}
	// the operator's console is read-only in asynqmon too, behind the route guard
	if code, _, _ := s.do(s.operator, "POST", "/monitoring/api/queues/default:pause", "", nil); code != http.StatusForbidden {
		t.Errorf("operator pause through asynqmon: %d, want 403", code)
	}
	if code, _, body := s.do(s.admin, "POST", "/monitoring/api/queues/default:pause", "", nil); code != http.StatusNoContent {
		t.Errorf("admin pause through asynqmon: %d %s", code, body)
	}
}

// TestMetricsTab exports the queue metrics into a private VictoriaMetrics and reads them back
// through asynqmon's metrics route; with VictoriaMetrics stopped, or none configured, the route
// answers every series as unavailable with a sentence asynqmon shows, never asynqmon's 500.
func TestMetricsTab(t *testing.T) {
	vm := testenv.NewVM(t)
	s := start(t, vm.URL())
	for i := 0; i < 3; i++ {
		_, err := s.client.Enqueue(tasksNoop(), queueOpt(tasks.QueueNotify))
		testenv.Must(t, "enqueue", err)
	}
	exp := monitoring.NewExporter(monitoring.ExporterParams{Queues: tasks.Queues(), Inspector: s.insp, URL: vm.URL(),
		Labels: map[string]string{"job": "wardops-test"}})
	testenv.Must(t, "push", exp.Push(testenv.Ctx(t, 10*time.Second)))
	waitSeries(t, vm, "asynq_queue_size", 4)

	// the graphs end at the next step: VictoriaMetrics aligns a range to its step, and the
	// samples were written this instant (a running exporter has older ones)
	end := strconv.FormatInt(time.Now().Add(30*time.Second).Unix(), 10)
	code, _, body := s.do(s.operator, "GET", "/monitoring/api/metrics?duration=600&endtime="+end, "", nil)
	if code != http.StatusOK {
		t.Fatalf("metrics: %d %s", code, body)
	}
	var got struct {
		QueueSize struct {
			Data struct {
				Result []struct {
					Metric map[string]string `json:"metric"`
					Values [][2]any          `json:"values"`
				} `json:"result"`
			} `json:"data"`
		} `json:"queue_size"`
		Pending json.RawMessage `json:"pending_tasks_by_queue"`
	}
	testenv.Must(t, "decode metrics", json.Unmarshal([]byte(body), &got))
	sizes := map[string]string{}
	for _, r := range got.QueueSize.Data.Result {
		if len(r.Values) > 0 {
			sizes[r.Metric["queue"]] = r.Values[len(r.Values)-1][1].(string)
		}
	}
	if d := cmp.Diff(map[string]string{"critical": "0", "default": "0", "notify": "3", "low": "0"}, sizes); d != "" {
		t.Errorf("asynq_queue_size by queue (-want +got):\n%s", d)
	}
	if !strings.Contains(string(got.Pending), `"state":"pending"`) {
		t.Errorf("pending_tasks_by_queue has no pending series: %.300s", got.Pending)
	}

	vm.Stop()
	checkUnavailable(t, s, "VictoriaMetrics at "+vm.URL()+" does not answer")
	if err := exp.Push(testenv.Ctx(t, 10*time.Second)); err == nil {
		t.Errorf("push to a stopped VictoriaMetrics succeeded")
	}
	checkUnavailable(t, start(t, ""), "no VictoriaMetrics is configured")
}

// checkUnavailable reads the metrics route: never a 500, and every series in the Prometheus
// API's error form with a sentence that asynqmon shows above each chart.
func checkUnavailable(t *testing.T, s *system, want string) {
	t.Helper()
	code, h, body := s.do(s.operator, "GET", "/monitoring/api/metrics", "", nil)
	var got map[string]struct{ Status, Error string }
	if code != http.StatusOK || h.Get(monitoring.MetricsUnavailableHeader) != "unavailable" || json.Unmarshal([]byte(body), &got) != nil {
		t.Fatalf("metrics unavailable: %d %q %s", code, h.Get(monitoring.MetricsUnavailableHeader), body)
	}
	if len(got) != 9 {
		t.Errorf("%d series, want asynqmon's 9: %s", len(got), body)
	}
	for k, v := range got {
		if v.Status != "error" || !strings.HasPrefix(v.Error, "Queue metrics unavailable: "+want) {
			t.Errorf("%s = %+v, want status error with %q", k, v, want)
		}
	}
}

// waitSeries waits until VictoriaMetrics exports n series of metric (ingestion is asynchronous).
func waitSeries(t *testing.T, vm *testenv.VM, metric string, n int) {
	t.Helper()
	var got string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		vm.Flush()
		resp, err := http.Get(vm.URL() + "/api/v1/export?match[]=" + metric)
		testenv.Must(t, "export", err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got = string(b); strings.Count(got, "__name__") >= n {
			return
		}
	}
	t.Fatalf("VictoriaMetrics has not %d series of %s: %s", n, metric, got)
}
