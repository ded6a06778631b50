#!/usr/bin/env bash
# `go tool task bench:snmp`: one worker's SNMP polling of N simulated devices (snmpsim, 20
# interfaces each) — devices/s and the wall time of a 1,000-device cycle — against net-snmp's
# snmpbulkwalk doing the same walks 50 in parallel and one at a time, in the same run.
#
#   scripts/bench-snmp.sh [snmpbench flags...]     e.g. -netsnmp-mode columns, -netsnmp=false
#
# Env: WARDOPS_BENCH_SNMP_DEVICES (1000), WARDOPS_BENCH_SNMP_PROCS (snmpsimd processes, 2: the
# simulator is single-threaded Python and is the bottleneck), WARDOPS_BENCH_SNMP_PORT (11262),
# WARDOPS_BENCH_SNMP_DIR (run/bench-snmp: data, index cache, logs), WARDOPS_BENCH_KEEP=1 leaves
# the simulators running afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN_DIR=${WARDOPS_BENCH_SNMP_DIR:-$PWD/run/bench-snmp}
N=${WARDOPS_BENCH_SNMP_DEVICES:-1000}
PROCS=${WARDOPS_BENCH_SNMP_PROCS:-2}
PORT=${WARDOPS_BENCH_SNMP_PORT:-11262}

export WARDOPS_SNMPD_PORT=0 WARDOPS_SNMPSIM_PORT=$PORT WARDOPS_SNMPSIM_PROCS=$PROCS WARDOPS_SNMPSIM_DEVICES=$N
bash scripts/snmp.sh start "$RUN_DIR"
if [ "${WARDOPS_BENCH_KEEP:-0}" != 1 ]; then
	trap 'bash scripts/snmp.sh stop "$RUN_DIR" >/dev/null' EXIT
fi
endpoints="" pids=""
for ((i = 0; i < PROCS; i++)); do
	endpoints+="${endpoints:+,}127.0.0.1:$((PORT + i))"
	f="$RUN_DIR/snmpsim/snmpsimd.$i.pid"
	[ -f "$f" ] && pids+="${pids:+,}$(cat "$f")"
done
echo "machine: $(nproc) CPU(s), $(uname -sr); go $(go env GOVERSION)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
go run ./pkg/snmp/snmpbench -devices "$N" -endpoints "$endpoints" -sim-pids "$pids" "$@"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
