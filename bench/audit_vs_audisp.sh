#!/bin/bash
# The audit channel against auditd's own remote logging, on the same events:
#   secaudit-agent --stdin -> secaudit-server (agent spool fdatasync'ed, server
#     commits to SQLite WAL synchronous=FULL before it acknowledges)
#   audisp-remote (stdin, format managed, mode immediate) -> auditd listening on
#     TCP (local_events = no: an aggregator that leaves the kernel alone),
#     flush = incremental_async every 1000 records
# one sender and AGENTS senders at once; events/s = events / wall time from the
# first sender's start to the last event in the store / in auditd's log.
# Usage (root; Debian auditd + audispd-plugins): bench/audit_vs_audisp.sh [EVENTS] [AGENTS]
# BIN (default build/bin) holds the secaudit programs. Prints a Markdown table.
set -euo pipefail

EVENTS=${1:-200000}
AGENTS=${2:-4}
BIN=${BIN:-build/bin}
[ "$(id -u)" = 0 ] || { echo "audit_vs_audisp: needs root (auditd, mount namespace)" >&2; exit 1; }
for p in "$BIN/secaudit-server" "$BIN/secaudit-agent" /sbin/auditd /sbin/audisp-remote sqlite3 openssl; do
	command -v "$p" >/dev/null || { echo "audit_vs_audisp: $p missing (make; scripts/install-deps.sh --bench)" >&2; exit 1; }
done

W=$(mktemp -d /tmp/secaudit-bench-audit.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }

# n complete execve events in auditd's dispatcher format (no EOE), four
# records each, unique serials starting at $2
events() {
	awk -v n="$1" -v s="$2" 'BEGIN {
		for (i = s; i < s + n; i++) {
			ts = sprintf("1700000000.%03d:%d", i % 1000, i)
			printf "type=SYSCALL msg=audit(%s): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=0 items=2 ppid=1 pid=%d auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm=\"true\" exe=\"/usr/bin/true\" key=\"exec\"\n", ts, 1000 + i % 30000
			printf "type=EXECVE msg=audit(%s): argc=2 a0=\"true\" a1=\"bench-%d\"\n", ts, i
			printf "type=CWD msg=audit(%s): cwd=\"/home/u\"\n", ts
			printf "type=PATH msg=audit(%s): item=0 name=\"/usr/bin/true\" inode=1 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL\n", ts
		}
	}'
}

split_events() {	# $1 senders: $W/ev.$k
	local per=$((EVENTS / $1)) k
	for ((k = 0; k < $1; k++)); do events "$per" $((1 + k * per)) > "$W/ev.$k"; done
}

# ---- PKI (openssl CLI, P-256) ----
pki() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-keyout "$W/ca.key" -out "$W/ca.pem" -subj /CN=bench-ca \
		-addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign 2>/dev/null
	for n in server agent; do
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/$n.key" \
			-out "$W/$n.csr" -subj "/CN=$n" -addext "subjectAltName=DNS:localhost" 2>/dev/null
		openssl x509 -req -in "$W/$n.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" -days 2 \
			-copy_extensions copy -out "$W/$n.pem" 2>/dev/null
		chmod 600 "$W/$n.key"
	done
}

stored() { sqlite3 "$1" "SELECT count(*) FROM events" 2>/dev/null || echo 0; }

# secaudit, $1 agents: prints events/s
run_secaudit() {
	local n=$1 port db t0 t1 k got
	port=$(free_port)
	db="$W/sa-$n.db"
	"$BIN/secaudit-server" --listen "127.0.0.1:$port" --cert "$W/server.pem" --key "$W/server.key" \
		--ca "$W/ca.pem" --store "sqlite:$db" 2>"$W/server-$n.log" &
	local spid=$!
	PIDS+=("$spid")
	for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
	split_events "$n"
	local apids=()
	t0=$(now)
	for ((k = 0; k < n; k++)); do
		"$BIN/secaudit-agent" --stdin --server "127.0.0.1:$port" --server-name localhost \
			--cert "$W/agent.pem" --key "$W/agent.key" --ca "$W/ca.pem" \
			--spool "$W/spool-$n-$k" < "$W/ev.$k" 2>"$W/agent-$n-$k.log" &
		apids+=($!)
	done
	for p in "${apids[@]}"; do wait "$p"; done	# exits once all is acknowledged
	t1=$(now)
	got=$(stored "$db")
	kill "$spid"; wait "$spid" 2>/dev/null || true
	[ "$got" = "$((EVENTS / n * n))" ] || { echo "secaudit: $got of $EVENTS events stored" >&2; exit 1; }
	awk -v e="$got" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", e / (b - a) }'
}

# audisp-remote -> auditd, $1 senders: prints events/s
run_audisp() {
	local n=$1 port d t0 t1 k got=0 want
	port=$(free_port)
	d="$W/auditd-$n"
	mkdir -p "$d"
	cat > "$d/auditd.conf" <<-EOF
	local_events = no
	write_logs = yes
	log_file = $d/audit.log
	log_format = RAW
	log_group = root
	flush = INCREMENTAL_ASYNC
	freq = 1000
	max_log_file = 0
	max_log_file_action = IGNORE
	space_left = 2
	space_left_action = IGNORE
	admin_space_left = 1
	admin_space_left_action = IGNORE
	disk_full_action = IGNORE
	disk_error_action = IGNORE
	tcp_listen_port = $port
	tcp_listen_queue = 64
	tcp_max_per_addr = 64
	tcp_client_max_idle = 0
	transport = TCP
	distribute_network = no
	q_depth = 10000
	EOF
	/sbin/auditd -n -c "$d" 2>"$d/auditd.err" &
	PIDS+=($!)
	local apid=$!
	for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
	sed -e "s/^remote_server = .*/remote_server = 127.0.0.1/" -e "s/^port = .*/port = $port/" \
		-e "s/^queue_depth = .*/queue_depth = 200000/" \
		/etc/audit/audisp-remote.conf > "$d/audisp-remote.conf"
	split_events "$n"
	want=$((EVENTS / n * n))
	local spids=() feeders=()
	t0=$(now)
	for ((k = 0; k < n; k++)); do
		# audisp-remote drops what it still queues when its input ends
		# (seen here: the last events of a file never arrived), so the
		# input stays open until auditd has everything
		mkfifo "$d/in.$k"
		( cat "$W/ev.$k"; exec sleep 900 ) > "$d/in.$k" &
		feeders+=($!)
		# its configuration path is fixed: a private mount namespace shows
		# it ours without touching /etc
		unshare -m sh -c "mount --bind '$d/audisp-remote.conf' /etc/audit/audisp-remote.conf &&
			exec /sbin/audisp-remote" < "$d/in.$k" 2>"$d/remote-$k.err" &
		spids+=($!)
	done
	PIDS+=("${feeders[@]}")
	PIDS+=("${spids[@]}")
	for _ in $(seq 6000); do	# 10 minutes at most
		got=$(grep -c "type=SYSCALL" "$d/audit.log" 2>/dev/null || true)
		[ "${got:-0}" -ge "$want" ] && break
		sleep 0.1
	done
	t1=$(now)
	for p in "${spids[@]}" "${feeders[@]}"; do kill "$p" 2>/dev/null || true; done
	kill "$apid"; wait "$apid" 2>/dev/null || true
	[ "${got:-0}" -ge "$want" ] || { echo "audisp-remote: $got of $want events in auditd's log" >&2; exit 1; }
	awk -v e="$want" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", e / (b - a) }'
}

pki
sa1=$(run_secaudit 1)
ad1=$(run_audisp 1)
san=$(run_secaudit "$AGENTS")
adn=$(run_audisp "$AGENTS")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
echo "| $EVENTS events, loopback | secaudit-agent → secaudit-server | audisp-remote → auditd | secaudit ÷ audisp |"
echo "|---|---|---|---|"
echo "| 1 sender | $sa1 ev/s | $ad1 ev/s | × $(ratio "$sa1" "$ad1") |"
echo "| $AGENTS senders | $san ev/s | $adn ev/s | × $(ratio "$san" "$adn") |"
