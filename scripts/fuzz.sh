#!/bin/bash
# Runs every fuzzer built as PREFIX_* (e.g. build/fuzz/fuzz/fuzz):
#   fuzz.sh PREFIX SECONDS [JOBS]
# SECONDS = 0: replay the seeds, the regression inputs (a crash that was
#              fixed stays fixed) and the campaign's corpus; fails if any
#              input crashes. `make check` runs this.
# SECONDS > 0: a campaign: each harness fuzzes that long, JOBS (default 2)
#              at a time, from its corpus tests/fuzz/corpus/<name>/ (grown
#              run after run) and its seeds tests/fuzz/seeds/<name>/. At the
#              end the corpus is minimised (-merge=1: only inputs that add
#              coverage beyond the seeds are kept) and capped at CORPUS_KB
#              (default 256) and CORPUS_FILES (300) per harness, largest
#              inputs dropped first, so it stays small enough to commit. A finding (crash, leak, timeout,
#              out of memory) lands in tests/fuzz/regress/<name>/: fix it,
#              and the file stays as its regression input. Prints a table:
#              executions, coverage (cov: edges, ft: features), corpus and
#              findings per harness; the logs are in LOGDIR (build/fuzz/logs).
# FUZZ_ONLY="fuzz_engine fuzz_quic" limits either mode to those harnesses
# (a campaign on the code a change touched).
# The harnesses are built with -DSECAUDIT_FUZZ: every hash seed is fixed,
# so a saved input replays the path it took during the campaign.
set -eu
prefix=$1 secs=$2 jobs=${3:-2}
corpus_kb=${CORPUS_KB:-256} corpus_files=${CORPUS_FILES:-300}
logdir=${LOGDIR:-build/fuzz/logs}
mkdir -p "$logdir"

harnesses=()
for bin in "$prefix"_*; do
	[ -x "$bin" ] || continue
	if [ -n "${FUZZ_ONLY:-}" ] && [[ " $FUZZ_ONLY " != *" $(basename "$bin") "* ]]; then
		continue
	fi
	harnesses+=("$bin")
done
[ ${#harnesses[@]} -gt 0 ] || {
	echo "fuzz: no harness found as ${prefix}_*${FUZZ_ONLY:+ among FUZZ_ONLY=\"$FUZZ_ONLY\"}" >&2
	exit 1
}

replay() {
	local bin=$1 name d status=0
	name=$(basename "$bin")
	set --
	for d in "tests/fuzz/seeds/$name" "tests/fuzz/regress/$name" "tests/fuzz/corpus/$name"; do
		[ -d "$d" ] && [ -n "$(ls -A "$d")" ] && set -- "$@" "$d"/*
	done
	if [ $# -eq 0 ]; then
		echo "fuzz-regress: $name: no inputs"
		return 0
	fi
	if "$bin" -runs=0 "$@" >"$logdir/$name.regress.log" 2>&1; then
		echo "fuzz-regress: $name: $# inputs, no crash"
	else
		echo "fuzz-regress: $name: CRASH (see $logdir/$name.regress.log)"
		grep -m1 'check failed' "$logdir/$name.regress.log" || true
		status=1
	fi
	return $status
}

# What the files hold, in KiB (as git stores them, not disk blocks).
size_kb() {
	du -sk --apparent-size "$1" | cut -f1
}

# Keeps in the corpus only what adds coverage beyond the seeds, then drops
# the largest inputs until it fits the cap.
minimise() {
	local bin=$1 name=$2 corpus=$3 seeds=$4 out f
	out=$(mktemp -d)
	[ -d "$seeds" ] && cp "$seeds"/* "$out"/ 2>/dev/null
	"$bin" -merge=1 "$out" "$corpus" >"$logdir/$name.merge.log" 2>&1 || {
		echo "fuzz: $name: merge failed (see $logdir/$name.merge.log)" >&2
		rm -rf "$out"
		return 1
	}
	if [ -d "$seeds" ]; then
		for f in "$seeds"/*; do rm -f "$out/$(basename "$f")"; done
	fi
	while [ "$(size_kb "$out")" -gt "$corpus_kb" ] ||
	      [ "$(ls -A "$out" | wc -l)" -gt "$corpus_files" ]; do
		f=$(ls -S "$out" | head -1)
		[ -n "$f" ] || break
		rm -f "$out/$f"
	done
	rm -rf "$corpus"
	mkdir -p "$corpus"
	[ -n "$(ls -A "$out")" ] && cp "$out"/* "$corpus"/
	rm -rf "$out"
}

campaign() {
	local bin=$1 name corpus seeds regress log before after execs cov ft found
	name=$(basename "$bin")
	corpus=tests/fuzz/corpus/$name seeds=tests/fuzz/seeds/$name regress=tests/fuzz/regress/$name
	log=$logdir/$name.log
	mkdir -p "$corpus" "$regress"
	before=$(ls -A "$corpus" | wc -l)
	set -- "$corpus"
	[ -d "$seeds" ] && set -- "$@" "$seeds"
	"$bin" -max_total_time="$secs" -timeout=25 -report_slow_units=1000 \
		-artifact_prefix="$regress/" \
		-print_final_stats=1 "$@" >"$log" 2>&1 || true
	found=$(grep -c 'Test unit written to' "$log" || true)
	minimise "$bin" "$name" "$corpus" "$seeds" || found=$((found + 1))
	after=$(ls -A "$corpus" | wc -l)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	printf '%s %s %s %s %s %s %s %s\n' "$name" "${execs:-0}" "${cov:-0}" "${ft:-0}" \
		"$before" "$after" "$(size_kb "$corpus")" "$found" >"$logdir/$name.row"
	echo "fuzz: $name done: ${execs:-0} executions, cov ${cov:-0}, ft ${ft:-0}, $found findings"
}

status=0
if [ "$secs" -eq 0 ]; then
	for bin in "${harnesses[@]}"; do
		replay "$bin" || status=1
	done
	exit $status
fi

echo "fuzz: ${#harnesses[@]} harnesses, ${secs}s each, $jobs at a time (logs in $logdir)"
running=0
for bin in "${harnesses[@]}"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n || true
		running=$((running - 1))
	fi
	rm -f "$logdir/$(basename "$bin").row"
	campaign "$bin" &
	running=$((running + 1))
done
wait

printf '\n%-20s %12s %10s %7s %7s %15s %9s %9s\n' harness executions exec/s cov ft \
	'corpus before>after' 'corpus KB' findings
for bin in "${harnesses[@]}"; do
	name=$(basename "$bin")
	if [ ! -f "$logdir/$name.row" ]; then
		printf '%-20s (no result: see %s)\n' "$name" "$logdir/$name.log"
		status=1
		continue
	fi
	read -r _ execs cov ft before after kb found <"$logdir/$name.row"
	printf '%-20s %12s %10s %7s %7s %15s %9s %9s\n' "$name" "$execs" "$((execs / secs))" \
		"$cov" "$ft" "$before>$after" "$kb" "$found"
	[ "$found" -eq 0 ] || status=1
done
exit $status
