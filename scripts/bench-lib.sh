# Sourced by the bench scripts: the machine-readable result file run/bench/<name>.json
# ($WARDOPS_RUN_DIR/bench when set) that tools/benchreport renders into BENCHMARKS.md, of the
# shape of tools/benchreport/benchfile:
#   {"bench":"api","command":"go tool task bench:api","date":…,"load":"0.4 → 1.2",
#    "rows":[{"figure":…,"target":…,"measured":…,"met":true|false|null,"note":…}]}
#
#   bench_begin NAME COMMAND                   at the start (records the date and load average)
#   bench_row FIGURE TARGET MEASURED MET NOTE  per figure; MET is true, false or null
#   bench_end                                  writes the file (atomically)

bench_load() { cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?'; }

bench_begin() {
	BENCH_NAME=$1 BENCH_COMMAND=$2
	BENCH_DATE=$(date -u +%FT%TZ) BENCH_LOAD0=$(bench_load)
	BENCH_ROWS=()
	BENCH_JSON=${BENCH_JSON:-${WARDOPS_RUN_DIR:-$PWD/run}/bench/$BENCH_NAME.json}
}

# bench_str S: S as a JSON string.
bench_str() {
	local s=$1
	s=${s//\\/\\\\} s=${s//\"/\\\"} s=${s//$'\n'/\\n} s=${s//$'\t'/\\t} s=${s//$'\r'/}
	printf '"%s"' "$s"
}

bench_row() {
	local met=${4:-null}
	case $met in true | false | null) ;; *) met=null ;; esac
	BENCH_ROWS+=("{\"figure\":$(bench_str "$1"),\"target\":$(bench_str "$2"),\"measured\":$(bench_str "$3"),\"met\":$met,\"note\":$(bench_str "${5:-}")}")
}

bench_end() {
	local IFS=, dir
	dir=$(dirname "$BENCH_JSON")
	mkdir -p "$dir"
	printf '{"bench":%s,"command":%s,"date":%s,"load":%s,"rows":[%s]}\n' "$(bench_str "$BENCH_NAME")" \
		"$(bench_str "$BENCH_COMMAND")" "$(bench_str "$BENCH_DATE")" "$(bench_str "$BENCH_LOAD0 → $(bench_load)")" \
		"${BENCH_ROWS[*]}" >"$BENCH_JSON.tmp"
	mv "$BENCH_JSON.tmp" "$BENCH_JSON"
	echo "results: $BENCH_JSON"
}

# bench_cmp A OP B: true or false for the numeric comparison A OP B (OP one of < <= > >=),
# null when either side is not a number.
bench_cmp() {
	awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN {
		if (a !~ /^-?[0-9.]+([eE][-+]?[0-9]+)?$/ || b !~ /^-?[0-9.]+([eE][-+]?[0-9]+)?$/) { print "null"; exit }
		a += 0; b += 0
		r = (op == "<") ? a < b : (op == "<=") ? a <= b : (op == ">") ? a > b : a >= b
		print r ? "true" : "false" }'
}

# bench_metric LINE UNIT: the value that precedes UNIT in a `go test -bench` result line.
bench_metric() {
	awk -v u="$2" '{ for (i = 2; i <= NF; i++) if ($i == u) { print $(i - 1); exit } }' <<<"$1"
}

# bench_commas N: an integer with thousands separators (100000 → 100,000).
bench_commas() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; }

# bench_round X [DECIMALS]: X rounded (to 0 decimals by default); empty stays empty.
bench_round() { [ -z "$1" ] || awk -v v="$1" -v d="${2:-0}" 'BEGIN{printf "%.*f", d, v}'; }
