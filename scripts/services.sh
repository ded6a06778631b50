#!/usr/bin/env bash
# Installs (apt-get, when missing) and starts (when not running) every service WardOps and its
# tests need on this machine: PostgreSQL 15, Redis 7, VictoriaMetrics, snmpd + snmpsim, plus the
# tools fping, chromium, iproute2, nftables (loss in namespace tests), curl and promtool, and
# OpenLDAP (slapd, ldap-utils) for directory sign-in tests. Safe to run again: what runs is left alone.
#
#   scripts/services.sh [RUN_DIR]     RUN_DIR holds VictoriaMetrics/SNMP data (default ./run)
set -euo pipefail
cd "$(dirname "$0")/.."
RUN_DIR=${1:-${WARDOPS_RUN_DIR:-$PWD/run}}
mkdir -p "$RUN_DIR"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

log() { echo "services: $*" >&2; }

source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
# packages: command -> Debian package (promtool checks the self-metrics' exposition in a test)
declare -A pkgs=(
	[psql]=postgresql [pg_ctlcluster]=postgresql [redis-server]=redis-server [redis-cli]=redis-tools
	[victoria-metrics]=victoria-metrics [snmpd]=snmpd [snmpbulkwalk]=snmp [snmpsimd]=snmpsim
	[fping]=fping [chromium]=chromium [ip]=iproute2 [curl]=curl [nft]=nftables [promtool]=prometheus
)
for cmd in "${!pkgs[@]}"; do
	apt_want "$cmd" "${pkgs[$cmd]}"
done
fresh_pg=0
apt_wanted postgresql && fresh_pg=1
apt_install services
if [[ " ${APT_INSTALLED[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
	# only its promtool is wanted: the package's own Prometheus server is no part of WardOps
	$SUDO systemctl disable --now prometheus >/dev/null 2>&1 || true
fi

start_postgres() {
	if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then return 0; fi
	local ver
	ver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)
	[ -n "$ver" ] || { log "no PostgreSQL cluster in /etc/postgresql"; exit 1; }
	if [ "$fresh_pg" = 1 ]; then
		# a fresh Debian cluster asks for passwords on TCP; the documented defaults use trust on
		# loopback, as the development machines do (production sets WARDOPS_DATABASE_URL)
		sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "/etc/postgresql/$ver/main/pg_hba.conf"
	fi
	log "starting PostgreSQL $ver"
	$SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main start
	for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && return 0; sleep 1; done
	log "PostgreSQL did not come up"; exit 1
}

start_redis() {
	if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then return 0; fi
	log "starting Redis"
	mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
	redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
		--dir /var/lib/redis --logfile /var/log/redis/wardops.log
	for _ in $(seq 1 20); do redis-cli ping >/dev/null 2>&1 && return 0; sleep 0.5; done
	log "Redis did not come up"; exit 1
}

start_postgres
start_redis
scripts/victoriametrics.sh start "$RUN_DIR/vm" "${WARDOPS_VM_PORT:-8428}" >&2
if [ -x scripts/snmp.sh ]; then
	scripts/snmp.sh start "$RUN_DIR/snmp" >&2
	# the tests' shared snmpsim (testinfra/testenv NewSNMPSim), owned by this script like the others,
	# so that no test binary leaves one running
	WARDOPS_SNMPD_PORT=0 WARDOPS_SNMPSIM_PORT=${WARDOPS_TEST_SNMPSIM_PORT:-11172} WARDOPS_SNMPSIM_DEVICES=20 \
		scripts/snmp.sh start "$RUN_DIR/test-snmp" >&2
fi
if [ -x scripts/ldap.sh ]; then scripts/ldap.sh install >&2; fi # tests start their own slapd
psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='wardops'" | grep -q 1 \
	|| psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE wardops"
log "ready: PostgreSQL 127.0.0.1:5432, Redis 127.0.0.1:6379, VictoriaMetrics 127.0.0.1:${WARDOPS_VM_PORT:-8428}"
