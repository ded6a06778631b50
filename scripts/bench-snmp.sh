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
# the simulators running afterwards. Results also go to run/bench/snmp.json (scripts/bench-lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh
bench_begin snmp "go tool task bench:snmp"
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
out=$(mktemp)
trap 'rm -f "$out"; [ "${WARDOPS_BENCH_KEEP:-0}" = 1 ] || bash scripts/snmp.sh stop "$RUN_DIR" >/dev/null' EXIT
go run ./tools/snmpbench -devices "$N" -endpoints "$endpoints" -sim-pids "$pids" "$@" | tee "$out"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# snmp_run TITLE-PREFIX: "CYCLE_S DEVICES_PER_S FAILED" of that run in snmpbench's output.
snmp_run() {
	awk -v t="$1" 'index($0, t) == 1 { on = 1; next }
		on && /polled/ { for (i = 1; i <= NF; i++) { if ($i == "devices/s,") r = $(i - 1); if ($i == "failed") f = $(i + 1) } }
		on && /-device cycle:/ { print $3, r, f + 0; exit }' "$out"
}
read -r cyc rate failed < <(snmp_run "wardops poller")
nd=$(bench_commas "$N")
met=$(bench_cmp "$cyc" "<" 60)
[ "$failed" = 0 ] || met=false
note="one worker process and $PROCS snmpsimd process(es) on the same $(nproc) cores; $failed devices failed"
[ "$met" = false ] && note="missed by $(awk -v c="$cyc" 'BEGIN{printf "%.1f s", c - 60}') (or devices failed): at load $(bench_load) the simulator (single-threaded Python) and the poller share the cores; $note"
bench_row "SNMP poll cycle, $nd snmpsim devices × 20 interfaces, one worker" "< 60 s (the poll interval, issue #3)" "$cyc s ($rate devices/s)" "$met" "$note"
for mode in "50 in parallel" sequential; do
	line=$(grep -m1 "^net-snmp snmpbulkwalk.*$mode" "$out" || true)
	[ -n "$line" ] || continue
	read -r cyc rate failed < <(snmp_run "$line")
	bench_row "net-snmp snmpbulkwalk, $mode, same devices" "— (yardstick)" "$cyc s per $nd-device cycle ($rate devices/s)" null "${line#net-snmp snmpbulkwalk }, same run"
done
bench_end
