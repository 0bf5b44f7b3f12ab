#!/usr/bin/env bash
# Detection on labelled captures (internal/labset): for each model kind,
# train on benign-train.pcap (the "same network" protocol: another run of
# the same client set-ups), then eval benign.pcap against each anomaly kind;
# also the embedded default model out of the box.
# Usage: bench/lab.sh [N] [SEED]   -> bench/out/lab/, a table on stdout
set -euo pipefail
N=${1:-200}
SEED=${2:-1}
cd "$(dirname "$0")/.."
OUT=bench/out/lab; mkdir -p $OUT
go build -o bench/out/tlsentry ./cmd/tlsentry
go run ./internal/labset/mklab -o $OUT -n $N -seed $SEED >/dev/null
T=bench/out/tlsentry
for kind in cnn-iforest vae; do
	$T train -model $kind -seed $SEED -r $OUT/benign-train.pcap -out $OUT/$kind.model >/dev/null 2>&1
done
printf "%-20s %-22s %8s %8s %9s %9s\n" anomaly model roc_auc pr_auc rec@1% rec@0.1%
for a in non-tls-ssh non-tls-http non-tls-random truncated-hello malformed-hello legacy-tls10 odd-ciphers-no-sni self-signed-server; do
	for m in default $OUT/cnn-iforest.model $OUT/vae.model; do
		args=(); name=default
		if [ $m != default ]; then args=(-model $m); name=$(basename $m .model); fi
		r=$($T eval -benign $OUT/benign.pcap -anomalous $OUT/$a.pcap "${args[@]}" 2>/dev/null)
		roc=$(echo "$r" | sed -n 's/^ROC AUC \([0-9.]*\), PR AUC \([0-9.]*\)/\1 \2/p')
		rec=$(echo "$r" | sed -n 's/^recall at 1% FPR \([0-9.]*\), at 0.1% FPR \([0-9.]*\)/\1 \2/p')
		printf "%-20s %-22s %8s %8s %9s %9s\n" $a $name $roc $rec
	done
done
