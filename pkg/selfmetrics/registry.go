package selfmetrics

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metrics"
)

// Histogram buckets (seconds).
var (
	taskBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300}
	lagBuckets  = []float64{.01, .05, .1, .25, .5, 1, 2, 5, 10, 30, 60, 120}
	httpBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
)

// Registry holds one binary's metrics. It is safe for concurrent use.
type Registry struct {
	binary string
	set    *metrics.Set
	pprof  bool
}

// ServePprof makes NewServer also serve Go's profiler under /debug/pprof/ (WARDOPS_PPROF); the
// metrics listener is loopback by default, and profiles name no secrets but cost CPU while taken.
func (r *Registry) ServePprof(on bool) { r.pprof = on }

// New returns an empty registry for the named binary (api, worker, scheduler). It turns on the
// metrics library's TYPE and HELP lines (a process-wide switch of the library; every WardOps
// binary wants them) so that WritePrometheus can give each family its HELP text.
func New(binary string) *Registry {
	metrics.ExposeMetadata(true)
	return &Registry{binary: binary, set: metrics.NewSet()}
}

// Set is the underlying set, for packages that register metrics of their own.
func (r *Registry) Set() *metrics.Set { return r.set }

// Binary is the name given to New.
func (r *Registry) Binary() string { return r.binary }

// WritePrometheus writes every metric of the registry, then the Go runtime and process
// metrics (go_*, process_*), in the Prometheus text format: each family with its TYPE and
// its HELP text (help.go).
func (r *Registry) WritePrometheus(w io.Writer) {
	var b bytes.Buffer
	r.set.WritePrometheus(&b)
	metrics.WriteProcessMetrics(&b)
	_, _ = w.Write(withHelp(b.Bytes()))
}

// What the library writes is fixed up on the way out so that promtool check metrics passes:
//   - its push client's two histograms (WARDOPS_METRICS_PUSH_URL) use vmrange buckets, which
//     Prometheus tools reject: left out (the push counters stay);
//   - three Go families end in _count without being histograms: renamed;
//   - the process I/O totals are cumulative but typed gauge: typed counter; the push interval
//     is a setting typed counter: typed gauge.
var (
	unservable = []string{"metrics_push_block_size_bytes", "metrics_push_duration_seconds"}
	renamed    = map[string]string{
		"go_cgo_calls_count": "go_cgo_calls_total",
		"go_gc_forced_count": "go_gc_forced_total",
		"go_cpu_count":       "go_cpus",
	}
	retyped = map[string]string{
		"process_io_read_bytes_total":            "counter",
		"process_io_written_bytes_total":         "counter",
		"process_io_read_syscalls_total":         "counter",
		"process_io_write_syscalls_total":        "counter",
		"process_io_storage_read_bytes_total":    "counter",
		"process_io_storage_written_bytes_total": "counter",
		"metrics_push_interval_seconds":          "gauge",
	}
)

// withHelp gives the library's bare `# HELP family` lines their text (help.go) and applies
// the fix-ups above, line by line.
func withHelp(exp []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(exp) + len(exp)/4)
	for len(exp) > 0 {
		line := exp
		if i := bytes.IndexByte(exp, '\n'); i >= 0 {
			line, exp = exp[:i], exp[i+1:]
		} else {
			exp = nil
		}
		writeLine(&out, string(line))
	}
	return out.Bytes()
}

func writeLine(out *bytes.Buffer, line string) {
	meta, rest := "", line
	if strings.HasPrefix(line, "# HELP ") || strings.HasPrefix(line, "# TYPE ") {
		meta, rest = line[:7], line[7:]
	} else if strings.HasPrefix(line, "#") {
		out.WriteString(line + "\n")
		return
	}
	end := strings.IndexAny(rest, " {")
	if end < 0 {
		end = len(rest)
	}
	name, tail := rest[:end], rest[end:]
	for _, u := range unservable {
		if strings.HasPrefix(name, u) {
			return
		}
	}
	if n, ok := renamed[name]; ok {
		name = n
	}
	switch meta {
	case "# HELP ":
		if text := help[name]; text != "" {
			tail = " " + text
		}
	case "# TYPE ":
		if typ, ok := retyped[name]; ok {
			tail = " " + typ
		}
	}
	out.WriteString(meta + name + tail + "\n")
}

// Endpoint serves WritePrometheus, for GET /metrics.
func (r *Registry) Endpoint() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		r.WritePrometheus(w)
	})
}

// ObserveCycleLag records how late a cycle of kind (ping, snmp) started after its slot began:
// wardops_cycle_lag_seconds{kind} (histogram) and wardops_cycle_last_lag_seconds{kind}.
func (r *Registry) ObserveCycleLag(kind string, lag time.Duration) {
	r.set.GetOrCreatePrometheusHistogramExt(name("wardops_cycle_lag_seconds", "kind", kind), lagBuckets).Update(lag.Seconds())
	r.set.GetOrCreateGauge(name("wardops_cycle_last_lag_seconds", "kind", kind), nil).Set(lag.Seconds())
}

// SlotSkipped counts a cycle slot of kind that was skipped because it could not start before
// the next one was due: wardops_cycle_skipped_slots_total{kind}.
func (r *Registry) SlotSkipped(kind string) {
	r.set.GetOrCreateCounter(name("wardops_cycle_skipped_slots_total", "kind", kind)).Inc()
}

// BatchRescued counts a batch of a dead worker re-enqueued by the rescuer (pkg/worker):
// wardops_batches_rescued_total{type}.
func (r *Registry) BatchRescued(taskType string) {
	r.set.GetOrCreateCounter(name("wardops_batches_rescued_total", "type", taskType)).Inc()
}

// name builds `base{k1="v1",k2="v2"}` with the values escaped.
func name(base string, kv ...string) string {
	var b strings.Builder
	b.WriteString(base)
	for i := 0; i+1 < len(kv); i += 2 {
		if i == 0 {
			b.WriteByte('{')
		} else {
			b.WriteByte(',')
		}
		b.WriteString(kv[i])
		b.WriteString(`="`)
		b.WriteString(labelEscaper.Replace(kv[i+1]))
		b.WriteByte('"')
	}
	if len(kv) >= 2 {
		b.WriteByte('}')
	}
	return b.String()
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// SlotEmitted counts cycle slots a scheduler emitted: wardops_scheduler_slots_emitted_total{task}.
func (r *Registry) SlotEmitted(taskType string) {
	r.set.GetOrCreateCounter(name("wardops_scheduler_slots_emitted_total", "task", taskType)).Inc()
}

// Leader exports wardops_scheduler_leader (1 while isLeader reports true).
func (r *Registry) Leader(isLeader func() bool) {
	r.set.GetOrCreateGauge("wardops_scheduler_leader", func() float64 {
		if isLeader() {
			return 1
		}
		return 0
	})
}
