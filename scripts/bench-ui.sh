#!/usr/bin/env bash
# `go tool task bench:ui`: in headless chromium (Debian's, cache off), the time from navigation
# to a page fully drawn with live data (performance.mark('wardops-rendered'): fleet, health and
# alerts loaded, event stream open) and the bytes transferred, for the overview, the wall screen
# (1920x1080) and the alerts page, at 875, 10,000 and 100,000 devices, each with no alert and with
# 5,000 firing alerts (issue 14). Each size runs the API in-process on its own PostgreSQL
# database and Redis DB (pkg/web BenchmarkUIRender). BENCH_RUNS page loads per page and size
# (default 10); BENCH_UI_SIZES narrows the sizes (e.g. 875,10000). Results also go to
# run/bench/ui.json (scripts/bench-lib.sh) against issue #14's targets: under 300 ms at 875
# devices, under 1 s at 10,000, under 2 s at 100,000.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh
bench_begin ui "go tool task bench:ui"
RUN_DIR=${WARDOPS_RUN_DIR:-$PWD/run}
RUNS=${BENCH_RUNS:-10}
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
apt_want chromium chromium
apt_want psql postgresql-client
apt_install bench-ui
bash scripts/services.sh "$RUN_DIR" >/dev/null 2>&1 || bash scripts/services.sh "$RUN_DIR" >&2
out=$(go test -run '^$' -bench 'BenchmarkUIRender' -benchtime "${RUNS}x" -count 1 -timeout 60m ./pkg/web/ 2>&1) || { echo "$out" >&2; exit 1; }
printf '| page | devices | firing alerts | ms to rendered, mean of %s | best | bytes transferred | bytes decoded |\n|---|---|---|---|---|---|---|\n' "$RUNS"
res=$(awk '/^BenchmarkUIRender\/devices=[0-9]+,alerts=[0-9]+\/page=[a-z]+-[0-9]+[ \t]/{
	name = $1; sub(/-[0-9]+$/, "", name)
	split(name, p, "/"); n = p[2]; sub(/^devices=/, "", n); al = n; sub(/,.*/, "", n); sub(/.*alerts=/, "", al)
	pg = p[3]; sub(/^page=/, "", pg)
	for (i = 2; i < NF; i++) { m[$(i+1)] = $i }
	print pg, n, al, m["ms/render"], m["ms-best/render"], m["B-transferred/op"], m["B-decoded/op"]
}' <<<"$out")
while read -r pg n al mean best tx dec; do
	printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$pg" "$n" "$al" "$mean" "$best" "$tx" "$dec"
	limit=300 target="< 300 ms"
	[ "$n" -gt 875 ] && limit=1000 target="< 1 s"
	[ "$n" -gt 10000 ] && limit=2000 target="< 2 s"
	met=$(bench_cmp "$mean" "<" "$limit")
	note="headless chromium at 1920x1080, cache off, mean of $RUNS loads; $(awk -v t="$tx" 'BEGIN{printf "%.0f kB", t / 1000}') transferred per load"
	[ "$met" = false ] && note="missed by $(awk -v m="$mean" -v l="$limit" 'BEGIN{printf "%.0f ms", m - l}'): chromium, the API and PostgreSQL share the 2 cores ($(bench_load)); best load $best ms; $note"
	what="$pg page rendered with live data, $(bench_commas "$n") devices"
	[ "$al" -gt 0 ] && what="$what and $(bench_commas "$al") firing alerts"
	bench_row "$what" "$target" \
		"$(awk -v m="$mean" 'BEGIN{printf "%.0f", m}') ms (best $(awk -v m="$best" 'BEGIN{printf "%.0f", m}') ms)" "$met" "$note"
done <<<"$res"
echo
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $(chromium --version 2>/dev/null | head -1); $(date -u +%F)"
bench_end
