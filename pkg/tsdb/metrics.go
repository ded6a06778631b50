package tsdb

import (
	"github.com/VictoriaMetrics/metrics"
)

// sinkMetrics are the sink's self-metrics, registered on SinkParams.Metrics.
type sinkMetrics struct {
	written, spooled, drained, dropped, rejected, invalid *metrics.Counter
	retries, spoolErrors                                  *metrics.Counter
	reqOK, reqErr                                         *metrics.Counter
	duration                                              *metrics.PrometheusHistogram
}

func newSinkMetrics(set *metrics.Set, status func() SpoolStatus) *sinkMetrics {
	m := &sinkMetrics{
		written:     set.GetOrCreateCounter(`wardops_tsdb_samples_written_total`),
		spooled:     set.GetOrCreateCounter(`wardops_tsdb_samples_spooled_total`),
		drained:     set.GetOrCreateCounter(`wardops_tsdb_samples_drained_total`),
		dropped:     set.GetOrCreateCounter(`wardops_tsdb_samples_dropped_total`),
		rejected:    set.GetOrCreateCounter(`wardops_tsdb_samples_rejected_total`),
		invalid:     set.GetOrCreateCounter(`wardops_tsdb_samples_invalid_total`),
		retries:     set.GetOrCreateCounter(`wardops_tsdb_write_retries_total`),
		spoolErrors: set.GetOrCreateCounter(`wardops_tsdb_spool_errors_total`),
		reqOK:       set.GetOrCreateCounter(`wardops_tsdb_write_requests_total{result="ok"}`),
		reqErr:      set.GetOrCreateCounter(`wardops_tsdb_write_requests_total{result="error"}`),
		// le buckets (not the library's vmrange ones), which Prometheus tools understand
		duration: set.GetOrCreatePrometheusHistogramExt(`wardops_tsdb_write_duration_seconds`,
			[]float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}),
	}
	gauge := func(name string, f func(SpoolStatus) float64) {
		set.GetOrCreateGauge(name, func() float64 { return f(status()) })
	}
	gauge(`wardops_tsdb_spool_samples`, func(s SpoolStatus) float64 { return float64(s.Samples) })
	gauge(`wardops_tsdb_spool_max_samples`, func(s SpoolStatus) float64 { return float64(s.MaxSamples) })
	gauge(`wardops_tsdb_spool_oldest_age_seconds`, func(s SpoolStatus) float64 { return s.OldestAge.Seconds() })
	gauge(`wardops_tsdb_spool_dropped_samples`, func(s SpoolStatus) float64 { return float64(s.Dropped) })
	gauge(`wardops_tsdb_spool_draining`, func(s SpoolStatus) float64 { return b2f(s.Draining) })
	gauge(`wardops_tsdb_spool_bound_reached`, func(s SpoolStatus) float64 { return b2f(s.BoundReached) })
	return m
}

func (m *sinkMetrics) requests(ok bool) *metrics.Counter {
	if ok {
		return m.reqOK
	}
	return m.reqErr
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
