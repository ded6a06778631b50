#!/usr/bin/env bash
# VictoriaMetrics for WardOps on a loopback port, its data under the project's run directory.
#
#   scripts/victoriametrics.sh install              install the Debian package if missing
#   scripts/victoriametrics.sh start RUN_DIR [PORT] start (idempotent), wait for /health
#   scripts/victoriametrics.sh stop RUN_DIR         stop the instance started from RUN_DIR
#   scripts/victoriametrics.sh status RUN_DIR       exit 0 when it answers /health
#
# Flags: -search.latencyOffset=0s (reads see fresh samples at once), -dedup.minScrapeInterval=1ms
# (a sample sent twice with the same timestamp is kept once: the tsdb spool's exactly-once
# guarantee relies on it), -retentionPeriod=$WARDOPS_VM_RETENTION (default 400d, graphs go back
# 30 days, long-term trends a year). Env: WARDOPS_VM_PORT (default 8428) when PORT is not given.
set -euo pipefail

BIN=${WARDOPS_VM_BIN:-victoria-metrics}
RETENTION=${WARDOPS_VM_RETENTION:-400d}

die() { echo "victoriametrics.sh: $*" >&2; exit 1; }

source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"

install_vm() {
	apt_want "$BIN" victoria-metrics
	apt_install victoriametrics.sh
	command -v "$BIN" >/dev/null 2>&1 || die "victoria-metrics still not on PATH after apt-get"
}

healthy() { curl -fsS -m 2 "http://127.0.0.1:$1/health" >/dev/null 2>&1; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_vm() {
	local run=${1:?usage: start RUN_DIR [PORT]} port=${2:-${WARDOPS_VM_PORT:-8428}}
	mkdir -p "$run"
	run=$(cd "$run" && pwd)
	local pidf="$run/victoriametrics.pid" log="$run/victoriametrics.log"
	if pid_alive "$pidf" && healthy "$port"; then
		echo "victoria-metrics already running (pid $(cat "$pidf"), http://127.0.0.1:$port)"
		return 0
	fi
	if healthy "$port"; then
		echo "victoria-metrics: something already answers on 127.0.0.1:$port, using it (its flags may differ)" >&2
		return 0
	fi
	install_vm
	nohup "$BIN" \
		-httpListenAddr="127.0.0.1:$port" \
		-storageDataPath="$run/victoriametrics-data" \
		-retentionPeriod="$RETENTION" \
		-search.latencyOffset=0s \
		-dedup.minScrapeInterval=1ms \
		>>"$log" 2>&1 </dev/null &
	echo $! >"$pidf"
	for _ in $(seq 1 300); do
		if healthy "$port"; then
			echo "victoria-metrics started (pid $(cat "$pidf"), http://127.0.0.1:$port, data $run/victoriametrics-data)"
			return 0
		fi
		pid_alive "$pidf" || { tail -n 20 "$log" >&2; die "victoria-metrics exited at start, log: $log"; }
		sleep 0.1
	done
	tail -n 20 "$log" >&2
	die "victoria-metrics not healthy on port $port after 30s, log: $log"
}

stop_vm() {
	local run=${1:?usage: stop RUN_DIR}
	local pidf="$run/victoriametrics.pid"
	if ! pid_alive "$pidf"; then
		rm -f "$pidf"
		echo "victoria-metrics not running"
		return 0
	fi
	local pid
	pid=$(cat "$pidf")
	kill -TERM "$pid"
	for _ in $(seq 1 300); do
		kill -0 "$pid" 2>/dev/null || { rm -f "$pidf"; echo "victoria-metrics stopped"; return 0; }
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$pidf"
	echo "victoria-metrics killed after 30s"
}

status_vm() {
	local run=${1:?usage: status RUN_DIR} port=${2:-${WARDOPS_VM_PORT:-8428}}
	if healthy "$port"; then echo "victoria-metrics healthy on 127.0.0.1:$port"; return 0; fi
	echo "victoria-metrics not answering on 127.0.0.1:$port" >&2
	return 1
}

case "${1:-}" in
install) install_vm ;;
start) shift; start_vm "$@" ;;
stop) shift; stop_vm "$@" ;;
status) shift; status_vm "$@" ;;
*) die "usage: $0 install | start RUN_DIR [PORT] | stop RUN_DIR | status RUN_DIR [PORT]" ;;
esac
