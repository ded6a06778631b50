// Package pipelinebench measures the whole WardOps pipeline as real processes — api, one
// scheduler, one or more workers on a private PostgreSQL, Redis and VictoriaMetrics (the
// pieces of testinfra/chaos) — at growing simulated fleets (tools/fleet/fleetsim) pinged every 30 s
// and polled over SNMP every 60 s: ping and SNMP cycle completion (slot start to the last
// batch done, from the cycle's batch countdown in Redis), skipped slots, worker CPU and RSS,
// PostgreSQL rows/s, VictoriaMetrics samples/s, Redis memory; then the same at the largest
// size with 2 and 3 workers. `go tool task bench:pipeline` (scripts/bench-pipeline.sh) runs
// TestPipeline, built only with -tags pipelinebench, and writes run/bench/pipeline.json.
package pipelinebench
