#!/usr/bin/env bash
# A/B throughput of `tlsentry flows` between a revision and the working
# tree, measured in one run: rounds alternate the read loop (the floor),
# the old binary and the new one, each pinned to CPU 0, so that the
# machine's drift hits all three alike. Prints packets per second of wall
# time and per CPU second (user+system: steadier on a shared machine) per
# run, the medians and each binary's ratio to the read loop.
# Usage: bench/ab.sh REV FILE.pcap [ROUNDS] [-- flows flags...]
set -euo pipefail
REV=${1:?usage: bench/ab.sh REV FILE.pcap [ROUNDS]}
F=${2:?usage: bench/ab.sh REV FILE.pcap [ROUNDS]}
ROUNDS=${3:-5}
shift $(( $# < 3 ? $# : 3 )); [ "${1:-}" = "--" ] && shift
cd "$(dirname "$0")/.."
OUT=bench/out/ab; mkdir -p $OUT
WT=$(mktemp -d); trap 'git worktree remove --force "$WT" >/dev/null 2>&1 || true' EXIT
git worktree add --detach "$WT" "$REV" >/dev/null 2>&1
(cd "$WT" && go build -o "$OLDPWD/$OUT/tlsentry-old" ./cmd/tlsentry)
go build -o $OUT/tlsentry-new ./cmd/tlsentry
go build -o $OUT/readloop ./bench/readloop
packets=$($OUT/readloop "$F" | sed 's/.*packets=\([0-9]*\).*/\1/')
now() { date +%s.%N; }
# timed CMD...: runs CMD pinned, prints "wall_rate cpu_rate".
timed() {
	local t0 t1 cpu TIMEFORMAT='%U %S'
	t0=$(now)
	cpu=$( { time taskset -c 0 "$@" >/dev/null 2>/dev/null; } 2>&1 | tail -1)
	t1=$(now)
	awk -v p=$packets -v a=$t0 -v b=$t1 -v c="$cpu" 'BEGIN{split(c,x," "); printf "%.0f %.0f", p/(b-a), p/(x[1]+x[2])}'
}
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
for x in readloop old new; do : > $OUT/$x.txt; : > $OUT/$x-cpu.txt; done
for i in $(seq 1 $ROUNDS); do
	read w c <<< "$(timed $OUT/readloop "$F")"
	echo $w >> $OUT/readloop.txt; echo $c >> $OUT/readloop-cpu.txt; echo "round $i readloop $w packets/s, $c per CPU-s"
	for b in old new; do
		read w c <<< "$(timed $OUT/tlsentry-$b flows -r "$F" -w /dev/null "$@")"
		echo $w >> $OUT/$b.txt; echo $c >> $OUT/$b-cpu.txt; echo "round $i $b      $w packets/s, $c per CPU-s"
	done
done
for u in "" -cpu; do
	rl=$(median < $OUT/readloop$u.txt); o=$(median < $OUT/old$u.txt); n=$(median < $OUT/new$u.txt)
	what="packets/s"; [ "$u" = -cpu ] && what="packets per CPU-s"
	awk -v rl=$rl -v o=$o -v n=$n -v rev=$REV -v what="$what" 'BEGIN{printf "medians (%s): readloop %d, %s %d (%.3f of the read loop), working tree %d (%.3f); new/old %.3f\n", what, rl, rev, o, o/rl, n, n/rl, n/o}'
done
