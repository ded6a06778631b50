// Package monitoring is the operators' queue console: asynqmon mounted at /monitoring under a
// page-specific Content-Security-Policy (its inline scripts by hash, computed at start from
// the assets asynqmon embeds; no outside fonts), a read-only console for operators with a
// banner saying so, asynqmon's Metrics tab backed by VictoriaMetrics (queue metrics exported by
// Exporter; a 503 with a sentence when VictoriaMetrics is down), and Celery-style task control
// without the UI (Control, its admin API routes and the `api tasks` CLI), every action audited.
package monitoring
