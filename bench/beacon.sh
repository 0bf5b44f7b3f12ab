#!/usr/bin/env bash
# Figures of the beacon tracker (detector/beacon, issue 16):
#  - recall and false findings on the generated traffic (TestAcceptance's
#    five fixed-seed runs, summed), per period band and jitter band;
#  - throughput on one CPU (BenchmarkAdd, pinned: events/s and events per
#    CPU second) and with 1, 2 and 4 goroutines sharing one tracker;
#  - the live heap after a scan of 10 M distinct pairs (BenchmarkScan).
# Usage: bench/beacon.sh [ROUNDS]   (ROUNDS of each benchmark, default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
PKG=./detector/beacon
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)

echo "== recall and false findings (generated traffic, 5 seeds)"
go test "$PKG" -count=1 -run 'TestAcceptance$' -v | sed -n '/all runs:/,/^--- /p' | sed -e 's/^        //' -e '/^--- /d' -e '/all runs:/d'

echo "== throughput, one CPU"
GOMAXPROCS=1 "${pin[@]}" go test "$PKG" -run XXX -bench 'BenchmarkAdd$' -benchtime 4000000x -count "$ROUNDS" | grep '^Benchmark'

echo "== throughput, goroutines sharing one tracker (one mutex)"
go test "$PKG" -run XXX -bench 'BenchmarkAddParallel$' -benchtime 4000000x -cpu 1,2,4 -count "$ROUNDS" | grep '^Benchmark'

echo "== heap after a scan of 10 M distinct pairs (default bounds)"
GOMAXPROCS=1 "${pin[@]}" go test "$PKG" -run XXX -bench 'BenchmarkScan$' -benchtime 10000000x -count 1 | grep '^Benchmark'
