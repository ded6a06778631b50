#!/usr/bin/env bash
# Prints the demo inventory as CSV: 2 regions, 5 branches, each with a router and 11 devices
# behind it on distinct 127.x addresses (the kernel answers them), plus the namespace device.
set -euo pipefail
echo "name,ip,branch,region,type,vendor,parent,labels"
branches=("north:almaty" "north:astana" "north:karaganda" "south:shymkent" "south:taraz")
b=0
for entry in "${branches[@]}"; do
	b=$((b + 1))
	region=${entry%%:*} branch=${entry#*:}
	rtr="$branch-rtr-01"
	echo "$rtr,127.10.$b.1,$branch,$region,router,cisco,,role=wan"
	echo "$branch-sw-01,127.10.$b.2,$branch,$region,switch,cisco,$rtr,"
	echo "$branch-fw-01,127.10.$b.3,$branch,$region,firewall,fortinet,$rtr,"
	echo "$branch-srv-01,127.10.$b.4,$branch,$region,server,dell,$rtr,"
	for a in 1 2 3 4; do echo "$branch-atm-0$a,127.10.$b.$((10 + a)),$branch,$region,atm,ncr,$rtr,zone=lobby"; done
	for w in 1 2 3 4; do echo "$branch-ws-0$w,127.10.$b.$((20 + w)),$branch,$region,workstation,hp,$rtr,"; done
done
# behind a namespace whose link is down: really unreachable (scripts/demo-netns.sh)
echo "lab-dead-01,10.200.250.2,lab,south,router,mikrotik,,demo=down"
