#!/usr/bin/env bash
# Out-of-the-box evaluation on nDPI's test captures (see README.md).
# Usage: bench/outofbox/eval.sh OUTDIR [-model MODEL]
# Environment: NDPI_REPO (git directory of an nDPI mirror, default
# /work/.mirror/ntop+nDPI/repo), DATA (where its captures are extracted,
# default /work/data/ndpi; never inside the project); MIRRORS (where
# the fetch tool mirrors the repositories labels-c2.tsv names, default
# /work/.mirror) and DATA2 (their captures, default /work/data/oob2).
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
MIRRORS=${MIRRORS:-/work/.mirror}
DATA2=${DATA2:-/work/data/oob2}
mkdir -p "$OUT/scores" "$OUT/ndpi" "$DATA" "$DATA2"
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
# labels-c2.tsv: captures of other repositories, each named by
# owner/name@commit:path (mirrored as MIRRORS/owner+name/repo).
tail -n +2 "$HERE/labels-c2.tsv" | while IFS=$'\t' read -r file label _ _ _ source _; do
	[ "$label" != excluded ] || continue
	f=$DATA2/$file
	if [ ! -s "$f" ]; then
		repo=${source%%@*} rest=${source#*@}
		git -C "$MIRRORS/${repo/\//+}/repo" show "${rest%%:*}:${rest#*:}" >"$f" 2>/dev/null || { rm -f "$f"; echo "eval.sh: $source not mirrored" >&2; continue; }
	fi
	"$T" score -r "$f" "$@" >"$OUT/scores/$file.json" 2>/dev/null || true
	[ -s "$OUT/ndpi/$file.txt" ] || timeout 60 ndpiReader -q -v 2 -i "$f" >"$OUT/ndpi/$file.txt" 2>/dev/null || true
done
python3 "$HERE/metrics.py" "$HERE/labels.tsv" "$OUT" "$HERE/labels-c2.tsv"
