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
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${WARDOPS_BENCH_VM_PORT:-18428}
export WARDOPS_BENCH_SAMPLES=${WARDOPS_BENCH_SAMPLES:-1000000}
RUN=$(mktemp -d "${TMPDIR:-/tmp}/wardops-bench-tsdb.XXXXXX")
cleanup() { scripts/victoriametrics.sh stop "$RUN/vm" >/dev/null || true; rm -rf "$RUN"; }
trap cleanup EXIT

command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl; }
scripts/victoriametrics.sh start "$RUN/vm" "$PORT"
export WARDOPS_BENCH_VM_URL="http://127.0.0.1:$PORT"
export WARDOPS_BENCH_FILE="$RUN/samples.prom.gz"

echo "== building the benchmark binary"
go test -c -o "$RUN/tsdb.test" ./pkg/tsdb

echo "== sink: $WARDOPS_BENCH_SAMPLES samples through tsdb.Sink.Write"
"$RUN/tsdb.test" -test.run '^$' -test.bench '^BenchmarkSinkWrite$' -test.benchtime 1x -test.v 2>&1 |
	grep -E 'Benchmark|samples|wrote' | sed 's/^ *//'

n=$(gzip -dc "$WARDOPS_BENCH_FILE" | wc -l)
echo "== curl: one file of $n samples ($(stat -c %s "$WARDOPS_BENCH_FILE") gzip bytes) to /api/v1/import/prometheus"
t=$(curl -sS -o /dev/null -w '%{time_total}' -H 'Content-Encoding: gzip' -H 'Content-Type: text/plain' \
	--data-binary @"$WARDOPS_BENCH_FILE" "$WARDOPS_BENCH_VM_URL/api/v1/import/prometheus")
awk -v n="$n" -v t="$t" 'BEGIN { printf "curl one file: %d samples in %.3f s = %.0f samples/s\n", n, t, n / t }'

echo "== drain: a spool of $WARDOPS_BENCH_SAMPLES samples back to VictoriaMetrics"
"$RUN/tsdb.test" -test.run '^$' -test.bench '^BenchmarkDrain$' -test.benchtime 1x 2>&1 |
	grep -E 'Benchmark|FAIL|holds' | sed 's/^ *//'
