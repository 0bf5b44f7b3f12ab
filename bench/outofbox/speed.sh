#!/usr/bin/env bash
# The cost of scoring: tlsentry score against tlsentry flows on one
# capture, both pinned to one CPU (taskset -c 0), alternated in the same
# run so that both see the same machine load.
# Usage: bench/outofbox/speed.sh FILE.pcap [ROUNDS] [-model MODEL]
#   (FILE: /work/shared/bench/make_big.sh builds /tmp/big.pcap)
# Prints each round's wall and CPU seconds (user + system) and the median
# ratios score/flows. CPU time is the figure to quote on a shared machine:
# wall time there counts the other programs' turns too.
set -euo pipefail
F=${1:?usage: bench/outofbox/speed.sh FILE.pcap [ROUNDS] [-model MODEL]}
ROUNDS=${2:-3}
shift $(($# >= 2 ? 2 : 1))
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
(cd "$ROOT" && go build -o "$T/tlsentry" ./cmd/tlsentry)
PIN=()
command -v taskset >/dev/null && PIN=(taskset -c 0)
# run NAME ARGS...: one timed run; appends "wall cpu" to $T/NAME.
run() {
	local name=$1
	shift
	/usr/bin/time -f '%e %U %S' -o "$T/time" "${PIN[@]}" "$T/tlsentry" "$@" -r "$F" -w /dev/null 2>/dev/null || true
	awk '{printf "%.2f %.2f\n", $1, $2 + $3}' "$T/time" >>"$T/$name"
	echo "round $i $name: $(tail -1 "$T/$name" | awk '{print $1 " s wall, " $2 " s CPU"}')"
}
for i in $(seq 1 "$ROUNDS"); do
	run flows flows
	run score score "$@"
done
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
for n in flows score; do
	printf '%s: median %s s wall, %s s CPU\n' $n "$(cut -d' ' -f1 "$T/$n" | median)" "$(cut -d' ' -f2 "$T/$n" | median)"
done
w=$(paste -d' ' "$T/flows" "$T/score" | awk '{printf "%.3f\n", $3/$1}' | median)
c=$(paste -d' ' "$T/flows" "$T/score" | awk '{printf "%.3f\n", $4/$2}' | median)
echo "score/flows: ${w}x wall, ${c}x CPU (median of $ROUNDS rounds' ratios)"
