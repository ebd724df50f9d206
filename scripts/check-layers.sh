#!/bin/sh
# Checks that monitor/'s includes only go downwards (docs/architecture.md).
# A module may include headers of its own layer and of layers listed before
# it; common/ includes nothing of monitor/. Prints each include that goes
# back up and exits 1 if there is one.
set -eu
cd "$(dirname "$0")/.."
# Lowest first. quic/ and probe/ are rooms for the modules to come.
LAYERS="net stream x509 tls quic app policy probe engine io daemon"

rank() {
	i=0
	for l in $LAYERS; do
		[ "$l" = "$1" ] && { echo $i; return; }
		i=$((i + 1))
	done
	echo -1
}

bad=0
for f in $(find monitor common -name '*.[ch]' | sort); do
	case $f in
	monitor/*) own=$(echo "$f" | cut -d/ -f2)
		   own_rank=$(rank "$own")
		   if [ "$own_rank" -lt 0 ]; then
			echo "$f: folder '$own' is not a layer of scripts/check-layers.sh"
			bad=1; continue
		   fi ;;
	*)	   own=common own_rank=-1 ;;
	esac
	grep -n '^#include "[a-z0-9_]*/' "$f" | while IFS=: read -r line inc; do
		dep=$(echo "$inc" | sed 's|#include "\([a-z0-9_]*\)/.*|\1|')
		dep_rank=$(rank "$dep")
		if [ "$dep_rank" -lt 0 ] || [ "$dep_rank" -gt "$own_rank" ]; then
			echo "$f:$line: $own/ includes $dep/ (a layer above it): $inc"
			echo x
		fi
	done | { out=$(cat); [ -z "$out" ] || { echo "$out" | grep -v '^x$'; exit 1; }; } || bad=1
done
if [ "$bad" -ne 0 ]; then
	echo "check-layers: includes go back up (see docs/architecture.md)" >&2
	exit 1
fi
echo "check-layers: $(find monitor -name '*.[ch]' | wc -l) monitor files, every include goes downwards"
