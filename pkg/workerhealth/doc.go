// Package workerhealth watches the workers: the asynq handler of tasks.TypeWorkerHealth
// (every 5 minutes) samples the live asynq servers, busy workers, every queue's backlog and the
// age of its oldest pending task, and the VictoriaMetrics spool; it stores the sample in
// PostgreSQL (worker_health) and enqueues the `system` alert evaluation with its metrics.
// Check feeds the stored sample to the API's "workers" health line, and Detail builds the
// admins' detailed health view (latencies, pool usage, queue lengths, oldest pending task age,
// spool size, last samples and retention run).
package workerhealth
