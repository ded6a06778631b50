#!/usr/bin/env bash
# Runs a test command (go test …) with a temporary directory of its own as TMPDIR, then checks
# that the tests left nothing running: every process whose command line or environment names
# that directory was started by this run (t.TempDir, private snmpd/snmpsimd/slapd/
# VictoriaMetrics, chaos binaries and their HOME all live under it). Such a process is listed,
# killed and fails the run, so a leak cannot come back unnoticed. Services that
# scripts/services.sh started before the run are not under the directory and stay.
#
#   scripts/test-run.sh go test -count=1 ./...
#   scripts/test-run.sh --check DIR      only the check, for a directory of an earlier run
set -uo pipefail

# leftovers DIR: pids (other than this script's) whose cmdline or environ mentions DIR
leftovers() {
	local pid
	for pid in $(grep -lsF -- "$1" /proc/[0-9]*/cmdline /proc/[0-9]*/environ | cut -d/ -f3 | sort -un); do
		[ "$pid" = $$ ] && continue
		[ "$(awk '/^PPid:/ {print $2}' "/proc/$pid/status" 2>/dev/null)" = $$ ] && continue
		[ -e "/proc/$pid" ] && echo "$pid"
	done
}

check() {
	local dir=$1 left=() pid
	# processes in their shutdown get a few seconds to go
	for _ in 1 2 3 4 5; do
		mapfile -t left < <(leftovers "$dir")
		[ ${#left[@]} -eq 0 ] && return 0
		sleep 1
	done
	echo "test-run: the tests left ${#left[@]} process(es) running (started under $dir):" >&2
	for pid in "${left[@]}"; do
		echo "  $pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-200)" >&2
	done
	for pid in "${left[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
	echo "test-run: killed them; a test must stop what it starts (testenv.StartOwned, t.Cleanup)" >&2
	return 1
}

if [ "${1:-}" = --check ]; then
	check "${2:?usage: test-run.sh --check DIR}"
	exit
fi
[ $# -gt 0 ] || { echo "usage: test-run.sh CMD [ARGS…]" >&2; exit 2; }
# Network namespaces outlive the processes that made them: a test run killed earlier (a session
# ended mid-test) leaves wdt-* namespaces whose 10.200.<n>.1 side still answers, and the next run
# then waits on a device that never goes down. A namespace is wdt-<pid>-…; one whose test
# process is gone (or in the older form without a pid) is stale (testenv.SweepStaleHosts).
if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null; then
	for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^wdt-/ {print $1}'); do
		IFS=- read -r _ pid _ _ extra <<<"$ns"
		if [ -z "$extra" ] && [[ "$pid" =~ ^[0-9]+$ ]] && [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == *.test* ]]; then
			continue
		fi
		echo "test-run: removing network namespace $ns left by an earlier run" >&2
		ip netns del "$ns" 2>/dev/null || true
	done
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/wardops-test.XXXXXX")
chmod 755 "$dir" # private agents that drop to nobody read their data under it
TMPDIR=$dir "$@"
rc=$?
check "$dir" || rc=1
rm -rf "$dir" 2>/dev/null || true
exit $rc
