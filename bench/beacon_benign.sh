#!/usr/bin/env bash
# Beacon alerts on benign traffic (issue 16): `tlsentry score` (beacon
# tracker at its defaults, as the shipped configuration has it) over
#  - every capture of ../shared/pcaps, each on its own (each is another
#    network at another time), and
#  - the benchmark capture (default /tmp/big.pcap, built by
#    ../shared/bench/make_big.sh), as one stream.
# Counts client-server pairs (distinct client, server address and port)
# and beacon alerts, and names each alert with its evidence.
# Usage: bench/beacon_benign.sh [BIG.pcap]
set -euo pipefail
cd "$(dirname "$0")/.."
BIG=${1:-/tmp/big.pcap}
PCAPS=../shared/pcaps
OUT=bench/out; mkdir -p $OUT
go build -o $OUT/tlsentry ./cmd/tlsentry
go build -o $OUT/beaconbenign ./bench/beaconbenign

tp=0; ta=0; tf=0; files=0
named=$OUT/beacon_benign_alerts.tsv; : > $named
for f in $(cd $PCAPS && ls ja4/* ndpi/* suricata-verify/* zeek/* | grep -E '\.(pcap|pcapng|cap)$'); do
  s=$($OUT/tlsentry score -r $PCAPS/$f 2>/dev/null | $OUT/beaconbenign) || true
  head=$(head -1 <<<"$s")
  p=$(sed -E 's/.*pairs=([0-9]+).*/\1/' <<<"$head"); a=$(sed -E 's/.*beacon_alerts=([0-9]+).*/\1/' <<<"$head")
  fl=$(sed -E 's/.*first=([0-9]+).*/\1/' <<<"$head")
  tp=$((tp+p)); ta=$((ta+a)); tf=$((tf+fl)); files=$((files+1))
  if [ "$a" -gt 0 ]; then tail -n +2 <<<"$s" | sed "s|^|$f\t|" >> $named; fi
done
echo "shared captures: $files files, $tp pairs, $tf beacon alerts ($ta with updates)"
awk -v a=$tf -v p=$tp 'BEGIN{ if (p>0) printf "  per 10,000 pairs: %.2f\n", 1e4*a/p }'
[ -s $named ] && { echo "  alerts:"; sed 's/^/    /' $named; }

if [ -f "$BIG" ]; then
  t0=$(date +%s)
  s=$($OUT/tlsentry score -r "$BIG" 2>/dev/null | $OUT/beaconbenign)
  t1=$(date +%s)
  head=$(head -1 <<<"$s")
  echo "$(basename "$BIG"): $head ($((t1-t0)) s)"
  p=$(sed -E 's/.*pairs=([0-9]+).*/\1/' <<<"$head"); fl=$(sed -E 's/.*first=([0-9]+).*/\1/' <<<"$head")
  awk -v a=$fl -v p=$p 'BEGIN{ if (p>0) printf "  per 10,000 pairs: %.2f\n", 1e4*a/p }'
  tail -n +2 <<<"$s" | sed 's/^/    /'
else
  echo "$BIG: missing (build it with ../shared/bench/make_big.sh)"
fi
