#!/usr/bin/env bash
# `go tool task bench:pipeline`: the whole system as real processes (api, scheduler, workers on
# a private PostgreSQL, Redis and VictoriaMetrics) at growing simulated fleets pinged every 30 s
# and polled over SNMP every 60 s, then 2 and 3 workers at the largest size. Prints a markdown
# table and writes run/bench/pipeline.json (tools/pipelinebench). Needs root (raw ICMP).
#
#   scripts/bench-pipeline.sh [flags]
#     -sizes 1000:1000,10000:10000,50000,100000   DEVICES[:SNMP_AGENTS], in order (the fleet grows in place)
#     -cycles 4 -warmup 1                         measured / left-out ping cycles per size
#     -interval 30s -snmp-interval 60s            cycle lengths
#     -scale-out 2,3                              worker counts at the largest size ("" for none)
#     -unreachable 5                              then the scale-out again (3, 2, 1 workers) with 5 % of the devices dead (0: not run)
#     -snmp-procs 2                               snmpsimd processes
#     -out run/bench/pipeline.json
#   e.g. a quick look: scripts/bench-pipeline.sh -sizes 1000:100 -cycles 2 -interval 10s -snmp-interval 20s -scale-out 2
#
# Logs of every process: run/bench/pipeline-logs/; the full test log: run/bench/pipeline.log.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN_DIR=${WARDOPS_RUN_DIR:-$PWD/run}
mkdir -p "$RUN_DIR/bench"
[ "$(id -u)" -eq 0 ] || { echo "bench-pipeline: the worker needs raw ICMP: run as root" >&2; exit 1; }
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
apt_want redis-server redis-server
apt_want_glob '/usr/lib/postgresql/*/bin/initdb' postgresql
apt_want victoria-metrics victoria-metrics
apt_install bench-pipeline
bash scripts/snmp.sh install
echo "machine: $(nproc) CPU(s), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); go $(go env GOVERSION); $(date -u +%Y-%m-%dT%H:%MZ)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
set +e
WARDOPS_RUN_DIR=$RUN_DIR go test -tags pipelinebench -count=1 -v -timeout 6h -run '^TestPipeline$' ./tools/pipelinebench/ -args "$@" \
	2>&1 | tee "$RUN_DIR/bench/pipeline.log" | grep -v '^|'
status=${PIPESTATUS[0]}
set -e
grep '^|' "$RUN_DIR/bench/pipeline.log" || true
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$status"
