package selfmetrics

import (
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

// New returns an empty registry for the named binary (api, worker, scheduler).
func New(binary string) *Registry {
	return &Registry{binary: binary, set: metrics.NewSet()}
}

// Set is the underlying set, for packages that register metrics of their own.
func (r *Registry) Set() *metrics.Set { return r.set }

// Binary is the name given to New.
func (r *Registry) Binary() string { return r.binary }

// WritePrometheus writes every metric of the registry, then the Go runtime and process
// metrics (go_*, process_*), in the Prometheus text format.
func (r *Registry) WritePrometheus(w io.Writer) {
	r.set.WritePrometheus(w)
	metrics.WriteProcessMetrics(w)
}

// Handler serves WritePrometheus, for GET /metrics.
func (r *Registry) Handler() http.Handler {
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
