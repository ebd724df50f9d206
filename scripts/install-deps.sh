#!/bin/sh
# Installs, from Debian's archive only, the packages SecureAudit needs to build,
# test, demo and benchmark. Installs only what is missing; safe to run repeatedly.
#   scripts/install-deps.sh            build + test packages
#   scripts/install-deps.sh --bench    also the reference tools of `make bench`
#   scripts/install-deps.sh --runtime  only what a gateway or audit server
#                                      needs to run the installed programs
set -eu

# The libraries the programs link (their -dev packages' runtime halves) and
# the tools they run: iptables for setup-gateway (and iptables-save, read
# by the monitor at start), conntrack to look at decided flows.
RUNTIME="libpcap0.8 libnetfilter-queue1 libnetfilter-log1 libmnl0 libnfnetlink0
 libssl3 libyaml-0-2 libsqlite3-0 libpq5 zlib1g libyajl2 iptables conntrack"

BUILD="build-essential pkg-config clang libclang-rt-14-dev llvm
 libpcap-dev libnetfilter-queue-dev libnetfilter-log-dev libmnl-dev libnfnetlink-dev
 libssl-dev libyaml-dev libsqlite3-dev libpq-dev zlib1g-dev libyajl-dev libcriterion-dev"
# dovecot-managesieved, mariadb-server, mariadb-client-core and dante-server:
# the STARTTLS lab's ManageSieve, MariaDB and SOCKS proxy (66 s to install here).
# chromium and libnss3-tools: the web view's test in a real browser with a
# client certificate (25 packages, about 400 MB, 51 s to install here).
TEST="python3 python3-pytest python3-yaml python3-jsonschema python3-scapy
 openssl gnutls-bin curl iproute2 iptables conntrack tcpdump procps
 postgresql auditd sqlite3 jq tshark ngtcp2-client ngtcp2-server
 systemd systemd-container man-db logrotate mandoc prometheus prometheus-node-exporter debhelper lintian
 postfix dovecot-imapd dovecot-pop3d dovecot-managesieved slapd ldap-utils vsftpd prosody
 mariadb-server mariadb-client-core dante-server
 chromium libnss3-tools"
BENCH="ssldump libndpi-bin iperf3 hyperfine valgrind time bc auditd audispd-plugins
 python3-cryptography"

case "${1:-}" in
"")        want="$BUILD $TEST" ;;
--bench)   want="$BUILD $TEST $BENCH" ;;
--runtime) want="$RUNTIME" ;;
*)         echo "usage: install-deps.sh [--bench | --runtime]" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	# A package whose triggers are running (man-db's, while another
	# process installs packages) is installed, not missing.
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -Eq '^install ok (installed|triggers-pending|triggers-awaited|half-configured)$' ||
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
case "$missing" in *tshark*)
	echo "wireshark-common wireshark-common/install-setuid boolean false" |
		debconf-set-selections ;;
esac
# Another apt or dpkg at work holds the locks: wait for it (up to 5
# minutes) instead of failing at once.
apt_wait() {
	err=$(mktemp)
	for _ in $(seq 30); do
		apt-get -o DPkg::Lock::Timeout=10 "$@" 2>"$err" && { rm -f "$err"; return 0; }
		grep -q 'lock' "$err" || break
		sleep 10
	done
	cat "$err" >&2
	rm -f "$err"
	return 1
}
apt_wait update -qq
apt_wait install -y -qq --no-install-recommends $missing >/dev/null
