#!/usr/bin/env bash
# OpenLDAP for WardOps' directory sign-in tests. Tests start their own private slapd (testinfra/testenv
# LDAP: a generated slapd.conf, CA and directory in a temporary folder, on a free loopback port),
# so this script only installs the Debian packages, without letting the package configure or
# start a system-wide directory (debconf slapd/no_configuration=true).
#
#   scripts/ldap.sh install    install slapd and ldap-utils with apt-get if missing
#   scripts/ldap.sh check      exit 0 when slapd, slapadd and ldapsearch are present
set -euo pipefail

die() { echo "ldap.sh: $*" >&2; exit 1; }

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }

check_ldap() { have slapd && have slapadd && have ldapsearch; }

source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"

install_ldap() {
	have slapd || APT_NEED+=(slapd)
	have ldapsearch || APT_NEED+=(ldap-utils)
	[ ${#APT_NEED[@]} -eq 0 ] && return 0
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	# no system directory: the package would otherwise create dc=<hostname> and start slapd on :389
	echo "slapd slapd/no_configuration boolean true" | $sudo debconf-set-selections
	apt_install ldap.sh
	check_ldap || die "slapd/ldap-utils still missing after apt-get"
}

case "${1:-}" in
install) install_ldap ;;
check) check_ldap ;;
*) die "usage: $0 install | check" ;;
esac
