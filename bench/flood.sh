#!/usr/bin/env bash
# A flood replayed live while real TLS connections are made (issue 14).
# A flood capture (bench/floodgen: syn, onesegment or outoforder) is
# replayed with tcpreplay at top speed into one end of a veth pair; the
# daemon captures the other end in its own network namespace, where a TLS
# server (bench/tlsload) answers real connections made from the replay's
# side at the same time. Reported: what tcpreplay sent, the scoring
# queue's shed counts, the real connections scored (of those completed),
# flows scored per second live against `tlsentry score` offline on the
# same capture and CPUs, the memory budget's give-ups, and peak RSS
# (VmHWM) of the daemon and of the offline score (GNU time).
#
# Usage: sudo bench/flood.sh [KIND] [FLOWS]      (root: namespaces)
#   KIND   onesegment (default), syn, outoforder or datarst
#   FLOWS  flows in the flood, default 500000
# Environment: MAXFLOWS (flow.max_flows, default 100000), WORKERS
# (capture workers, default 2), CONNS and RATE (real connections and
# their rate per second, default 300 at 10/s), SEGMENTS (outoforder:
# segments each way after the hole, default 22: 2 x 30 KB), BUDGET
# (flow.memory_budget_mb, default 0: the machine's default). CPUS (a
# taskset list, e.g. 1) pins the daemon and the offline score to the same
# CPUs, and REPLAY_CPUS (e.g. 0) pins tcpreplay and the TLS load to others,
# so that live and offline are compared on the same CPUs; unset, nothing is
# pinned and the replay competes with the daemon. PERF (a file name)
# records the daemon's CPU profile (perf record -e cpu-clock -g) from the
# replay's start until scoring stops: read it with perf report -i PERF.
# DAEMON_GOMAXPROCS sets the daemon's GOMAXPROCS (by default the daemon
# takes its CPUs plus one per capture worker: a worker waiting in poll(2)
# holds its P).
set -euo pipefail
KIND=${1:-onesegment}
FLOWS=${2:-500000}
MAXFLOWS=${MAXFLOWS:-100000}
WORKERS=${WORKERS:-2}
CONNS=${CONNS:-300}
RATE=${RATE:-10}
SEGMENTS=${SEGMENTS:-22}
BUDGET=${BUDGET:-0}
pin() { if [ -n "${CPUS:-}" ]; then taskset -c "$CPUS" "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] || { echo "bench/flood.sh needs root (network namespaces)"; exit 1; }
for tool in tcpreplay ip curl; do command -v $tool >/dev/null || { echo "needs $tool"; exit 1; }; done
[ -x /usr/bin/time ] || { echo "needs GNU time (/usr/bin/time)"; exit 1; }
cd "$(dirname "$0")/.."
OUT=bench/out/flood; mkdir -p $OUT
. bench/lib/floodenv.sh
flood_build $OUT $KIND $FLOWS $SEGMENTS
flood_netns tlsflood

dir=$OUT/run; rm -rf $dir; mkdir -p $dir
cat > $dir/tlsentry.yaml <<YAML
sensor:
  name: flood
capture:
  interfaces: [veth-a]
  ports: [443]
  workers: $WORKERS
  ring_size_mb: 64
flow:
  max_flows: $MAXFLOWS
  memory_budget_mb: $BUDGET
output:
  alert_log: alerts.json
  flow_log: flows.json
  rotate_size_mb: 1024
  log: tlsentry.log
metrics:
  listen: 127.0.0.1:9561
YAML
ip netns exec $A ${CPUS:+taskset -c $CPUS} env ${DAEMON_GOMAXPROCS:+GOMAXPROCS=$DAEMON_GOMAXPROCS} $OUT/tlsentry run -config $dir/tlsentry.yaml &
pid=$!; pids+=($pid)
until grep -q '"msg":"started"' $dir/tlsentry.log 2>/dev/null; do
	kill -0 $pid 2>/dev/null || { echo "the daemon did not start"; exit 1; }
	sleep 0.1
done
ip netns exec $A ${REPLAY_CPUS:+taskset -c $REPLAY_CPUS} $OUT/tlsload serve -addr 10.99.0.1:443 &
pids+=($!)
sleep 0.5
rss_before=$(awk '/VmRSS/{print $2}' /proc/$pid/status)

# The daemon's CPU time (user + system, clock ticks): other work on its
# CPUs shows as less than 100% of a CPU.
cputicks() { awk '{print $14 + $15}' /proc/$pid/stat; }
tck=$(getconf CLK_TCK)
c0=$(cputicks)
t0=$(date +%s.%N)
if [ -n "${PERF:-}" ]; then
	perf record -q -e cpu-clock -g -p $pid -o "$PERF" > /dev/null 2>&1 &
	perfpid=$!; pids+=($perfpid)
fi
ip netns exec $B ${REPLAY_CPUS:+taskset -c $REPLAY_CPUS} $OUT/tlsload connect -addr 10.99.0.1:443 -n $CONNS -rate $RATE -ports $dir/ports.txt 2> $dir/tlsload.txt &
load=$!
ip netns exec $B ${REPLAY_CPUS:+taskset -c $REPLAY_CPUS} tcpreplay -i veth-b -q --topspeed $PCAP > $dir/tcpreplay.txt 2>&1 || true
tr=$(date +%s.%N)
wait $load || true
# Scoring may lag the replay: wait until the scored count stops growing
# (two seconds without change); live flows/s is over that whole time.
scrape() { ip netns exec $A curl -s http://127.0.0.1:9561/metrics > $dir/metrics.txt || true; }
metric() { awk -v m="$1" 'index($0, m) == 1 {s += $NF} END {printf "%d", s}' $dir/metrics.txt; }
last=-1; t1=$(date +%s.%N); still=0
while [ $still -lt 2 ]; do
	sleep 1; scrape; now=$(metric tlsentry_flows_scored_total)
	if [ "$now" != "$last" ]; then last=$now; t1=$(date +%s.%N); still=0; else still=$((still + 1)); fi
done
hwm=$(awk '/VmHWM/{print $2}' /proc/$pid/status)
c1=$(cputicks)
if [ -n "${PERF:-}" ]; then kill -INT $perfpid; wait $perfpid || true; fi
kill -TERM $pid; wait $pid || true

sent=$(sed -n 's/.*Actual: \([0-9]*\) packets.*/\1/p' $dir/tcpreplay.txt | tail -1)
made=$(grep -c . $dir/ports.txt || true)
# A real connection is scored when its flow record carries a score.
scored_real=$(cat $dir/flows.json* $dir/alerts.json* | grep '"src_ip":"10.99.0.2"' | grep -c '"score":' || true)
records_real=$(cat $dir/flows.json* | grep -c '"src_ip":"10.99.0.2"' || true)
scored=$(metric 'tlsentry_flows_scored_total')
echo "flood $KIND, $FLOWS flows ($PCAP), max_flows $MAXFLOWS, $WORKERS workers, $(nproc) CPUs"
awk -v sent="${sent:-0}" -v t0=$t0 -v tr=$tr -v t1=$t1 -v scored=$scored 'BEGIN{r=tr-t0; d=t1-t0; printf "replay: %d packets in %.1fs (%.0f packets/s); live: %d flows scored in %.1fs from the replay start, %.0f flows/s\n", sent, r, sent/r, scored, d, scored/d}'
echo "shed: $(grep '^tlsentry_queue_dropped_total' $dir/metrics.txt | tr '\n' ' ')"
echo "kernel drops: $(metric tlsentry_kernel_drops_total); memcap: $(grep 'event="memcap"\|state="memcap"' $dir/metrics.txt | tr '\n' ' ')"
echo "real connections: $made completed ($(cat $dir/tlsload.txt)); records $records_real, scored $scored_real"
[ "$made" -gt 0 ] && awk -v s=$scored_real -v m=$made 'BEGIN{printf "real connections scored: %.1f%%\n", 100*s/m}'
echo "daemon RSS: $((rss_before / 1024)) MiB at start, peak $((hwm / 1024)) MiB"
lcpu=$(awk -v a=$c0 -v b=$c1 -v t=$tck 'BEGIN{printf "%.2f", (b-a)/t}')
awk -v c=$lcpu -v t0=$t0 -v t1=$t1 -v scored=$scored 'BEGIN{printf "daemon CPU: %.1fs in %.1fs (%.0f%% of a CPU), %.0f flows scored per CPU-second\n", c, t1-t0, 100*c/(t1-t0), scored/c}'

# Offline on the same capture and CPUs.
pin /usr/bin/time -v $OUT/tlsentry score -r $PCAP -max-flows $MAXFLOWS -memory-budget-mb $BUDGET -w /dev/null > /dev/null 2> $dir/score.txt || true
osec=$(awk -F': ' '/Elapsed/{n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' $dir/score.txt)
oflows=$(sed -n 's/^summary: flows=\([0-9]*\).*/\1/p' $dir/score.txt | head -1)
orss=$(awk '/Maximum resident/{print $NF}' $dir/score.txt)
ocpu=$(awk -F': ' '/User time|System time/{s += $2} END{printf "%.2f", s}' $dir/score.txt)
echo "offline score: ${oflows:-?} flows in ${osec}s, $(awk -v f=${oflows:-0} -v s=$osec 'BEGIN{printf "%.0f", f/s}') flows/s, CPU ${ocpu}s ($(awk -v f=${oflows:-0} -v c=$ocpu 'BEGIN{printf "%.0f", f/c}') flows per CPU-second), peak RSS $((orss / 1024)) MiB"
awk -v scored=$scored -v t0=$t0 -v t1=$t1 -v lc=$lcpu -v of=${oflows:-0} -v os=$osec -v oc=$ocpu 'BEGIN{printf "live / offline: %.2f in flows/s, %.2f in flows per CPU-second\n", (scored/(t1-t0))/(of/os), (scored/lc)/(of/oc)}'
