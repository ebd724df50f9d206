#!/bin/bash
# make bench: times `secaudit read` against the reference tools on the bulk
# capture (58,648 TLS connections, 180 MB), in the same run, and prints
# wall time, MB/s, handshakes/s, peak memory and ratios. The table also goes
# to build/bench/results.md; figures worth keeping are copied by hand into
# bench/RESULTS.md with the date and machine. Then, as root, bench/inline.py
# measures the gateway with and without the monitor in the namespace lab,
# and bench/quic.py does both for QUIC; bench/central.py measures the
# server storing gateway alerts and the monitor shipping them.
#   RUNS=3 (median of RUNS for each tool; tshark, ~25 s a run, runs once)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
OUT=build/bench
BULK=$OUT/handshakes-bulk.pcap
CORPUS=../shared/corpus/bulk
HANDSHAKES=58648
mkdir -p "$OUT"

if [ ! -s "$BULK" ]; then
	echo "bench: making $BULK from the templates (byte-identical every time)"
	/usr/bin/python3 "$CORPUS/../generated/tools/bulk.py" replicate \
		--templates "$CORPUS/templates.pcap" --out "$BULK" --conns $HANDSHAKES --max-mb 180 >/dev/null
fi
cc -O2 -o "$OUT/pcap_floor" bench/pcap_floor.c -lpcap
PKI=$CORPUS/../generated/pki
cat "$PKI/rootA.crt.pem" "$PKI/intA_ec.crt.pem" "$PKI/intA_rsa.crt.pem" > "$OUT/bulk-trust.pem"
MB=$(stat -c %s "$BULK" | awk '{printf "%.1f", $1/1e6}')

# run NAME RUNS CMD...: median wall, CPU, peak RSS of RUNS runs.
declare -A WALL CPU RSS cpu
run() {
	local name=$1 n=$2; shift 2
	local walls=() i
	for ((i = 0; i < n; i++)); do
		/usr/bin/time -f "%e %U %S %M" -o "$OUT/time.txt" "$@" >/dev/null 2>"$OUT/stderr.txt" ||
			{ echo "bench: $name failed:"; cat "$OUT/stderr.txt"; return 1; }
		read -r w u s m < "$OUT/time.txt"
		walls+=("$w $u $s $m")
	done
	read -r w u s m < <(printf '%s\n' "${walls[@]}" | sort -n | sed -n "$(( (n + 1) / 2 ))p")
	WALL[$name]=$w CPU[$name]=$(echo "$u + $s" | bc) RSS[$name]=$((m / 1024))
	printf '  %-34s %7.3f s\n' "$name" "$w"
}

echo "bench: $BULK, $MB MB, $HANDSHAKES handshakes; $RUNS runs each (median)"
run "floor (libpcap read loop)" "$RUNS" "$OUT/pcap_floor" "$BULK"
run "secaudit read --eve" "$RUNS" build/bin/secaudit read --eve -o "$OUT/bulk.eve" "$BULK"
run "secaudit read --eve --rules bench" "$RUNS" \
	build/bin/secaudit read --eve --rules bench/policy.yaml -o "$OUT/bulk-rules.eve" "$BULK"
run "secaudit read --eve --rules default" "$RUNS" \
	build/bin/secaudit read --eve --rules rules/default.yaml -o "$OUT/bulk-default.eve" "$BULK"
run "secaudit read (transcript)" "$RUNS" build/bin/secaudit read -o "$OUT/bulk.txt" "$BULK"
command -v ndpiReader >/dev/null && run "ndpiReader -q" "$RUNS" ndpiReader -i "$BULK" -q
command -v ssldump >/dev/null && run "ssldump -n -r" "$RUNS" ssldump -n -r "$BULK"
command -v tshark >/dev/null && run "tshark JA3 of every ClientHello" 1 \
	tshark -r "$BULK" -Y "tls.handshake.type==1" -T fields -e tls.handshake.ja3

tls_events=$(grep -c '"event_type":"tls"' "$OUT/bulk.eve" || true)
mine=${WALL["secaudit read --eve"]}
{
	echo "| command | wall s | CPU s | MB/s | handshakes/s | peak MB | × floor | secaudit faster by |"
	echo "|---|---|---|---|---|---|---|---|"
	for name in "floor (libpcap read loop)" "secaudit read --eve" "secaudit read --eve --rules bench" \
		"secaudit read --eve --rules default" \
		"secaudit read (transcript)" "ndpiReader -q" "ssldump -n -r" "tshark JA3 of every ClientHello"; do
		[ -n "${WALL[$name]:-}" ] || continue
		w=${WALL[$name]}
		awk -v n="$name" -v w="$w" -v c="${CPU[$name]}" -v mb="$MB" -v hs=$HANDSHAKES \
		    -v r="${RSS[$name]}" -v f="${WALL["floor (libpcap read loop)"]}" -v m="$mine" \
		    'BEGIN { printf "| `%s` | %.3f | %.2f | %.0f | %.0f | %d | %.1f | %.1f× |\n",
			     n, w, c, mb / w, hs / w, r, w / f, w / m }'
	done
	echo
	echo "tls events written: $tls_events of $HANDSHAKES handshakes; policy cost (bench policy," \
	     "$(grep -c '"event_type":"alert"' "$OUT/bulk-rules.eve" || true) alerts):" \
	     "$(awk -v a="${WALL["secaudit read --eve --rules bench"]}" -v b="$mine" 'BEGIN{printf "%+.0f%%", (a/b-1)*100}');" \
	     "default preset: $(grep -c '"event_type":"alert"' "$OUT/bulk-default.eve" || true) alerts (repeated randoms of the replicated capture)"
	echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(date -u '+%Y-%m-%d %H:%M UTC'); load $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/results.md"
[ "$tls_events" -eq $HANDSHAKES ] || { echo "bench: expected $HANDSHAKES tls events"; exit 1; }

# Checksum verification (evasion: a packet with a bad checksum is never
# judged) on and off, paired and alternated so that a load change on the
# shared machine hits both alike: ratio verify/ignore of each pair.
echo
echo "bench: secaudit read --checksums verify vs ignore, $RUNS alternated pairs"
for ((i = 0; i < RUNS; i++)); do
	for mode in verify ignore; do
		/usr/bin/time -f "%e %U %S" -o "$OUT/time.txt" build/bin/secaudit read --eve \
			--checksums $mode -o "$OUT/bulk-csum.eve" "$BULK" >/dev/null 2>&1
		read -r w u s < "$OUT/time.txt"
		cpu[$mode]=$(echo "$u + $s" | bc)
	done
	printf '  pair %d: verify %s s CPU, ignore %s s CPU, ratio %s\n' $((i + 1)) "${cpu[verify]}" \
		"${cpu[ignore]}" "$(echo "scale=3; ${cpu[verify]} / ${cpu[ignore]}" | bc)"
done | tee -a "$OUT/results.md"

# Inline, through the namespace lab: gateway with and without the monitor.
if [ "$(id -u)" = 0 ]; then
	echo
	echo "bench: inline, through the namespace lab (about 2 minutes)"
	/usr/bin/python3 bench/inline.py build/bin | tee -a "$OUT/results.md"
else
	echo "bench: SKIPPED the inline part: it needs root (network namespaces, NFQUEUE)"
fi

# QUIC: Initials judged per CPU-second offline against tshark, and (as root)
# the handshake latency through the gateway with and without the monitor.
echo
echo "bench: QUIC (about a minute offline, two more inline)"
/usr/bin/python3 bench/quic.py build/bin | tee -a "$OUT/results.md"

# Central view: gateway alerts stored per second from two gateways, and (as
# root) the monitor's handshake rate with central shipping on against off.
echo
echo "bench: central shipping (about two minutes)"
/usr/bin/python3 bench/central.py build/bin | tee -a "$OUT/results.md"
