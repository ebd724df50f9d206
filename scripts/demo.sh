#!/usr/bin/env bash
# make demo: secaudit-monitor enforcing rules/demo.yaml on a real gateway.
#
# Builds the namespace lab of ../shared/LAB.md (client 198.18.1.2, gateway,
# server 198.18.2.2; every namespace named with this run's prefix), makes a
# throw-away CA and certificates, applies `secaudit setup-gateway` in the
# gateway, starts the monitor there, and runs real clients (curl, openssl
# s_client) against real servers (openssl s_server): two conforming
# sessions and four that break the policy; then the audit channel, where an
# agent with the audit CA's certificate ships events to secaudit-server
# through the gateway and one with a self-made certificate is stopped
# there. Prints what each client saw next
# to the monitor's verdict, then the alert summary. Everything it made is
# removed on exit, also on failure or ^C. Needs root; `make` builds first.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$ROOT/${BUILD:-build}/bin}
RULES=$ROOT/rules/demo.yaml
P="sa$$d-"
CLI=${P}cli GW=${P}gw SRV=${P}srv
SRV4=198.18.2.2
TMP=
PIDS=()

die() { echo "demo: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, iptables, NFQUEUE)"
for t in ip iptables openssl curl timeout jq; do
	command -v "$t" >/dev/null || die "needs '$t' (scripts/install-deps.sh)"
done
[ -x "$BIN/secaudit-monitor" ] && [ -x "$BIN/secaudit" ] || die "build first: make"
[ -e /proc/net/netfilter/nfnetlink_queue ] || modprobe nfnetlink_queue 2>/dev/null || true

cleanup() {
	local pid ns
	set +e
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	for ns in "$CLI" "$GW" "$SRV"; do
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "$TMP" ] && rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

TMP=$(mktemp -d /tmp/secaudit-demo.XXXXXX)
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# ---- the lab -----------------------------------------------------------
for ns in "$CLI" "$GW" "$SRV"; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done
ip -n "$GW" link add to-cli type veth peer name eth0 netns "$CLI"
ip -n "$GW" link add to-srv type veth peer name eth0 netns "$SRV"
ip -n "$GW" addr add 198.18.1.1/24 dev to-cli
ip -n "$GW" addr add 198.18.2.1/24 dev to-srv
ip -n "$CLI" addr add 198.18.1.2/24 dev eth0
ip -n "$SRV" addr add $SRV4/24 dev eth0
for pair in "$GW to-cli" "$GW to-srv" "$CLI eth0" "$SRV eth0"; do
	set -- $pair
	ip -n "$1" link set "$2" up
done
ip -n "$CLI" route add default via 198.18.1.1
ip -n "$SRV" route add default via 198.18.2.1
in_ns "$GW" sysctl -qw net.ipv4.ip_forward=1

# ---- certificates (throw-away, in $TMP) -----------------------------------
cd "$TMP"
ossl() { openssl "$@" >/dev/null 2>&1 || die "openssl $1 failed"; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj "/CN=secaudit demo CA" -keyout ca.key -out ca.pem
newcert() { # name cn startdate enddate
	ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
		-keyout "$1.key" -out "$1.csr"
	mkdir -p ca.db && : >ca.db/index && echo 01 >ca.db/serial
	printf '[ca]\ndefault_ca=d\n[d]\ndatabase=ca.db/index\nserial=ca.db/serial\n'`
	`'new_certs_dir=ca.db\ndefault_md=sha256\npolicy=p\ncopy_extensions=none\n'`
	`'x509_extensions=x\nunique_subject=no\n[p]\ncommonName=supplied\n'`
	`'[x]\nsubjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\n' "$2" >"$1.cnf"
	ossl ca -batch -config "$1.cnf" -cert ca.pem -keyfile ca.key -in "$1.csr" \
		-out "$1.pem" -startdate "$3" -enddate "$4" -notext
}
newcert good good.lab.test "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)" \
	"$(date -u -d '+2 days' +%Y%m%d%H%M%SZ)"
newcert expired expired.lab.test 20200101000000Z 20210101000000Z
# the audit channel: the demo CA is the audit CA; an intruder has its own
newcert audit-server audit.lab.test "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)" \
	"$(date -u -d '+2 days' +%Y%m%d%H%M%SZ)"
newcert agent agent-1.lab.test "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)" \
	"$(date -u -d '+2 days' +%Y%m%d%H%M%SZ)"
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj "/CN=intruder.lab.test" -keyout intruder.key -out intruder.pem
printf 'openssl_conf=i\n[i]\nssl_conf=s\n[s]\nsystem_default=d\n[d]\nMaxProtocol=TLSv1.2\n' \
	>tls12.cnf

# The policy: rules/demo.yaml plus the audit channel's zone
# (rules/audit-channel.yaml's requirements, trusting this run's audit CA).
awk -v ca="$TMP/ca.pem" '
	/^zones:/ {
		print "  audit-channel:"
		print "    action: drop"
		print "    severity: 1"
		print "    versions: {min: TLS1.2, max: TLS1.3}"
		print "    cipher_suites: {forbid: [non_aead, no_forward_secrecy]}"
		print "    certificate: {ca_file: \"" ca "\", match_sni: false}"
		print "    client_certificate: {required: true, ca_file: \"" ca "\"}"
		print "    tls13_certificates: allow"
		print ""
		print
		print "  - name: audit"
		print "    profile: audit-channel"
		print "    match: {ports: [6514]}"
		next
	}
	{ print }' "$RULES" >rules.yaml
RULES=$TMP/rules.yaml
"$BIN/secaudit" rules check "$RULES" >/dev/null || die "the demo policy does not check"

# ---- servers, gateway rules, monitor ------------------------------------
spawn() { # ns logfile cmd...
	local ns=$1 log=$2; shift 2
	ip netns exec "$ns" "$@" </dev/null >"$log" 2>&1 &
	PIDS+=($!)
}
spawn "$SRV" srv443.log openssl s_server -accept 443 -cert good.pem -key good.key -www -naccept 1000
spawn "$SRV" srv8443.log openssl s_server -accept 8443 -cert expired.pem -key expired.key -www \
	-naccept 1000
spawn "$SRV" server.log "$BIN/secaudit-server" --listen "$SRV4:6514" --cert audit-server.pem \
	--key audit-server.key --ca ca.pem --store "sqlite:$TMP/audit.db" --tls-min 1.2
in_ns "$GW" "$BIN/secaudit" setup-gateway --apply --ports 443,8443,6514 >/dev/null
LOG=$TMP/alerts.json
spawn "$GW" monitor.err "$BIN/secaudit-monitor" --rules "$RULES" --queue 0 --log "$LOG" \
	--stats-socket "$TMP/monitor.sock" --stats-interval 0
for _ in $(seq 100); do
	grep -q enforcing monitor.err && in_ns "$SRV" ss -Hltn 'sport = :8443' | grep -q . &&
		in_ns "$SRV" ss -Hltn 'sport = :6514' | grep -q . &&
		in_ns "$SRV" ss -Hltn 'sport = :443' | grep -q . && break
	sleep 0.05
done
grep -q enforcing monitor.err || { cat monitor.err >&2; die "the monitor did not start"; }

# ---- the sessions ---------------------------------------------------------
RES="--resolve good.lab.test:443:$SRV4"
# case | expected | client command (run in the client namespace)
CASES=(
	"TLS 1.3, good certificate|completes|curl -sS --cacert ca.pem $RES --tlsv1.3 https://good.lab.test/"
	"TLS 1.2, good certificate|completes|curl -sS --cacert ca.pem $RES --tlsv1.2 --tls-max 1.2 https://good.lab.test/"
	"TLS 1.0-only client|stopped at ClientHello|openssl s_client -connect $SRV4:443 -servername good.lab.test -tls1 -cipher DEFAULT:@SECLEVEL=0"
	"weak suites only (AES-CBC, RSA kx)|stopped at ClientHello|openssl s_client -connect $SRV4:443 -servername good.lab.test -tls1_2 -cipher AES128-SHA:AES256-SHA"
	"expired server certificate (TLS 1.2)|stopped at Certificate|openssl s_client -connect $SRV4:8443 -servername expired.lab.test -tls1_2"
	"denied SNI blocked.lab.test|stopped at ClientHello|openssl s_client -connect $SRV4:443 -servername blocked.lab.test"
)

saw() { # exit status, output file -> what the client saw
	if [ "$1" = 124 ]; then
		echo "failed: timeout"
	elif grep -qiE 'reset by peer|errno=104|ECONNRESET' "$2"; then
		echo "failed: reset"
	elif [ "$1" = 0 ] && grep -qE 'CONNECTION ESTABLISHED|s_server|Protocol version|Cipher' "$2"; then
		echo "completed"
	else
		echo "failed: exit $1"
	fi
}

verdict() { # alert log lines added since line $1
	local v
	v=$(tail -n +"$(($1 + 1))" "$LOG" | jq -r 'select(.event_type=="alert") |
		"\(.alert.action): \(.alert.signature)"' 2>/dev/null | head -1)
	echo "${v:-allowed (no alert)}"
}

printf '\n%-38s %-24s %-16s %s\n' "case" "policy expects" "client saw" "monitor verdict"
printf '%s\n' "$(printf '%.0s-' $(seq 120))"
T0=$(date +%s.%N)
for c in "${CASES[@]}"; do
	IFS='|' read -r name expect cmd <<<"$c"
	before=$(wc -l <"$LOG")
	set +e
	in_ns "$CLI" timeout 5 $cmd </dev/null >client.out 2>&1
	rc=$?
	set -e
	sleep 0.1 # the log line is written at once; let the write land
	printf '%-38s %-24s %-16s %s\n' "$name" "$expect" "$(saw $rc client.out)" "$(verdict "$before")"
done
T1=$(date +%s.%N)
echo
awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%d sessions in %.2f s\n", '"${#CASES[@]}"', b - a }'

# ---- the audit channel through the gateway ----------------------------------
for i in $(seq 100); do
	ts="1700000000.$((i % 1000)):$i"
	printf 'type=SYSCALL msg=audit(%s): arch=c000003e syscall=59 success=yes exit=0 ' "$ts"
	printf 'items=1 ppid=1 pid=%d auid=1000 uid=1000 gid=1000 euid=1000 ' $((1000 + i))
	printf 'comm="true" exe="/usr/bin/true" key="exec"\n'
	printf 'type=EXECVE msg=audit(%s): argc=2 a0="true" a1="demo-%d"\n' "$ts" "$i"
done >events.log
stored() { # events the server has stored from agent $1
	"$BIN/secaudit" query --store "sqlite:$TMP/audit.db" --count agent 2>/dev/null |
		awk -v a="CN=$1" '$0 ~ a { print $1 }' | grep . || echo 0
}
agent() { # name cert key: ships events.log over TLS 1.2 (the gateway sees the certificates)
	local before
	before=$(wc -l <"$LOG")
	ip netns exec "$CLI" env OPENSSL_CONF="$TMP/tls12.cnf" "$BIN/secaudit-agent" \
		--server "$SRV4:6514" --server-name audit.lab.test --cert "$2" --key "$3" --ca ca.pem \
		--spool "$TMP/spool-$1" --stdin --tls-min 1.2 <events.log >"agent-$1.log" 2>&1 &
	local pid=$!
	for _ in $(seq 40); do
		[ "$(stored "$1")" -ge 100 ] && break
		sleep 0.05
	done
	sleep 0.2
	kill "$pid" 2>/dev/null || true # the agent exits by itself once all is acknowledged
	wait "$pid" 2>/dev/null || true
	printf '%-38s %-24s %-16s %s\n' "audit agent, $4" "$5" "$(stored "$1") events stored" \
		"$(verdict "$before")"
}
echo
printf '%-38s %-24s %-16s %s\n' "audit channel (TLS 1.2)" "policy expects" "server got" \
	"monitor verdict"
printf '%s\n' "$(printf '%.0s-' $(seq 120))"
agent agent-1.lab.test agent.pem agent.key "audit CA certificate" "passes"
agent intruder.lab.test intruder.pem intruder.key "self-made certificate" "stopped at Certificate"
# The demo's agents read synthetic records; one reading this host's kernel
# would miss every process older than audit's first enabling unless the
# host booted with audit=1 (docs/audit-channel.md). Say so when it applies.
boot=$("$BIN/secaudit-agent" --test-config --server "$SRV4:6514" --cert agent.pem \
	--key agent.key --ca ca.pem 2>&1 | sed -n 's/^secaudit-agent: warning: //p')
[ -z "$boot" ] || printf 'kernel audit on this host: %s\n' "$boot"
echo
echo "== monitor counters (secaudit stats) =="
"$BIN/secaudit" stats --json --socket "$TMP/monitor.sock" |
	jq -c '{packets, flows, verdicts, alerts, blocked, rsts_sent}' 2>/dev/null ||
	echo "(stats socket unavailable)"
echo
echo "== secaudit alerts --summary =="
if ! "$BIN/secaudit" alerts --summary --no-color "$LOG"; then
	echo "(secaudit alerts failed; the log with jq:)"
	jq -c '{event_type, src_ip, dest_ip, dest_port, sni: .tls.sni,
		action: .alert.action, signature: .alert.signature}' "$LOG"
fi
