#!/usr/bin/env bash
# Peak RSS of `tlsentry flows` with a fixed table bound over captures with
# 1x, 4x and 10x as many flows as the bound: memory must stay flat.
# The captures are the first packets of FILE, cut so that they hold about
# that many flows (counted by tlsentry itself).
# Usage: bench/memory.sh FILE.pcap [BOUND]   (needs editcap from wireshark-common, GNU time)
set -euo pipefail
F=${1:?usage: bench/memory.sh FILE.pcap [BOUND]}
BOUND=${2:-10000}
cd "$(dirname "$0")/.."
OUT=bench/out; mkdir -p $OUT
go build -o $OUT/tlsentry ./cmd/tlsentry
total_pkts=$(capinfos -c -M "$F" | awk '/Number of packets/{print $NF}')
total_flows=$($OUT/tlsentry flows -r "$F" -w /dev/null 2>&1 | sed -n 's/^summary: flows=\([0-9]*\).*/\1/p')
echo "capture: $total_pkts packets, $total_flows flows; table bound $BOUND flows"
for mult in 1 4 10; do
	want=$((BOUND * mult))
	# Cut at the packet count that holds about $want flows (flows are spread evenly enough).
	n=$(awk -v p=$total_pkts -v f=$total_flows -v w=$want 'BEGIN{n=int(p*w/f)+1; if(n>p)n=p; print n}')
	editcap -r "$F" $OUT/cut.pcap 1-$n >/dev/null
	/usr/bin/time -f "%M" -o $OUT/rss.txt $OUT/tlsentry flows -r $OUT/cut.pcap -max-flows $BOUND -idle-timeout 100000h -max-age 100000h -w /dev/null 2>$OUT/summary.txt || true
	flows=$(sed -n 's/^summary: flows=\([0-9]*\).*/\1/p' $OUT/summary.txt)
	ev=$(sed -n 's/^summary: \(evicted_active=[0-9]* evicted_finished=[0-9]*\).*/\1/p' $OUT/summary.txt)
	echo "${mult}x: packets=$n flows=$flows peak_rss_kib=$(cat $OUT/rss.txt) $ev"
done
# Control: the 10x capture with a bound that never binds, to show what the bound saves.
n=$(awk -v p=$total_pkts -v f=$total_flows -v w=$((BOUND * 10)) 'BEGIN{n=int(p*w/f)+1; if(n>p)n=p; print n}')
editcap -r "$F" $OUT/cut.pcap 1-$n >/dev/null
/usr/bin/time -f "%M" -o $OUT/rss.txt $OUT/tlsentry flows -r $OUT/cut.pcap -max-flows $((BOUND * 100)) -idle-timeout 100000h -max-age 100000h -w /dev/null 2>$OUT/summary.txt || true
echo "10x with bound $((BOUND * 100)) (never full): peak_rss_kib=$(cat $OUT/rss.txt)"
rm -f $OUT/cut.pcap
