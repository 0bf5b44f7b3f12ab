#!/usr/bin/env bash
# Soak: a flood capture replayed in a loop for MINUTES while real TLS
# connections trickle in, the daemon's RSS sampled every 10 s (issue 14).
# The flows of every loop are new connections (each ends with an RST, or
# idles out), so the tables, the memory of handed-out connections and the
# memory budget turn over all the time: RSS must level off after warm-up.
# Prints the samples (bench/out/soak/rss.csv) and the verdict: RSS at the
# end of warm-up (the first fifth of the run, at least a minute), the
# highest after it, and the last.
#
# Usage: bench/soak.sh [MINUTES] [KIND] [FLOWS]       (root: namespaces)
#   MINUTES  default 30
#   KIND     flood kind (bench/floodgen), default onesegment
#   FLOWS    flows in the capture, default 100000
# Environment: PPS (replay rate, default 20000 packets/s), MAXFLOWS
# (default 100000), WORKERS (default 2), SEGMENTS (outoforder, default 22).
set -euo pipefail
MINUTES=${1:-30}
KIND=${2:-onesegment}
FLOWS=${3:-100000}
PPS=${PPS:-20000}
MAXFLOWS=${MAXFLOWS:-100000}
WORKERS=${WORKERS:-2}
SEGMENTS=${SEGMENTS:-22}
[ "$(id -u)" = 0 ] || { echo "bench/soak.sh needs root (network namespaces)"; exit 1; }
for tool in tcpreplay ip curl; do command -v $tool >/dev/null || { echo "needs $tool"; exit 1; }; done
cd "$(dirname "$0")/.."
OUT=bench/out/soak; mkdir -p $OUT
. bench/lib/floodenv.sh
flood_build $OUT $KIND $FLOWS $SEGMENTS
flood_netns tlssoak
dir=$OUT/run; rm -rf $dir; mkdir -p $dir
cat > $dir/tlsentry.yaml <<YAML
sensor:
  name: soak
capture:
  interfaces: [veth-a]
  ports: [443]
  workers: $WORKERS
  ring_size_mb: 64
flow:
  max_flows: $MAXFLOWS
output:
  alert_log: alerts.json
  flow_log: flows.json
  rotate_size_mb: 256
  max_backups: 1
  log: tlsentry.log
metrics:
  listen: 127.0.0.1:9562
YAML
ip netns exec $A $OUT/tlsentry run -config $dir/tlsentry.yaml &
pid=$!; pids+=($pid)
until grep -q '"msg":"started"' $dir/tlsentry.log 2>/dev/null; do
	kill -0 $pid 2>/dev/null || { echo "the daemon did not start"; exit 1; }
	sleep 0.1
done
ip netns exec $A $OUT/tlsload serve -addr 10.99.0.1:443 &
pids+=($!)
secs=$((MINUTES * 60))
ip netns exec $B $OUT/tlsload connect -addr 10.99.0.1:443 -n $((secs * 2)) -rate 2 -ports $dir/ports.txt 2> $dir/tlsload.txt &
pids+=($!)
ip netns exec $B tcpreplay -i veth-b -q --pps=$PPS --loop=0 --duration=$secs $PCAP > $dir/tcpreplay.txt 2>&1 &
replay=$!; pids+=($replay)

echo "seconds,rss_kib,flows_opened,flows_scored" > $OUT/rss.csv
start=$(date +%s)
while kill -0 $replay 2>/dev/null; do
	sleep 10
	rss=$(awk '/VmRSS/{print $2}' /proc/$pid/status)
	m=$(ip netns exec $A curl -s http://127.0.0.1:9562/metrics || true)
	opened=$(echo "$m" | awk '/^tlsentry_flows_opened_total/{print $NF}')
	scored=$(echo "$m" | awk '/^tlsentry_flows_scored_total/{print $NF}')
	echo "$(( $(date +%s) - start )),$rss,${opened:-0},${scored:-0}" | tee -a $OUT/rss.csv
done
hwm=$(awk '/VmHWM/{print $2}' /proc/$pid/status)
kill -TERM $pid; wait $pid || true
echo "soak: $MINUTES min of $KIND ($FLOWS flows a loop) at $PPS packets/s, max_flows $MAXFLOWS, $WORKERS workers, $(nproc) CPUs"
echo "tcpreplay: $(grep -E 'Actual' $dir/tcpreplay.txt | tail -1)"
awk -F, -v total=$secs 'NR > 1 {
	t[NR] = $1; r[NR] = $2; n = NR
} END {
	warm = total / 5; if (warm < 60) warm = 60
	for (i = 2; i <= n; i++) { if (t[i] <= warm) w = r[i]; else if (r[i] > after) after = r[i] }
	printf "RSS: end of warm-up (%ds) %d MiB, highest after it %d MiB, last %d MiB: growth after warm-up %+d MiB\n", warm, w/1024, after/1024, r[n]/1024, (after - w)/1024
}' $OUT/rss.csv
echo "peak RSS (VmHWM) $((hwm / 1024)) MiB; $(tail -1 $dir/tlsload.txt)"
