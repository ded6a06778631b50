#!/usr/bin/env bash
# The demo's "really down" device: a network namespace holding 10.200.250.2 whose link is down.
# A blackhole guard route for 10.200.0.0/16 (metric 1000) is added first, so pings to it never
# leave this machine. Needs root; idempotent.
#   scripts/demo-netns.sh up | down
set -euo pipefail
NS=wardops-demo HOSTIF=wd-demo0 NSIF=wd-demo1
case "${1:-up}" in
up)
	ip route show type blackhole 10.200.0.0/16 | grep -q 10.200.0.0 || ip route add blackhole 10.200.0.0/16 metric 1000
	ip netns list | grep -qw "$NS" || ip netns add "$NS"
	if ! ip link show "$HOSTIF" >/dev/null 2>&1; then
		ip link add "$HOSTIF" type veth peer name "$NSIF" netns "$NS"
		ip addr add 10.200.250.1/24 dev "$HOSTIF"
		ip netns exec "$NS" ip addr add 10.200.250.2/24 dev "$NSIF"
	fi
	ip link set "$HOSTIF" up
	# the namespace side stays down: the device behind it is really unreachable
	ip netns exec "$NS" ip link set "$NSIF" down
	;;
down)
	ip link del "$HOSTIF" 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	;;
esac
