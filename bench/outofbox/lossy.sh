#!/usr/bin/env bash
# The out-of-box evaluation again over captures that lost packets, as a
# span port drops them: every capture eval.sh reads, copied with each
# packet over 80 bytes dropped with probability P (bench/droppackets,
# seeded by the file's name: a run repeats), then scored by eval.sh.
# Usage: bench/outofbox/lossy.sh OUTDIR [P] [-model MODEL]
#   (run eval.sh once first: it extracts the captures this copies)
# Environment: as eval.sh (DATA, DATA2, DATA3...: the intact captures);
# SNAP=N also cuts every packet to its first N bytes, as a capture with
# that snap length (tcpdump -s N); SKEW=D (a Go duration, 20ms) stamps
# the servers' packets D earlier and merges again, as a tap whose
# directions are merged with clocks apart; with P=0, those alone.
# Writes OUTDIR/data*/ (the lossy copies) and eval.sh's outputs in
# OUTDIR/eval (nDPI's outputs are those of the intact captures, copied
# from OUTDIR/eval/ndpi when there: put an earlier run's there to skip
# ndpiReader). Prints the table with every set shown; compare it with
# eval.sh's on the intact captures: the benign alerts should not grow.
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,17p' "$0" >&2; exit 2; }
OUT=$1
shift
P=0.02
if [ $# -ge 1 ] && [[ $1 != -* ]]; then
	P=$1
	shift
fi
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
mkdir -p "$OUT/eval"
DROP=$OUT/droppackets
(cd "$ROOT" && go build -o "$DROP" ./bench/droppackets)
# copy SRC DST: each capture of SRC, lossy, into DST.
copy() {
	mkdir -p "$2"
	for f in "$1"/*; do
		[ -f "$f" ] || continue
		[ -s "$2/${f##*/}" ] || "$DROP" -p "$P" -snap "${SNAP:-0}" -skew "${SKEW:-0}" -i "$f" -o "$2/${f##*/}" 2>/dev/null || rm -f "$2/${f##*/}"
	done
}
copy "${DATA:-/work/data/ndpi}" "$OUT/data"
envs=("DATA=$OUT/data")
for lf in "$HERE"/labels-c[0-9]*.tsv; do
	n=${lf##*/labels-c}
	n=${n%.tsv}
	var=DATA$n
	copy "${!var:-/work/data/oob$n}" "$OUT/data$n"
	envs+=("DATA$n=$OUT/data$n")
done
shows=(SHOW_HELDOUT=1 SHOW_FRESH=1)
for lf in "$HERE"/labels-c[0-9]*.tsv; do
	n=${lf##*/labels-c}
	n=${n%.tsv}
	[ "$n" -ge 4 ] && shows+=("SHOW_FRESH$n=1")
done
env "${envs[@]}" "${shows[@]}" "$HERE/eval.sh" "$OUT/eval" "$@"
