#!/usr/bin/env bash
# `go tool task chaos`: the fault suite with a larger fleet and longer outages than the short
# versions in `go tool task test`, then the table of docs/RELIABILITY.md rewritten from the
# results. Each fault runs WardOps as real processes on private services of its own (a
# PostgreSQL cluster, a redis-server and a VictoriaMetrics on loopback ports), so the shared
# services and other tests are never disturbed. Needs root (raw ICMP, network namespaces).
#
#   scripts/chaos.sh [RUN_DIR]
#   WARDOPS_CHAOS_DEVICES=1000 WARDOPS_CHAOS_INTERVAL=5s WARDOPS_CHAOS_OUTAGE=30s scripts/chaos.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUN_DIR=${1:-${WARDOPS_RUN_DIR:-$PWD/run}}
mkdir -p "$RUN_DIR"
# The tests start private services of their own; only the programs must be installed.
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
apt_want redis-server redis-server
apt_want_glob '/usr/lib/postgresql/*/bin/initdb' postgresql
apt_want victoria-metrics victoria-metrics
apt_want ip iproute2
apt_install chaos

export WARDOPS_CHAOS_DEVICES=${WARDOPS_CHAOS_DEVICES:-1000}
export WARDOPS_CHAOS_INTERVAL=${WARDOPS_CHAOS_INTERVAL:-5s}
export WARDOPS_CHAOS_OUTAGE=${WARDOPS_CHAOS_OUTAGE:-30s}
report="$RUN_DIR/chaos.jsonl"
: > "$report"
export WARDOPS_CHAOS_REPORT="$report"
faults='Test(WorkerKilledMidBatch|WorkerSIGTERMMidBatch|RedisRestart|PostgresRestart|VictoriaMetricsOutage|SchedulerLeaderKilled|APIRestart)$'
echo "chaos: $WARDOPS_CHAOS_DEVICES devices, ${WARDOPS_CHAOS_INTERVAL} cycle, ${WARDOPS_CHAOS_OUTAGE} outages; log in $RUN_DIR/chaos.log" >&2
status=0
go test -count=1 -p 1 -v -timeout 90m -run "$faults" ./testinfra/chaos/ 2>&1 | tee "$RUN_DIR/chaos.log" || status=$?
cmd="WARDOPS_CHAOS_DEVICES=$WARDOPS_CHAOS_DEVICES WARDOPS_CHAOS_INTERVAL=$WARDOPS_CHAOS_INTERVAL WARDOPS_CHAOS_OUTAGE=$WARDOPS_CHAOS_OUTAGE go tool task chaos"
if [ -s "$report" ]; then
	go run ./tools/chaosreport -in "$report" -doc docs/RELIABILITY.md -section chaos-long -command "$cmd"
fi
exit "$status"
