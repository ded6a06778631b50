// Package tsdb writes samples to VictoriaMetrics and reads series back for graphs.
//
// The write side is a Sink: one gzip request to /api/v1/import/prometheus per Write call, each
// sample carrying its own millisecond timestamp. A failed write is retried with exponential
// backoff and full jitter; when VictoriaMetrics stays unreachable the already-encoded request
// body is spooled in PostgreSQL (table tsdb_spool), where it survives a worker restart and is
// visible to every worker replica. Sink.Run drains the spool in order when VictoriaMetrics is
// back, deleting a spooled batch only after VictoriaMetrics acknowledged it. The spool is
// bounded in samples: beyond the bound the oldest samples are dropped and counted.
//
// The read side is a Querier: QueryRange runs a PromQL/MetricsQL range query, Series answers
// the dashboard's graph requests (device metrics and per-interface metrics) with a step chosen
// for about 300 points.
//
// Metric names and labels are the exported constants of names.go; docs/METRICS.md lists them.
package tsdb
