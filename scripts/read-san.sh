#!/bin/bash
# Runs secaudit read, built with ASan and UBSan (BIN), through the paths of
# its worker pool that the unit tests do not reach: each directory of the
# test corpus read whole (pcap, pcapng and the files beside them that are
# no captures), the bulk capture's templates, and the same from standard
# input, at 1, 2 and 3 threads (3 is more workers than this machine's
# cores: the caller reads), as EVE with the default rules, as EVE alone
# and as transcripts. Fails on any sanitizer report, on a crash, and when
# the output differs between thread counts. Logs in LOGDIR (build/read-san).
#   scripts/read-san.sh BIN [CORPUS]
set -u
bin=${1:?usage: scripts/read-san.sh BIN [CORPUS]}
corpus=${2:-../shared/corpus}
logdir=${LOGDIR:-build/read-san}
[ -d "$corpus" ] || { echo "read-san: no corpus at $corpus" >&2; exit 1; }
rm -rf "$logdir" && mkdir -p "$logdir"
export ASAN_OPTIONS=abort_on_error=0:exitcode=98
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=98
bad=0 runs=0

# run NAME ARGS...: one run; its output in $logdir/NAME.out, its stderr
# (the sanitizers' reports) in .err. A capture that is no capture makes
# read exit 1: expected here, a sanitizer's 98 or a signal is not.
run() {
	local name=$1
	shift
	runs=$((runs + 1))
	"$bin" read "$@" -o "$logdir/$name.out" 2>"$logdir/$name.err"
	local rc=$?
	if [ $rc -gt 1 ] || grep -qE '^(==[0-9]+==|.*runtime error:)' "$logdir/$name.err"; then
		echo "read-san: $name: exit $rc, see $logdir/$name.err"
		bad=$((bad + 1))
	fi
}

# same NAME...: the outputs of these runs are the same bytes.
same() {
	local first=$1
	shift
	for other in "$@"; do
		if ! cmp -s "$logdir/$first.out" "$logdir/$other.out"; then
			echo "read-san: $other differs from $first"
			bad=$((bad + 1))
		fi
	done
}

inputs=()
for d in "$corpus"/*/; do
	ls "$d" | grep -qE '\.pcap(ng)?$' && inputs+=("${d%/}")
done
inputs+=("$corpus/bulk/templates.pcap")
for input in "${inputs[@]}"; do
	base=$(basename "$input")
	for mode in rules eve text; do
		case $mode in
		rules) args=(--eve --rules rules/default.yaml) ;;
		eve) args=(--eve) ;;
		text) args=() ;;
		esac
		for t in 1 2 3; do
			run "$base.$mode.$t" "${args[@]}" --threads "$t" "$input"
		done
		same "$base.$mode.1" "$base.$mode.2" "$base.$mode.3"
	done
done
# several files given at once, one capture each (suricata-verify's)
mapfile -t many < <(find "$corpus/suricata-verify" -name '*.pcap' | sort)
if [ ${#many[@]} -gt 0 ]; then
	for t in 1 2 3; do
		run "many.$t" --eve --rules rules/default.yaml --threads "$t" "${many[@]}"
	done
	same many.1 many.2 many.3
fi
# standard input: libpcap's reading, pushed by the caller
for t in 1 2 3; do
	run "stdin.$t" --eve --rules rules/default.yaml --threads "$t" - <"$corpus/bulk/templates.pcap"
done
same stdin.1 stdin.2 stdin.3 templates.pcap.rules.1
echo "read-san: $runs runs of $bin over ${#inputs[@]} inputs and ${#many[@]} captures at once, $bad problems"
[ "$bad" -eq 0 ]
