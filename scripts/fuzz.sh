#!/bin/sh
# Runs every fuzzer built as PREFIX_* (e.g. build/fuzz/fuzz/fuzz):
#   fuzz.sh PREFIX SECONDS
# SECONDS > 0: fuzz each harness that long from its seeds
#              (tests/fuzz/seeds/<name>/); new crashes land in
#              tests/fuzz/regress/<name>/ to be kept as regression inputs.
# SECONDS = 0: replay only the regression inputs and seeds (a crash that was
#              fixed stays fixed); fails if any input crashes.
set -eu
prefix=$1 secs=$2
status=0 found=0
for bin in "$prefix"_*; do
	[ -x "$bin" ] || continue
	found=$((found + 1))
	name=$(basename "$bin")
	seeds=tests/fuzz/seeds/$name regress=tests/fuzz/regress/$name
	mkdir -p "$regress"
	if [ "$secs" -eq 0 ]; then
		set --
		for d in "$seeds" "$regress"; do
			[ -d "$d" ] && [ -n "$(ls -A "$d")" ] && set -- "$@" "$d"/*
		done
		[ $# -eq 0 ] && { echo "fuzz-regress: $name: no inputs"; continue; }
		if "$bin" -runs=0 "$@" >/tmp/fuzz-$name.log 2>&1; then
			echo "fuzz-regress: $name: $# inputs, no crash"
		else
			echo "fuzz-regress: $name: CRASH (see /tmp/fuzz-$name.log)"; status=1
		fi
	else
		work=$(mktemp -d)
		echo "fuzz: $name for ${secs}s"
		"$bin" -max_total_time="$secs" -artifact_prefix="$regress/" \
			-print_final_stats=1 "$work" ${seeds:+$( [ -d "$seeds" ] && echo "$seeds")} \
			>/tmp/fuzz-$name.log 2>&1 || status=1
		grep -E 'stat::number_of_executed_units|stat::peak_rss' /tmp/fuzz-$name.log || true
		rm -rf "$work"
	fi
done
[ "$found" -gt 0 ] || { echo "fuzz: no harness found as ${prefix}_*" >&2; exit 1; }
exit $status
