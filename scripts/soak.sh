#!/usr/bin/env bash
# `go tool task soak` (not in CI): WardOps as real processes on private services for an hour
# at 10,000 loopback devices with a dashboard-like client; RSS, goroutines and Go heap of the
# API, a worker and a scheduler, and PostgreSQL connections (per application, and those idle in
# a transaction) sampled every minute into docs/soak.csv and plotted to docs/soak.svg. The run
# fails on an upward trend over its second half. Needs root (raw ICMP).
#
#   scripts/soak.sh [RUN_DIR]
#   WARDOPS_SOAK_DURATION=5m scripts/soak.sh          # a short look
set -euo pipefail
cd "$(dirname "$0")/.."
RUN_DIR=${1:-${WARDOPS_RUN_DIR:-$PWD/run}}
mkdir -p "$RUN_DIR"
# The tests start private services of their own; only the programs must be installed.
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
apt_want redis-server redis-server
apt_want_glob '/usr/lib/postgresql/*/bin/initdb' postgresql
apt_want victoria-metrics victoria-metrics
apt_want ip iproute2
apt_install soak
export WARDOPS_SOAK_DURATION=${WARDOPS_SOAK_DURATION:-1h}
export WARDOPS_SOAK_DEVICES=${WARDOPS_SOAK_DEVICES:-10000}
export WARDOPS_SOAK_EVERY=${WARDOPS_SOAK_EVERY:-1m}
export WARDOPS_SOAK_INTERVAL=${WARDOPS_SOAK_INTERVAL:-30s}
echo "soak: $WARDOPS_SOAK_DEVICES devices for $WARDOPS_SOAK_DURATION; log in $RUN_DIR/soak.log" >&2
go test -tags soak -count=1 -v -timeout 3h -run '^TestSoak$' ./testinfra/chaos/ 2>&1 | tee "$RUN_DIR/soak.log"
