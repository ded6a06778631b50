# Shared by the scripts that install what they need with apt-get (source it; bash only).
#
#   apt_want CMD PKG       PKG is needed unless CMD is on PATH or in /usr/sbin (called per tool)
#   apt_want_glob GLOB PKG PKG is needed unless a file matches GLOB (e.g. PostgreSQL's initdb)
#   apt_install WHO        install what was wanted, once: apt-get update, then a quiet
#                          --no-install-recommends install (sudo when not root); WHO prefixes
#                          the log line. Nothing happens when nothing is missing; afterwards
#                          APT_INSTALLED lists what was installed (empty: nothing was needed).
#   apt_wanted PKG         exit 0 when PKG is among the wanted ones (before apt_install)
APT_NEED=()
APT_INSTALLED=()

apt_want() {
	command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || APT_NEED+=("$2")
}

apt_want_glob() {
	compgen -G "$1" >/dev/null || APT_NEED+=("$2")
}

apt_wanted() {
	[[ " ${APT_NEED[*]} " == *" $1 "* ]]
}

apt_install() {
	local who=${1:-apt} sudo=""
	APT_INSTALLED=()
	[ ${#APT_NEED[@]} -gt 0 ] || return 0
	mapfile -t APT_INSTALLED < <(printf '%s\n' "${APT_NEED[@]}" | sort -u)
	APT_NEED=()
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	echo "$who: installing with apt-get: ${APT_INSTALLED[*]}" >&2
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${APT_INSTALLED[@]}" >/dev/null
}
