#!/usr/bin/env bash
# `go tool task bench`: every bench in sequence — cycle, ping, api (875 / 10,000 / 100,000),
# snmp, tsdb, alerts, auth, ui, retention, pipeline — each writing run/bench/<name>.json, then
# BENCHMARKS.md rendered from them by tools/benchreport. A bench that fails does not stop the
# others: it gets a row with met=false and the end of its log (its full log is
# run/bench/logs/<name>.log). A bench task that does not exist (yet) is recorded as not run.
# Not for CI: the whole run takes about an hour and wants a quiet machine.
#   WARDOPS_BENCH_TIMEOUT  limit per bench (default 90m)
#   WARDOPS_BENCHES        the benches to run (default: all, in the order above)
#   WARDOPS_BENCH_REPORT   the report written (default BENCHMARKS.md)
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh
RUN_DIR=${WARDOPS_RUN_DIR:-$PWD/run}
DIR=$RUN_DIR/bench
LIMIT=${WARDOPS_BENCH_TIMEOUT:-90m}
BENCHES=${WARDOPS_BENCHES:-cycle ping api snmp tsdb alerts auth ui retention pipeline}
REPORT=${WARDOPS_BENCH_REPORT:-BENCHMARKS.md}
LOGS=$DIR/logs
mkdir -p "$LOGS"
rm -f "$DIR"/*.json "$LOGS"/*.log # an earlier run's results would pass for this one's
bash scripts/services.sh "$RUN_DIR" >/dev/null || echo "bench: services did not all start; the benches that need them will fail" >&2
go build -o "$RUN_DIR/bin/benchreport" ./tools/benchreport || exit 1
tasks=$(go tool task --list-all 2>/dev/null)
echo "== $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
for b in $BENCHES; do
	cmd="go tool task bench:$b"
	if ! grep -q "^\* bench:$b:" <<<"$tasks"; then
		echo "== bench:$b: no such task here, skipped"
		"$RUN_DIR/bin/benchreport" fail -dir "$DIR" -bench "$b" -command "$cmd" -missing -error "no task bench:$b in Taskfile.yml" -date "$(date -u +%FT%TZ)"
		continue
	fi
	echo "== bench:$b (load $(bench_load))"
	date=$(date -u +%FT%TZ) load0=$(bench_load)
	timeout --kill-after=30s "$LIMIT" go tool task "bench:$b" 2>&1 | tee "$LOGS/$b.log"
	rc=${PIPESTATUS[0]}
	if [ "$rc" != 0 ] || [ ! -s "$DIR/$b.json" ]; then
		why="exit $rc"
		[ "$rc" = 124 ] && why="timed out after $LIMIT"
		[ "$rc" = 0 ] && why="exit 0 but no result file"
		tail=$(grep -v '^\s*$' "$LOGS/$b.log" | tail -n 3 | sed 's/\x1b\[[0-9;]*m//g' | tr '\n' ' ' | cut -c1-400)
		echo "== bench:$b failed: $why"
		"$RUN_DIR/bin/benchreport" fail -dir "$DIR" -bench "$b" -command "$cmd" -error "$why: $tail (log: ${LOGS#"$PWD"/}/$b.log)" \
			-date "$date" -load "$load0 → $(bench_load)"
	fi
done
"$RUN_DIR/bin/benchreport" -dir "$DIR" >"$REPORT.tmp" && mv "$REPORT.tmp" "$REPORT" && echo "== $REPORT written"
