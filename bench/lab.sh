#!/usr/bin/env bash
# Detection on generated labelled captures (internal/labset: crypto/tls
# client set-ups and anomalies made in memory), "same network" protocol:
# the same evaluation as the real-stack lab (bench/reallab/eval.sh), on
# captures that need no root and no network namespace.
# Usage: bench/lab.sh [N] [SEED] [SEEDS]  -> bench/out/lab/, a table on stdout
#   N      flows per kind (default 200); SEED seeds the captures (default 1);
#   SEEDS  model seeds 1..SEEDS (default 5); MODELS as in eval.sh
set -euo pipefail
N=${1:-200}
SEED=${2:-1}
SEEDS=${3:-5}
cd "$(dirname "$0")/.."
OUT=bench/out/lab
mkdir -p $OUT
go run ./internal/labset/mklab -o $OUT -n $N -seed $SEED >/dev/null
BY_STACK=0 exec bench/reallab/eval.sh $OUT "$SEEDS"
