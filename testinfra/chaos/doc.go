// Package chaos runs WardOps as real processes (api, workers, two schedulers, built with go
// build) on private services — a PostgreSQL cluster (initdb/pg_ctl), a redis-server and a
// VictoriaMetrics of the test's own, on loopback ports — while a loopback fleet is pinged, then
// injects one fault (worker SIGKILL mid-batch, Redis restart, PostgreSQL restart,
// VictoriaMetrics down, scheduler leader killed, API restarted) and measures what it cost:
// cycles lost, duplicate rows, samples lost and seconds to recover (Measure, Result).
//
// The short versions run in `go tool task test`; `go tool task chaos` (scripts/chaos.sh) runs
// longer outages and writes the table of docs/RELIABILITY.md; `go tool task soak` samples
// memory, goroutines and database connections for an hour (Soak).
package chaos
