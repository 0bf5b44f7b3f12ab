#!/usr/bin/env bash
# Out-of-the-box evaluation on nDPI's test captures (see README.md).
# Usage: bench/outofbox/eval.sh OUTDIR [-model MODEL]
# Environment: NDPI_REPO (git directory of an nDPI mirror, default
# /work/.mirror/ntop+nDPI/repo), DATA (where its captures are extracted,
# default /work/data/ndpi; never inside the project).
# Writes OUTDIR/{scores,ndpi}/FILE.{json,txt}, OUTDIR/flows.tsv; the
# table on stdout.
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,8p' "$0" >&2; exit 2; }
OUT=$1
shift
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
REPO=${NDPI_REPO:-/work/.mirror/ntop+nDPI/repo}
DATA=${DATA:-/work/data/ndpi}
mkdir -p "$OUT/scores" "$OUT/ndpi" "$DATA"
T=$OUT/tlsentry
(cd "$ROOT" && go build -o "$T" ./cmd/tlsentry)
command -v ndpiReader >/dev/null || { echo "eval.sh: needs ndpiReader (Debian: libndpi-bin)" >&2; exit 1; }
tail -n +2 "$HERE/labels.tsv" | while IFS=$'\t' read -r file label _; do
	[ "$label" != excluded ] || continue
	f=$DATA/$file
	if [ ! -s "$f" ]; then
		git -C "$REPO" show "HEAD:tests/cfgs/default/pcap/$file" >"$f" 2>/dev/null || { rm -f "$f"; continue; }
	fi
	"$T" score -r "$f" "$@" >"$OUT/scores/$file.json" 2>/dev/null || true
	[ -s "$OUT/ndpi/$file.txt" ] || timeout 60 ndpiReader -q -v 2 -i "$f" >"$OUT/ndpi/$file.txt" 2>/dev/null || true
done
python3 "$HERE/metrics.py" "$HERE/labels.tsv" "$OUT"
