#!/usr/bin/env bash
# Benchmark of alert evaluation (go tool task bench:alerts):
#   1. the pure pass (pkg/alert.Evaluate, no I/O) over 100,000 devices × 20 ping rules from a
#      steady state, on a bad day (2 % down, 5 % lossy, 3 % slow, 3 % jittery, whole branches
#      down) and in an alert storm (~89,000 open alerts); and one SNMP pass over 100,000
#      devices × 4 interfaces × 7 rules;
#   2. the same ping pass against a real PostgreSQL holding 100,000 devices: load (snapshot,
#      states, incidents, windows, routes), evaluate, save in one transaction — in steady state
#      and on the cycle where 1,000 devices (ten branches) go down at once.
# Wall time per op depends on what else runs on the machine: the load average is printed, and
# the benchmarks also report CPU time per op. Target: a pass under 1 s.
# Needs PostgreSQL and Redis on loopback (started by scripts/services.sh when missing).
#   WARDOPS_BENCH_N   iterations of the pure benchmarks (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pg_isready >/dev/null 2>&1 || ! pg_isready -h 127.0.0.1 -p 5432 -q; then
	scripts/services.sh
fi
N=${WARDOPS_BENCH_N:-5}
echo "== $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(go version | cut -d' ' -f3)"
echo "== pure evaluation pass (no I/O)"
go test -run '^$' -bench '^BenchmarkEvaluate' -benchtime "${N}x" -benchmem -count 1 ./pkg/alert |
	grep -E '^Benchmark|steady state|^ok|FAIL'
echo "== pass with PostgreSQL: load + evaluate + save (100,000 devices are seeded first)"
go test -run '^$' -bench '^BenchmarkPassDB' -benchtime 3x -count 1 -timeout 30m ./pkg/alert |
	grep -E '^Benchmark|last pass|first pass|^ok|FAIL'
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
