#!/usr/bin/env bash
# `go tool task bench:cycle -- [go test flags]`: wall time of one whole ping cycle — fan-out,
# every batch pinged (3 echoes 10 ms apart, 1 s timeout), stored and counted done — for
# WARDOPS_BENCH_DEVICES loopback devices (default 875) with one worker of concurrency 50 and
# batches of 100 (pkg/worker BenchmarkPingCycle, 3 cycles). Results also go to
# run/bench/cycle.json (scripts/bench-lib.sh), against the ping interval (30 s): a cycle must
# end before the next one is due.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh
bench_begin cycle "go tool task bench:cycle"
N=${WARDOPS_BENCH_DEVICES:-875}
out=$(go test -run '^$' -bench BenchmarkPingCycle -benchtime 3x -count 1 ./pkg/worker/ "$@" 2>&1) || { echo "$out" >&2; exit 1; }
echo "$out"
line=$(grep -m1 -E '^BenchmarkPingCycle-[0-9]+\s' <<<"$out" || true)
[ -n "$line" ] || { echo "bench-cycle: no result line" >&2; exit 1; }
mean=$(awk -v v="$(bench_metric "$line" ns/op)" 'BEGIN{printf "%.2f", v / 1e9}')
last=$(bench_metric "$line" s/cycle) up=$(bench_metric "$line" devices_up)
up=${up%.*}
met=$(bench_cmp "$mean" "<" 30)
note="one worker (concurrency 50, batches of 100), mean of 3 cycles (last $(awk -v v="$last" 'BEGIN{printf "%.2f", v}') s); $up of $N devices up after them"
[ "$up" = "$N" ] || met=false
[ "$met" = false ] && note="missed: a cycle must end within the 30 s interval with every loopback device up (load $(bench_load)); $note"
bench_row "one ping cycle, $(bench_commas "$N") loopback devices, one worker (fan-out, 3 echoes each, stored, counted done)" \
	"< 30 s (the ping interval)" "$mean s" "$met" "$note"
bench_end
