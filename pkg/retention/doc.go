// Package retention keeps PostgreSQL's history bounded: the asynq handler of
// tasks.TypeRetention creates the ping_results day partitions ahead, rolls pings up into
// hourly rows (ping_hourly, min/avg/max RTT, loss, counts per device, kept a year), drops
// ping_results partitions older than the retention in O(1) (DETACH … CONCURRENTLY, DROP
// TABLE: never a row-by-row DELETE), drops expired roll-up months, and deletes old device
// events, resolved alerts and incidents, audit rows and worker-health samples in short batches.
//
// The scheduler runs it every hour (Config.Job); the run whose slot falls on
// WARDOPS_RETENTION_AT in WARDOPS_RETENTION_TZ (default 03:00 UTC) is the daily one. Every
// step is idempotent, and an advisory lock keeps two runs apart.
package retention
