#!/usr/bin/env bash
# Detection on the real-stack lab (make.sh's OUTDIR), "same network"
# protocol: for each model kind and seed, train on benign-train.pcap and
# evaluate benign.pcap against each anomaly kind (and all kinds at once);
# also the embedded default model out of the box.
# Usage: bench/reallab/eval.sh OUTDIR [SEEDS]
#   SEEDS    seeds 1..SEEDS a kind (default 5)
#   MODELS   model kinds (default "cnn-iforest vae hybrid"); a kind this
#            build does not know is skipped with a note. A variant is
#            NAME=KIND:FLAG,VALUE,... e.g. "h100=hybrid:-trees,100" or
#            "cnn-masked=cnn-iforest:-mask"
#   EPOCHS   passed to train -epochs when set
#   BY_STACK 1 (default) also scores each file with the seed-1 models and
#            the default one and prints, per stack of each anomaly kind,
#            the flows above the benign 99th percentile and the alerts
# Writes OUTDIR/eval/{KIND-SEED.model,results.tsv,by-stack.tsv,*.log};
# the tables on stdout.
set -euo pipefail
[ $# -ge 1 ] || {
	sed -n '2,14p' "$0" >&2
	exit 2
}
OUT=$(cd "$1" && pwd)
SEEDS=${2:-5}
MODELS=${MODELS:-"cnn-iforest vae hybrid"}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
E=$OUT/eval
mkdir -p "$E"
T=$E/tlsentry
(cd "$ROOT" && go build -o "$T" ./cmd/tlsentry)
[ -f "$OUT/benign-train.pcap" ] && [ -f "$OUT/benign.pcap" ] || {
	echo "eval.sh: $OUT has no benign-train.pcap and benign.pcap (run make.sh first)" >&2
	exit 1
}
KINDS=()
for k in non-tls-ssh non-tls-http non-tls-random truncated-hello malformed-hello decoy-hello legacy-tls10 odd-ciphers-no-sni self-signed-server \
	preamble-connect preamble-banner client-certificate fake-tls renegotiation hello-tcp-split stager-payload roles-swapped hello-cut sni-injection; do
	[ -f "$OUT/$k.pcap" ] && KINDS+=("$k")
done
RES=$E/results.tsv
printf 'model\tseed\tanomaly\tbenign\tanomalous\troc_auc\tpr_auc\trec_1pct\trec_01pct\tthreshold\ttrue_alerts\tfalse_alerts\trecall\tfpr\n' >"$RES"

# evaluate NAME SEED ARGS...: one eval per anomaly kind and one of all.
evaluate() {
	local name=$1 seed=$2 k r
	shift 2
	local all=()
	for k in "${KINDS[@]}" all; do
		if [ $k = all ]; then
			for a in "${KINDS[@]}"; do all+=(-anomalous "$OUT/$a.pcap"); done
			r=$("$T" eval -benign "$OUT/benign.pcap" "${all[@]}" "$@" 2>>"$E/eval.log")
		else
			r=$("$T" eval -benign "$OUT/benign.pcap" -anomalous "$OUT/$k.pcap" "$@" 2>>"$E/eval.log")
		fi
		# "flows: B benign, A anomalous", "ROC AUC x, PR AUC y",
		# "recall at 1% FPR x, at 0.1% FPR y",
		# "at threshold t: TP true alerts, FP false alerts, precision p, recall r, FPR f"
		printf '%s\t%s\t%s\t%s\n' "$name" "$seed" "$k" "$(echo "$r" | sed -n \
			-e 's/^flows: \([0-9]*\) benign, \([0-9]*\) anomalous$/\1\t\2/p' \
			-e 's/^ROC AUC \([0-9.]*\), PR AUC \([0-9.]*\)$/\1\t\2/p' \
			-e 's/^recall at 1% FPR \([0-9.]*\), at 0.1% FPR \([0-9.]*\)$/\1\t\2/p' \
			-e 's/^at threshold \([0-9.e+-]*\): \([0-9]*\) true alerts, \([0-9]*\) false alerts, precision .*, recall \([0-9.]*\), FPR \([0-9.]*\)$/\1\t\2\t\3\t\4\t\5/p' |
			paste -sd '\t')" >>"$RES"
	done
}

t0=$SECONDS
evaluate default 0
echo "default model: $((SECONDS - t0))s" >&2
epochs=()
[ -z "${EPOCHS:-}" ] || epochs=(-epochs "$EPOCHS")
for spec in $MODELS; do
	m=${spec%%=*} kind=$spec extra=()
	if [[ $spec == *=* ]]; then
		kind=${spec#*=}
		[[ $kind == *:* ]] && IFS=, read -r -a extra <<<"${kind#*:}"
		kind=${kind%%:*}
	fi
	for ((s = 1; s <= SEEDS; s++)); do
		t0=$SECONDS
		log=$E/train-$m-$s.log
		if ! "$T" train -model "$kind" "${extra[@]}" -seed "$s" "${epochs[@]}" -r "$OUT/benign-train.pcap" -out "$E/$m-$s.model" >"$log" 2>&1; then
			if grep -q 'model kind' "$log"; then
				echo "eval.sh: skipping $m: $(tail -1 "$log")" >&2
				continue 2
			fi
			echo "eval.sh: training $m seed $s failed, see $log:" >&2
			tail -3 "$log" >&2
			exit 1
		fi
		t1=$SECONDS
		evaluate "$m" "$s" -model "$E/$m-$s.model"
		echo "$m seed $s: trained in $((t1 - t0))s, evaluated in $((SECONDS - t1))s" >&2
	done
done

# The table: mean ± sample sd over seeds; alerts at the model's own
# threshold as mean true alerts / anomalous flows and false / benign.
awk -F'\t' 'NR > 1 {
	key = $3 SUBSEP $1
	if (!($3 in seenk)) { seenk[$3]; kinds[++nk] = $3 }
	if (!($1 in seenm)) { seenm[$1]; models[++nm] = $1 }
	n[key]++; nb[key] = $4; na[key] = $5
	for (i = 6; i <= 9; i++) { s[key, i] += $i; q[key, i] += $i * $i }
	tp[key] += $11; fp[key] += $12
}
function ms(key, i,   m, v) {
	m = s[key, i] / n[key]
	v = n[key] > 1 ? (q[key, i] - n[key] * m * m) / (n[key] - 1) : 0
	return sprintf("%.3f±%.3f", m, v > 0 ? sqrt(v) : 0)
}
END {
	printf "%-20s %-12s %5s %5s %13s %13s %13s %22s\n", "anomaly", "model", "seeds", "flows", "roc_auc", "rec@1%fpr", "rec@0.1%fpr", "alerts: true/anom false/benign"
	for (a = 1; a <= nk; a++) for (b = 1; b <= nm; b++) {
		key = kinds[a] SUBSEP models[b]; split(key, p, SUBSEP)
		if (!(key in n)) continue
		printf "%-20s %-12s %5d %5s %13s %13s %13s %11s %10s\n", p[1], p[2], n[key], na[key], ms(key, 6), ms(key, 8), ms(key, 9),
			sprintf("%.1f/%d", tp[key] / n[key], na[key]), sprintf("%.1f/%d", fp[key] / n[key], nb[key])
	}
}' "$RES"

[ "${BY_STACK:-1}" = 1 ] || exit 0
# Which stacks each model misses: seed 1 of each kind, and the default.
rm -rf "$E/scores"
for m in default $MODELS; do
	m=${m%%=*}
	args=()
	if [ $m != default ]; then
		[ -f "$E/$m-1.model" ] || continue
		args=(-model "$E/$m-1.model")
	fi
	mkdir -p "$E/scores/$m"
	for f in benign "${KINDS[@]}"; do
		"$T" score -r "$OUT/$f.pcap" "${args[@]}" >"$E/scores/$m/$f.json" 2>>"$E/eval.log"
	done
done
"$(python3 -c 'import sys; print(sys.executable)')" "$(dirname "$0")/lab.py" by-stack \
	--attempts "$OUT/work/parts/attempts.tsv" --scores "$E/scores" --out "$E/by-stack.tsv"
echo
echo "per stack (seed 1): flows above the benign 99th percentile (~1% FPR) / flows, alerts at the model's threshold"
awk -F'\t' 'NR > 1 {
	row = $2 "\t" $3
	if (!(row in seen)) { seen[row]; rows[++n] = row }
	if (!($1 in seenm)) { seenm[$1]; models[++nm] = $1 }
	cell[row, $1] = sprintf("%d/%d %d", $5, $4, $7)
}
END {
	printf "%-24s %-30s", "anomaly", "stack"
	for (j = 1; j <= nm; j++) printf " %14s", models[j]
	printf "\n"
	for (i = 1; i <= n; i++) {
		split(rows[i], p, "\t"); sub(/\.pcap$/, "", p[1])
		printf "%-24s %-30s", p[1], p[2]
		for (j = 1; j <= nm; j++) printf " %14s", cell[rows[i], models[j]]
		printf "\n"
	}
}' "$E/by-stack.tsv"
