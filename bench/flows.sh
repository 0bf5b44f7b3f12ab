#!/usr/bin/env bash
# Throughput of `tlsentry flows` beside its peers, measured in one run:
#   readloop  a plain gopacket pcap read loop that decodes nothing (the floor)
#   tlsentry  tlsentry flows -r FILE -w /dev/null
#   tshark    tshark -r FILE -T fields -e tls.handshake.extensions_server_name -Y 'tls.handshake.type==1'
#   no-tls    tlsentry flows -no-tls (the packet path alone, without TLS parsing)
# Usage: bench/flows.sh FILE.pcap [ROUNDS]   (tshark runs once: it is ~100x slower)
# Every program is pinned to one CPU (taskset -c 0), as the figures are quoted
# per core: there tls_parsing_cost is what TLS parsing adds in CPU time.
# Then tlsentry flows runs with and without TLS on all CPUs, as it runs by
# default (TLS parsing and record encoding beside the packet path):
# tls_parsing_cost_all_cpus is what parsing takes off its throughput.
# Prints each run and the medians as packets/s, then the ratios.
set -euo pipefail
F=${1:?usage: bench/flows.sh FILE.pcap [ROUNDS]}
ROUNDS=${2:-3}
cd "$(dirname "$0")/.."
OUT=bench/out; mkdir -p $OUT
go build -o $OUT/tlsentry ./cmd/tlsentry
go build -o $OUT/readloop ./bench/readloop
packets=$($OUT/readloop "$F" | sed 's/.*packets=\([0-9]*\).*/\1/')
now() { date +%s.%N; }
pin() { if command -v taskset >/dev/null; then taskset -c 0 "$@"; else "$@"; fi; }
rate() { awk -v p=$packets -v a=$1 -v b=$2 'BEGIN{printf "%.0f", p/(b-a)}'; }
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
: > $OUT/readloop.txt; : > $OUT/tlsentry.txt; : > $OUT/notls.txt; : > $OUT/tlsentry-all.txt; : > $OUT/notls-all.txt
for i in $(seq 1 $ROUNDS); do
	t0=$(now); pin $OUT/readloop "$F" >/dev/null; t1=$(now)
	r=$(rate $t0 $t1); echo $r >> $OUT/readloop.txt; echo "round $i readloop  $r packets/s"
	t0=$(now); pin $OUT/tlsentry flows -no-tls -r "$F" -w /dev/null 2>/dev/null || true; t1=$(now)
	r=$(rate $t0 $t1); echo $r >> $OUT/notls.txt; echo "round $i no-tls    $r packets/s"
	t0=$(now); pin $OUT/tlsentry flows -r "$F" -w /dev/null 2>$OUT/summary.txt || true; t1=$(now)
	r=$(rate $t0 $t1); echo $r >> $OUT/tlsentry.txt; echo "round $i tlsentry  $r packets/s"
done
for i in $(seq 1 $ROUNDS); do
	t0=$(now); $OUT/tlsentry flows -no-tls -r "$F" -w /dev/null 2>/dev/null || true; t1=$(now)
	r=$(rate $t0 $t1); echo $r >> $OUT/notls-all.txt; echo "round $i no-tls    $r packets/s (all CPUs)"
	t0=$(now); $OUT/tlsentry flows -r "$F" -w /dev/null 2>/dev/null || true; t1=$(now)
	r=$(rate $t0 $t1); echo $r >> $OUT/tlsentry-all.txt; echo "round $i tlsentry  $r packets/s (all CPUs)"
done
t0=$(now); pin tshark -r "$F" -T fields -e tls.handshake.extensions_server_name -Y 'tls.handshake.type==1' >/dev/null 2>&1 || true; t1=$(now)
ts=$(rate $t0 $t1); echo "tshark    $ts packets/s"
rl=$(median < $OUT/readloop.txt); te=$(median < $OUT/tlsentry.txt); nt=$(median < $OUT/notls.txt)
echo "packets=$packets readloop_median=$rl no_tls_median=$nt tlsentry_median=$te tshark=$ts"
ta=$(median < $OUT/tlsentry-all.txt); na=$(median < $OUT/notls-all.txt)
echo "all CPUs ($(nproc)): no_tls_median=$na tlsentry_median=$ta"
awk -v rl=$rl -v te=$te -v nt=$nt -v ts=$ts -v ta=$ta -v na=$na 'BEGIN{printf "no-tls/readloop=%.2f tlsentry/readloop=%.2f tlsentry/tshark=%.1f tls_parsing_cost=%.0f%% tls_parsing_cost_all_cpus=%.0f%%\n", nt/rl, te/rl, te/ts, 100*(nt/te-1), 100*(na/ta-1)}'
cat $OUT/summary.txt
