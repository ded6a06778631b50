// Package selfmetrics gives each WardOps binary its own metrics: one *metrics.Set per binary
// (github.com/VictoriaMetrics/metrics), helpers for what the binaries measure (asynq tasks,
// cycle lag and skipped slots, queue lengths, HTTP request durations by route), a /metrics
// handler in the Prometheus text format with Go and process metrics, a small standalone
// server for the worker and scheduler, and optional push to VictoriaMetrics.
//
// Other packages register their own metrics on Registry.Set (the tsdb sink adds its
// wardops_tsdb_* counters and spool gauges there). docs/METRICS.md lists every metric.
package selfmetrics
