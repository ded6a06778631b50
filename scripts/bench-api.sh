#!/usr/bin/env bash
# `go tool task bench:api -- [SIZES]`: latency of GET /api/v1/devices/standalone/list and
# GET /api/v1/devices?limit=100 with wrk on loopback (authenticated with an API token, as a
# client would be), beside /api/v1/openapi.yaml (a static answer: the HTTP baseline) in the same run, at each fleet size (default: 875 10000 100000).
# Each size gets a fresh database wardops_bench_api, N devices imported through the API and a
# latest-status row per device filled as the ping pipeline would. The import goes in chunks of
# BENCH_IMPORT_CHUNK devices (25,000: each request is one transaction under the API's query
# timeout). Each route gets one warm-up request (its time is in the note) before wrk runs.
# Results also go to run/bench/api.json (scripts/bench-lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh
bench_begin api "go tool task bench:api -- ${*:-875 10000 100000}"
SIZES=${*:-875 10000 100000}
RUN_DIR=${WARDOPS_RUN_DIR:-$PWD/run}
DUR=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-4}
CHUNK=${BENCH_IMPORT_CHUNK:-25000}
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
apt_want wrk wrk
apt_install bench-api
bash scripts/services.sh "$RUN_DIR" >/dev/null
mkdir -p "$RUN_DIR/bin"
go build -o "$RUN_DIR/bin/" ./cmd/api
PORT=5098
DB=wardops_bench_api
export WARDOPS_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable"
export WARDOPS_REDIS_URL="redis://127.0.0.1:6379/14" WARDOPS_HTTP_ADDR="127.0.0.1:$PORT" WARDOPS_LOG_LEVEL=warn
printf '| devices | route | requests | p50 ms | p99 ms | req/s |\n|---|---|---|---|---|---|\n'
# api_row N ROUTE REQUESTS P50 P99: one JSON row; the target (issue #9) is p99 ≤ 10 ms for the
# standalone list at 875 devices; a miss is put beside the static baseline of the same size.
api_row() {
	local n=$1 route=$2 target="" met=null note
	[ "$route" = /api/v1/openapi.yaml ] && base_p99=$5
	note="wrk -t2 -c$CONNS -d$DUR, $3 requests, authenticated, after one warm-up request (${first_ms} ms); $(bench_commas "$n") devices imported through the API in $import_s s"
	if [ "$route" = /api/v1/devices/standalone/list ] && [ "$n" = 875 ]; then
		target="≤ 10 ms" met=$(bench_cmp "$5" "<=" 10)
		if [ "$met" = false ]; then
			local why="the route itself is slow at the tail"
			[ "$(bench_cmp "${base_p99:-0}" ">" 10)" = true ] && why="the machine's tail, not the route's"
			note="missed by $(awk -v v="$5" 'BEGIN{printf "%.2f ms (%.1f×)", v - 10, v / 10}'): the static openapi.yaml baseline had p99 ${base_p99:-?} ms in the same run at load $(bench_load): $why; $note"
		fi
	fi
	[ "$route" = /api/v1/openapi.yaml ] && target="— (HTTP baseline)"
	bench_row "\`${route#/api/v1/}\` p99, $(bench_commas "$n") devices" "${target:-—}" "$5 ms (p50 $4 ms)" "$met" "$note"
}
for n in $SIZES; do
	psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
	"$RUN_DIR/bin/api" >"$RUN_DIR/bench-api.log" 2>&1 &
	api=$!
	trap 'kill $api 2>/dev/null || true' EXIT
	for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/api/v1/health" 2>/dev/null && break; sleep 0.1; done
	BENCH_PW=$(head -c 18 /dev/urandom | base64) "$RUN_DIR/bin/api" user add bench --role admin --password-env BENCH_PW >/dev/null
	tok=$("$RUN_DIR/bin/api" token create --name bench --role admin --user bench --expires-in-days 1 | tail -n 1)
	auth="Authorization: Bearer $tok"
	awk -v n="$n" 'BEGIN{print "name,ip,branch,region,type"; for(i=0;i<n;i++) printf "dev-%06d,127.%d.%d.%d,branch-%03d,region-%d,router\n", i, 100+int(i/62500), int(i/250)%250, i%250+1, int(i/20)%500, int(i/20)%8}' >"$RUN_DIR/bench-api.csv"
	t0=$(date +%s.%N)
	for ((from = 0; from < n; from += CHUNK)); do
		awk -v a="$from" -v b="$((from + CHUNK))" 'NR == 1 || (NR - 2 >= a && NR - 2 < b)' "$RUN_DIR/bench-api.csv" >"$RUN_DIR/bench-api.chunk.csv"
		curl -fsS -o /dev/null -H "$auth" -H 'Content-Type: text/csv' --data-binary @"$RUN_DIR/bench-api.chunk.csv" "http://127.0.0.1:$PORT/api/v1/devices/import" ||
			{ echo "bench-api: import of devices $from.. failed" >&2; exit 1; }
	done
	rm -f "$RUN_DIR/bench-api.chunk.csv"
	imported=$(psql -h 127.0.0.1 -U postgres -d "$DB" -Atc "SELECT count(*) FROM devices")
	[ "$imported" = "$n" ] || { echo "bench-api: $imported devices imported, want $n" >&2; exit 1; }
	import_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b - a}')
	psql -h 127.0.0.1 -U postgres -d "$DB" -qc "UPDATE device_status SET status = CASE WHEN device_id % 97 = 0 THEN 'down' ELSE 'up' END,
		rtt_min_ms = 0.1 + random(), rtt_avg_ms = 0.2 + random(), rtt_max_ms = 0.3 + random(), jitter_ms = random() / 10,
		loss_pct = 0, last_seen = now(), last_change = now() - interval '1 hour', last_slot = now()" >/dev/null
	for route in "/api/v1/openapi.yaml" "/api/v1/devices/standalone/list" "/api/v1/devices?limit=100"; do
		# one request first, timed on its own: the standalone list's first build (a cold cache) is
		# not what a dashboard polling it meets, and in a 10 s run it would be the p99 by itself
		first_ms=$(curl -fsS -o /dev/null -w '%{time_total}' -H "$auth" "http://127.0.0.1:$PORT$route" | awk '{printf "%.1f", $1 * 1000}')
		out=$(wrk -t2 -c"$CONNS" -d"$DUR" --latency -H "$auth" "http://127.0.0.1:$PORT$route")
		p50=$(awk '/^ +50%/{print $2}' <<<"$out") p99=$(awk '/^ +99%/{print $2}' <<<"$out")
		reqs=$(awk '/requests in/{print $1}' <<<"$out") rps=$(awk '/Requests\/sec/{print $2}' <<<"$out")
		ms() { awk -v v="$1" 'BEGIN{ if (v ~ /us$/) {sub(/us/,"",v); printf "%.2f", v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v); printf "%.2f", v} else {sub(/s/,"",v); printf "%.0f", v*1000} }'; }
		printf '| %s | `%s` | %s | %s | %s | %s |\n' "$n" "$route" "$reqs" "$(ms "$p50")" "$(ms "$p99")" "$rps"
		api_row "$n" "$route" "$reqs" "$(ms "$p50")" "$(ms "$p99")"
	done
	kill $api; wait $api 2>/dev/null || true
	trap - EXIT
done
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
echo
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(date -u +%F); wrk -t2 -c$CONNS -d$DUR"
bench_end
