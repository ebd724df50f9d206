#!/bin/sh
# Installs, from Debian's archive only, the packages SecureAudit needs to build,
# test, demo and benchmark. Installs only what is missing; safe to run repeatedly.
#   scripts/install-deps.sh            build + test packages
#   scripts/install-deps.sh --bench    also the reference tools of `make bench`
set -eu

BUILD="build-essential pkg-config clang libclang-rt-14-dev llvm
 libpcap-dev libnetfilter-queue-dev libnetfilter-log-dev libmnl-dev libnfnetlink-dev
 libssl-dev libyaml-dev libsqlite3-dev libpq-dev zlib1g-dev libcriterion-dev"
TEST="python3 python3-pytest python3-yaml python3-jsonschema
 openssl gnutls-bin curl iproute2 iptables conntrack tcpdump procps
 postgresql auditd sqlite3 jq tshark
 systemd man-db logrotate mandoc prometheus debhelper lintian"
BENCH="ssldump libndpi-bin iperf3 hyperfine valgrind time bc auditd audispd-plugins"

want="$BUILD $TEST"
[ "${1:-}" = "--bench" ] && want="$want $BENCH"

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing Debian packages:$missing" >&2
	echo "install-deps: run as root, or: apt-get install$missing" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer once, quietly.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
