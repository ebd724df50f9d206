#!/bin/bash
# Runs `secaudit read --eve --rules rules/default.yaml` over every capture of
# the test corpus (../shared/corpus, the bulk capture aside) under valgrind's
# memcheck: uninitialised reads (which ASan does not see), invalid accesses
# and definite leaks. Prints one line per capture with errors and a summary;
# the logs are in LOGDIR (build/memcheck). Fails if any capture has errors.
#   scripts/memcheck.sh [CORPUS]
set -u
corpus=${1:-../shared/corpus}
logdir=${LOGDIR:-build/memcheck}
command -v valgrind >/dev/null || {
	echo "memcheck: valgrind is not installed (scripts/install-deps.sh --bench)" >&2
	exit 1
}
[ -d "$corpus" ] || { echo "memcheck: no corpus at $corpus" >&2; exit 1; }
mkdir -p "$logdir"
n=0 bad=0
while IFS= read -r f; do
	n=$((n + 1))
	log=$logdir/$(basename "$f").log
	valgrind -q --error-exitcode=99 --track-origins=yes --leak-check=full \
		--errors-for-leak-kinds=definite build/bin/secaudit read --eve \
		--rules rules/default.yaml "$f" >/dev/null 2>"$log"
	if [ $? -eq 99 ] || grep -q '^==[0-9]*==' "$log"; then
		bad=$((bad + 1))
		echo "memcheck: $f: errors (see $log)"
	fi
done < <(find "$corpus" -path '*/bulk' -prune -o \( -name '*.pcap' -o -name '*.pcapng' \) \
	-print | sort)
echo "memcheck: $n captures, $bad with errors"
[ "$bad" -eq 0 ]
