#!/bin/bash
# make bench: times `secaudit read` against the reference tools on the bulk
# capture (58,648 TLS connections, 180 MB), in the same run, and prints
# wall time, MB/s, handshakes/s, peak memory and ratios. The table also goes
# to build/bench/results.md; figures worth keeping are copied by hand into
# bench/RESULTS.md with the date and machine. Then, as root, bench/inline.py
# measures the gateway with and without the monitor in the namespace lab,
# bench/probe.py what tls13_certificates: probe adds to a TLS 1.3 handshake,
# and bench/quic.py does both for QUIC; bench/central.py measures the
# server storing gateway alerts and the monitor shipping them.
#   RUNS=3 (alternated repetitions, median of RUNS for each tool; tshark,
#   ~25 s a run, runs once). Wall and CPU seconds are both printed: on a
#   shared machine the CPU seconds are the steadier figure. Each timed run
#   writes a new output file: the last one is removed and the disk synced
#   before it, outside the timing.
#   `bench/run.sh read` (make bench-read): the offline part only.
set -euo pipefail
PART=${1:-all}
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
cc -O2 -o "$OUT/runtime" bench/runtime.c
PKI=$CORPUS/../generated/pki
cat "$PKI/rootA.crt.pem" "$PKI/intA_ec.crt.pem" "$PKI/intA_rsa.crt.pem" > "$OUT/bulk-trust.pem"
MB=$(stat -c %s "$BULK" | awk '{printf "%.1f", $1/1e6}')

THREADS=$(nproc)
# The commands timed, "name|command": every repetition runs each once, in
# turn (alternated), so that a change of load on a shared machine hits
# them all alike; each figure is the median of RUNS. tshark (25 s a run)
# runs in the first repetition only.
CMDS=(
	"floor (libpcap read loop)|$OUT/pcap_floor $BULK"
	"secaudit read --eve --threads 1|build/bin/secaudit read --eve --threads 1 -o $OUT/bulk-1.eve $BULK"
	"secaudit read --eve ($THREADS threads)|build/bin/secaudit read --eve -o $OUT/bulk.eve $BULK"
	"secaudit read --eve --rules bench|build/bin/secaudit read --eve --rules bench/policy.yaml -o $OUT/bulk-rules.eve $BULK"
	"secaudit read --eve --rules default --threads 1|build/bin/secaudit read --eve --rules rules/default.yaml --threads 1 -o $OUT/bulk-default.eve $BULK"
	"secaudit read --eve --rules default ($THREADS threads)|build/bin/secaudit read --eve --rules rules/default.yaml -o $OUT/bulk-default-n.eve $BULK"
	"secaudit read (transcript)|build/bin/secaudit read -o $OUT/bulk.txt $BULK"
	"secaudit read --eve ($THREADS threads, over its last output)|build/bin/secaudit read --eve -o $OUT/bulk-over.eve $BULK"
)
command -v ndpiReader >/dev/null && CMDS+=("ndpiReader -q|ndpiReader -i $BULK -q")
command -v ssldump >/dev/null && CMDS+=("ssldump -n -r|ssldump -n -r $BULK")
command -v tshark >/dev/null &&
	CMDS+=("tshark JA3 of every ClientHello|tshark -r $BULK -Y tls.handshake.type==1 -T fields -e tls.handshake.ja3")

declare -A WALLS CPUS RSS WALL CPU cpu
echo "bench: $BULK, $MB MB, $HANDSHAKES handshakes; $RUNS alternated repetitions (median)"
for ((rep = 0; rep < RUNS; rep++)); do
	for entry in "${CMDS[@]}"; do
		name=${entry%%|*} cmd=${entry#*|}
		[[ $name == tshark* && $rep -gt 0 ]] && continue
		# Each run writes a new file, from a disk with nothing left to
		# write: truncating the last run's output (190-280 MB) frees its
		# pages and blocks in open(2), 0.06-0.1 s that belong to no
		# reading (the row "over its last output" keeps them, to show).
		out=$(sed -n 's/.* -o \([^ ]*\) .*/\1/p' <<<"$cmd")
		[[ -n $out && $name != *"over its last output"* ]] && rm -f "$out"
		sync
		# bench/runtime.c: wall time to the microsecond, from its fork of
		# the command to the command's end (time(1)'s %e steps by 10 ms)
		# shellcheck disable=SC2086
		"$OUT/runtime" "$OUT/time.txt" $cmd >/dev/null 2>"$OUT/stderr.txt" ||
			{ echo "bench: $name failed:"; cat "$OUT/stderr.txt"; exit 1; }
		read -r w u s m < "$OUT/time.txt"
		WALLS[$name]+="$w "
		CPUS[$name]+="$(echo "$u + $s" | bc) "
		RSS[$name]=$((m / 1024))
	done
	echo "  repetition $((rep + 1)) of $RUNS done"
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
for entry in "${CMDS[@]}"; do
	name=${entry%%|*}
	WALL[$name]=$(echo "${WALLS[$name]}" | median)
	CPU[$name]=$(echo "${CPUS[$name]}" | median)
done

# The same bytes whatever the thread count (the merge is by packet, not by
# scheduling): on the bulk capture too.
cmp -s "$OUT/bulk-1.eve" "$OUT/bulk.eve" ||
	{ echo "bench: read --eve gave different output with 1 and $THREADS threads"; exit 1; }
cmp -s "$OUT/bulk-default.eve" "$OUT/bulk-default-n.eve" ||
	{ echo "bench: read --rules gave different output with 1 and $THREADS threads"; exit 1; }

tls_events=$(grep -c '"event_type":"tls"' "$OUT/bulk.eve" || true)
mine=${WALL["secaudit read --eve ($THREADS threads)"]}
mine_cpu=${CPU["secaudit read --eve ($THREADS threads)"]}
floor=${WALL["floor (libpcap read loop)"]}
floor_cpu=${CPU["floor (libpcap read loop)"]}
{
	echo "| command | wall s | CPU s | MB/s | handshakes/s | peak MB | × floor (wall) | × floor (CPU) | secaudit faster by |"
	echo "|---|---|---|---|---|---|---|---|---|"
	for entry in "${CMDS[@]}"; do
		name=${entry%%|*}
		awk -v n="$name" -v w="${WALL[$name]}" -v c="${CPU[$name]}" -v mb="$MB" -v hs=$HANDSHAKES \
		    -v r="${RSS[$name]}" -v f="$floor" -v fc="$floor_cpu" -v m="$mine" \
		    'BEGIN { printf "| `%s` | %.3f | %.2f | %.0f | %.0f | %d | %.1f | %.1f | %.1f× |\n",
			     n, w, c, mb / w, hs / w, r, w / f, c / fc, w / m }'
	done
	echo
	echo "tls events written: $tls_events of $HANDSHAKES handshakes, the same bytes at 1 and $THREADS threads."
	awk -v m="$mine" -v mc="$mine_cpu" -v f="$floor" -v fc="$floor_cpu" \
	    -v one="${WALL["secaudit read --eve --threads 1"]}" \
	    -v nd="${WALL["ndpiReader -q"]:-0}" -v def="${WALL["secaudit read --eve --rules default ($THREADS threads)"]}" \
	    -v defc="${CPU["secaudit read --eve --rules default ($THREADS threads)"]}" \
	    -v def1c="${CPU["secaudit read --eve --rules default --threads 1"]}" \
	    -v bench="${WALL["secaudit read --eve --rules bench"]}" 'BEGIN {
		printf "aims: read --eve %.1f× the floor (aim ≤ 3×; CPU %.1f×), %s ndpiReader (aim ≥ 7×);\n",
		       m / f, mc / fc, (nd > 0) ? sprintf("%.1f× faster than", nd / m) : "no";
		printf "      --rules default %.2f× read --eve (aim ≤ 1.2×; CPU %.2f×), --rules bench %.2f×; %d threads %.2f× faster than 1\n",
		       def / m, defc / mc, bench / m, '"$THREADS"', one / m;
		printf "      --rules default: %d engines cost %.2f× the CPU of one\n", '"$THREADS"', defc / def1c }'
	echo "alerts: bench policy $(grep -c '"event_type":"alert"' "$OUT/bulk-rules.eve" || true)," \
	     "default preset $(grep -c '"event_type":"alert"' "$OUT/bulk-default.eve" || true)" \
	     "(repeated randoms of the replicated capture)"
	echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(date -u '+%Y-%m-%d %H:%M UTC'); load $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/results.md"
[ "$tls_events" -eq $HANDSHAKES ] || { echo "bench: expected $HANDSHAKES tls events"; exit 1; }

# Memory against the capture's size: the bulk capture and four copies of it
# one after the other (each copy's times shifted past the previous one's,
# editcap -t), read with --eve: peak RSS should not grow with the input.
if command -v mergecap >/dev/null && command -v editcap >/dev/null && command -v capinfos >/dev/null; then
	span=$(capinfos -a -e -S -T -r "$BULK" | awk '{printf "%d", $3 - $2 + 60}')
	parts=("$BULK")
	for i in 1 2 3; do
		editcap -t $((span * i)) "$BULK" "$OUT/bulk-shift$i.pcap"
		parts+=("$OUT/bulk-shift$i.pcap")
	done
	mergecap -a -F pcap -w "$OUT/bulk-x4.pcap" "${parts[@]}"
	rm -f "$OUT"/bulk-shift?.pcap
	echo
	echo "bench: peak memory against capture size (read --eve, $THREADS threads)" | tee -a "$OUT/results.md"
	for f in "$BULK" "$OUT/bulk-x4.pcap"; do
		"$OUT/runtime" "$OUT/time.txt" build/bin/secaudit read --eve \
			-o "$OUT/bulk-mem.eve" "$f" >/dev/null 2>&1
		read -r w u s m < "$OUT/time.txt"
		printf '  %-28s %5.0f MB  peak RSS %4d MB  wall %.2f s  CPU %.2f s  %d tls events\n' \
			"$(basename "$f")" "$(stat -c %s "$f" | awk '{print $1 / 1e6}')" $((m / 1024)) "$w" \
			"$(echo "$u + $s" | bc)" "$(grep -c '"event_type":"tls"' "$OUT/bulk-mem.eve")"
	done | tee -a "$OUT/results.md"
	rm -f "$OUT/bulk-x4.pcap" "$OUT/bulk-mem.eve"
fi

# Checksum verification (evasion: a packet with a bad checksum is never
# judged) on and off, paired and alternated so that a load change on the
# shared machine hits both alike: ratio verify/ignore of each pair.
echo
echo "bench: secaudit read --checksums verify vs ignore, $RUNS alternated pairs"
for ((i = 0; i < RUNS; i++)); do
	for mode in verify ignore; do
		"$OUT/runtime" "$OUT/time.txt" build/bin/secaudit read --eve \
			--checksums $mode -o "$OUT/bulk-csum.eve" "$BULK" >/dev/null 2>&1
		read -r w u s _ < "$OUT/time.txt"
		cpu[$mode]=$(echo "$u + $s" | bc)
	done
	printf '  pair %d: verify %.2f s CPU, ignore %.2f s CPU, ratio %s\n' $((i + 1)) "${cpu[verify]}" \
		"${cpu[ignore]}" "$(echo "scale=3; ${cpu[verify]} / ${cpu[ignore]}" | bc)"
done | tee -a "$OUT/results.md"

[ "$PART" = read ] && exit 0

# Inline, through the namespace lab: gateway with and without the monitor.
if [ "$(id -u)" = 0 ]; then
	echo
	echo "bench: inline, through the namespace lab (about 2 minutes)"
	/usr/bin/python3 bench/inline.py build/bin | tee -a "$OUT/results.md"
	echo
	echo "bench: tls13_certificates: probe, first (probed) and cached TLS 1.3 handshakes (about a minute)"
	/usr/bin/python3 bench/probe.py build/bin | tee -a "$OUT/results.md"
else
	echo "bench: SKIPPED the inline part: it needs root (network namespaces, NFQUEUE)"
fi

# QUIC: Initials judged per CPU-second offline against tshark, and (as root)
# the handshake latency through the gateway with and without the monitor.
echo
echo "bench: QUIC (about a minute offline, two more inline)"
/usr/bin/python3 bench/quic.py build/bin | tee -a "$OUT/results.md"

# Central view: gateway alerts stored per second from two gateways, and (as
# root) the monitor's handshake rate with central shipping on against off and
# against a monitor writing alerts only, 16 alternated rounds of 5 s, with the
# CPU shares that the rate ratio includes (CENTRAL_ROUNDS to change).
echo
echo "bench: central shipping (about eight minutes)"
/usr/bin/python3 bench/central.py build/bin | tee -a "$OUT/results.md"
