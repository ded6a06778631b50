#!/usr/bin/env bash
# `go tool task up`: services, build, migrate, demo inventory, then api + scheduler + worker in
# the foreground until Ctrl-C. Idempotent: run it again and it reuses what is there.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN_DIR=${1:-$PWD/run}
mkdir -p "$RUN_DIR/bin" "$RUN_DIR/log"
bash scripts/services.sh "$RUN_DIR"
echo "building binaries into $RUN_DIR/bin" >&2
go build -o "$RUN_DIR/bin/" ./cmd/api ./cmd/worker ./cmd/scheduler
export WARDOPS_DATABASE_URL=${WARDOPS_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/wardops?sslmode=disable}
export WARDOPS_HTTP_ADDR=${WARDOPS_HTTP_ADDR:-:5001}
port=${WARDOPS_HTTP_ADDR##*:}
"$RUN_DIR/bin/api" migrate

# demo admin: a random password kept in the run directory, set on every start so that it
# always matches what is printed (the first start creates the user from it)
if [ ! -s "$RUN_DIR/admin-password" ]; then
	(umask 077; head -c 32 /dev/urandom | base64 | tr -d '/+=' | head -c 24 > "$RUN_DIR/admin-password")
fi
export WARDOPS_ADMIN_PASSWORD WARDOPS_SECRET_KEY
# key for secrets at rest (SNMP communities and v3 passwords), kept like the admin password
if [ ! -s "$RUN_DIR/secret-key" ]; then (umask 077; head -c 32 /dev/urandom | base64 > "$RUN_DIR/secret-key"); fi
WARDOPS_SECRET_KEY=$(cat "$RUN_DIR/secret-key")
WARDOPS_ADMIN_PASSWORD=$(cat "$RUN_DIR/admin-password")
if ! "$RUN_DIR/bin/api" user passwd admin --password-env WARDOPS_ADMIN_PASSWORD >/dev/null 2>&1; then
	"$RUN_DIR/bin/api" user add admin --role admin --password-env WARDOPS_ADMIN_PASSWORD >/dev/null
fi

if [ "$(id -u)" -eq 0 ]; then bash scripts/demo-netns.sh up; else echo "not root: the namespace demo device is left out" >&2; fi

pids=()
cleanup() {
	trap - INT TERM EXIT
	echo "stopping WardOps" >&2
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait || true
}
trap cleanup INT TERM EXIT
"$RUN_DIR/bin/api" 2>&1 | tee -a "$RUN_DIR/log/api.log" &
pids+=($!)
for _ in $(seq 1 50); do curl -fsS -o /dev/null "http://127.0.0.1:$port/api/v1/openapi.yaml" 2>/dev/null && break; sleep 0.2; done
echo "loading the demo inventory" >&2
bash scripts/demo-inventory.sh > "$RUN_DIR/demo.csv"
token=$("$RUN_DIR/bin/api" token create --name "demo-import-$(date +%s)" --role admin --user admin --expires-in-days 1 | tail -n 1)
curl -fsS -H "Authorization: Bearer $token" -H 'Content-Type: text/csv' --data-binary @"$RUN_DIR/demo.csv" \
	"http://127.0.0.1:$port/api/v1/devices/import" >&2 || echo "demo import failed; see $RUN_DIR/log/api.log" >&2
echo >&2
# SNMP: each branch's router, switch and firewall answer from snmpsim (community = data file);
# almaty-rtr-01 is the real snmpd agent, over SNMPv3 authPriv
api_put() { curl -fsS -o /dev/null -X PUT -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$2" "http://127.0.0.1:$port/api/v1$1"; }
device_id() { curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/devices?q=$1&limit=1" | sed -n 's/^{"devices":\[{"id":\([0-9]*\).*/\1/p'; }
n=0
for b in almaty astana karaganda shymkent taraz; do
	for role in rtr sw fw; do
		n=$((n + 1))
		id=$(device_id "$b-$role-01")
		[ -n "$id" ] || continue
		if [ "$b-$role" = almaty-rtr ]; then
			api_put "/devices/$id/snmp" '{"version":"3","username":"wardops","security_level":"authPriv","auth_protocol":"SHA-256","auth_password":"wardops-auth-pass","priv_protocol":"AES","priv_password":"wardops-priv-pass","host":"127.0.0.1","port":11161}' || true
		else
			api_put "/devices/$id/snmp" "$(printf '{"version":"2c","community":"sim-%04d","host":"127.0.0.1","port":11162}' "$n")" || true
		fi
	done
done
"$RUN_DIR/bin/worker" 2>&1 | tee -a "$RUN_DIR/log/worker.log" &
pids+=($!)
"$RUN_DIR/bin/scheduler" 2>&1 | tee -a "$RUN_DIR/log/scheduler.log" &
pids+=($!)
cat >&2 <<MSG

  WardOps is running:  http://127.0.0.1:$port/
  Sign in:             admin / $WARDOPS_ADMIN_PASSWORD   (kept in $RUN_DIR/admin-password)
  API:                 http://127.0.0.1:$port/api/v1/devices/standalone/list
  Queues (asynqmon):   http://127.0.0.1:$port/monitoring
  Logs:                $RUN_DIR/log/
  Ctrl-C stops it.

MSG
wait
