#!/usr/bin/env bash
# Benchmark of the VictoriaMetrics write path (go tool task bench:tsdb):
#   1. samples/s through tsdb.Sink.Write into VictoriaMetrics (1 and 16 concurrent writers,
#      500-sample batches, gzip, one request per batch);
#   2. the same number of samples of the same shape posted by curl as ONE pre-built gzip
#      file to /api/v1/import/prometheus: the limit of this VictoriaMetrics on this machine;
#   3. the drain rate of a spool of WARDOPS_BENCH_SAMPLES samples (default 1,000,000) in
#      PostgreSQL, and the rate at which the outage path spools them.
# A private VictoriaMetrics is started on WARDOPS_BENCH_VM_PORT (default 18428) with its data
# under a temporary run directory, and stopped at the end. Needs PostgreSQL (scripts/services.sh).
# Results also go to run/bench/tsdb.json (scripts/bench-lib.sh); issue #4 sets no number, curl of
# one file is the limit the sink is put beside.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh
bench_begin tsdb "go tool task bench:tsdb"

PORT=${WARDOPS_BENCH_VM_PORT:-18428}
export WARDOPS_BENCH_SAMPLES=${WARDOPS_BENCH_SAMPLES:-1000000}
RUN=$(mktemp -d "${TMPDIR:-/tmp}/wardops-bench-tsdb.XXXXXX")
cleanup() { scripts/victoriametrics.sh stop "$RUN/vm" >/dev/null || true; rm -rf "$RUN"; }
trap cleanup EXIT

source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
apt_want curl curl
apt_install bench-tsdb
scripts/victoriametrics.sh start "$RUN/vm" "$PORT"
export WARDOPS_BENCH_VM_URL="http://127.0.0.1:$PORT"
export WARDOPS_BENCH_FILE="$RUN/samples.prom.gz"

echo "== building the benchmark binary"
go test -c -o "$RUN/tsdb.test" ./pkg/tsdb

echo "== sink: $WARDOPS_BENCH_SAMPLES samples through tsdb.Sink.Write"
sink=$("$RUN/tsdb.test" -test.run '^$' -test.bench '^BenchmarkSinkWrite$' -test.benchtime 1x -test.v 2>&1 |
	grep -E 'Benchmark|samples|wrote' | sed 's/^ *//')
echo "$sink"

n=$(gzip -dc "$WARDOPS_BENCH_FILE" | wc -l)
echo "== curl: one file of $n samples ($(stat -c %s "$WARDOPS_BENCH_FILE") gzip bytes) to /api/v1/import/prometheus"
t=$(curl -sS -o /dev/null -w '%{time_total}' -H 'Content-Encoding: gzip' -H 'Content-Type: text/plain' \
	--data-binary @"$WARDOPS_BENCH_FILE" "$WARDOPS_BENCH_VM_URL/api/v1/import/prometheus")
curl_rate=$(awk -v n="$n" -v t="$t" 'BEGIN { printf "%.0f", n / t }')
echo "curl one file: $n samples in $t s = $curl_rate samples/s"

echo "== drain: a spool of $WARDOPS_BENCH_SAMPLES samples back to VictoriaMetrics"
drain=$("$RUN/tsdb.test" -test.run '^$' -test.bench '^BenchmarkDrain$' -test.benchtime 1x 2>&1 |
	grep -E 'Benchmark|FAIL|holds' | sed 's/^ *//')
echo "$drain"

ns=$(bench_commas "$WARDOPS_BENCH_SAMPLES")
for w in 1 16; do
	line=$(grep -m1 -E "^BenchmarkSinkWrite/writers=$w-[0-9]+\s" <<<"$sink" || true)
	rate=$(bench_metric "$line" samples/s)
	[ -n "$rate" ] || { echo "bench-tsdb: no result for $w writer(s)" >&2; exit 1; }
	rate=${rate%.*}
	bench_row "VictoriaMetrics sink, $w writer$([ "$w" = 1 ] || echo s), $ns samples in 500-sample batches" "— (curl of one file is the limit)" \
		"$(bench_commas "$rate") samples/s = $(awk -v a="$rate" -v b="$curl_rate" 'BEGIN{printf "%.0f", 100 * a / b}') % of curl" null "tsdb.Sink.Write, gzip, one request per batch; same run"
done
bench_row "curl of one pre-built gzip file, same number of samples" "— (the limit)" "$(bench_commas "$curl_rate") samples/s" null "/api/v1/import/prometheus, one request"
line=$(grep -m1 -E '^BenchmarkDrain-[0-9]+\s' <<<"$drain" || true)
d=$(bench_metric "$line" drained-samples/s) sp=$(bench_metric "$line" spooled-samples/s)
[ -n "$d" ] || { echo "bench-tsdb: no drain result" >&2; exit 1; }
bench_row "drain of a $ns-sample PostgreSQL spool into VictoriaMetrics" "—" "$(bench_commas "${d%.*}") samples/s" null \
	"spooling during an outage: $(bench_commas "${sp%.*}") samples/s; the fleet produces ~1,000 samples/s"
bench_end
