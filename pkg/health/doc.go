// Package health decides whether WardOps is healthy: one line per component (database, redis,
// victoriametrics, workers, disk_space, api), each starting with healthy, degraded or critical
// and a reason, and an overall status that is the worst of them.
package health
