#!/usr/bin/env bash
# Out-of-the-box evaluation on nDPI's test captures (see README.md).
# Usage: bench/outofbox/eval.sh OUTDIR [-model MODEL]
# Environment: NDPI_REPO (git directory of an nDPI mirror, default
# /work/.mirror/ntop+nDPI/repo), DATA (where its captures are extracted,
# default /work/data/ndpi; never inside the project); MIRRORS (where
# the fetch tool mirrors the repositories that labels-cN.tsv name,
# default /work/.mirror), DATAN (labels-cN.tsv's captures, default
# /work/data/oobN: DATA2, DATA3, DATA4...), ZIP_PASSWORD (the passwords,
# space-separated, tried in turn on captures kept in password-protected
# zip archives; default "infected pcaps-contain-malware").
# Writes OUTDIR/{scores,ndpi}/FILE.{json,txt}, OUTDIR/flows.tsv; the
# table on stdout.
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,12p' "$0" >&2; exit 2; }
OUT=$1
shift
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
REPO=${NDPI_REPO:-/work/.mirror/ntop+nDPI/repo}
DATA=${DATA:-/work/data/ndpi}
MIRRORS=${MIRRORS:-/work/.mirror}
ZIP_PASSWORD=${ZIP_PASSWORD:-infected pcaps-contain-malware}
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
# labels-cN.tsv (N = 2, 3, 4...): captures of other repositories, each
# named by owner/name@commit:path (mirrored as MIRRORS/owner+name/repo);
# path!member names a capture inside a zip archive (malware-traffic
# collections keep them so, with a well-known password); a path ending
# in .gz is a gzip-compressed capture.
extract() { # SOURCE FILE
	local repo=${1%%@*} rest=${1#*@}
	local commit=${rest%%:*} path=${rest#*:} git_dir
	git_dir=$MIRRORS/${repo/\//+}/repo
	if [[ $path == *'!'* ]]; then
		local zip pw rc=1
		zip=$(mktemp)
		if git -C "$git_dir" show "$commit:${path%%!*}" >"$zip" 2>/dev/null; then
			for pw in $ZIP_PASSWORD; do
				if unzip -p -P "$pw" "$zip" "${path#*!}" >"$2" 2>/dev/null; then
					rc=0
					break
				fi
			done
		fi
		rm -f "$zip"
		return $rc
	fi
	if [[ $path == *.gz ]]; then
		git -C "$git_dir" show "$commit:$path" 2>/dev/null | gzip -dc >"$2" 2>/dev/null
		return
	fi
	git -C "$git_dir" show "$commit:$path" >"$2" 2>/dev/null
}
labels=()
for lf in "$HERE"/labels-c[0-9]*.tsv; do
	n=${lf##*/labels-c}
	n=${n%.tsv}
	var=DATA$n
	dir=${!var:-/work/data/oob$n}
	mkdir -p "$dir"
	labels+=("$lf")
	# A tab is whitespace to read, which merges a run of them: an empty
	# column (a split left blank) would shift the source into the next.
	tail -n +2 "$lf" | tr '\t' '\037' | while IFS=$'\037' read -r file label _ _ _ source _; do
		[ "$label" != excluded ] || continue
		f=$dir/$file
		if [ ! -s "$f" ]; then
			extract "$source" "$f" && [ -s "$f" ] || { rm -f "$f"; echo "eval.sh: $source not mirrored" >&2; continue; }
		fi
		"$T" score -r "$f" "$@" >"$OUT/scores/$file.json" 2>/dev/null || true
		[ -s "$OUT/ndpi/$file.txt" ] || timeout 60 ndpiReader -q -v 2 -i "$f" >"$OUT/ndpi/$file.txt" 2>/dev/null || true
	done
done
python3 "$HERE/metrics.py" "$HERE/labels.tsv" "$OUT" "${labels[@]}"
