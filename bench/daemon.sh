#!/usr/bin/env bash
# The daemon capturing live: FILE is replayed with tcpreplay into one end
# of a veth pair, `tlsentry run` captures the other end (AF_PACKET
# fanout, the eBPF filter on, then off) in its own network namespace.
# Per mode it prints what tcpreplay sent (packets/s), what the daemon
# made of it (flows/s over the replay time, kernel drops, the share of
# packets the eBPF filter kept in the kernel) and its CPU time per 1000
# flows (utime+stime from /proc/PID/stat).
#
# Usage: sudo bench/daemon.sh [FILE] [WORKERS]      (root: namespaces, BPF)
#   FILE     default /tmp/big.pcap (../shared/bench/make_big.sh builds it)
#   WORKERS  capture workers (sockets and flow tables), default 2
# Environment: PPS=N replays at N packets/s instead of full speed, to
# find the rate without kernel drops; LIMIT=N replays only the first N
# packets (a smoke run); PORTS="443,8443" sets the watched ports.
set -euo pipefail
F=${1:-/tmp/big.pcap}
WORKERS=${2:-2}
PORTS=${PORTS:-443,8443,993,995,465,636,853,5061,6443,9443}
[ "$(id -u)" = 0 ] || { echo "bench/daemon.sh needs root (network namespaces, eBPF)"; exit 1; }
for tool in tcpreplay ip curl; do command -v $tool >/dev/null || { echo "needs $tool"; exit 1; }; done
[ -r "$F" ] || { echo "no capture $F: OUT=/tmp/big.pcap W=/tmp/bigwork ../shared/bench/make_big.sh"; exit 1; }
cd "$(dirname "$0")/.."
OUT=bench/out/daemon; mkdir -p $OUT
go build -o $OUT/tlsentry ./cmd/tlsentry

A=tlsbench-a-$$; B=tlsbench-b-$$
cleanup() { ip netns del $A 2>/dev/null || true; ip netns del $B 2>/dev/null || true; }
trap cleanup EXIT
ip netns add $A; ip netns add $B
ip -n $A link set lo up
ip -n $A link add veth-a type veth peer name veth-b netns $B
# Captured frames may be larger than 1500 bytes (offloaded segments).
for end in "$A veth-a" "$B veth-b"; do
	set -- $end
	ip -n $1 link set $2 mtu 9000 up
	ip netns exec $1 ethtool -K $2 tso off gso off gro off >/dev/null 2>&1 || true
done
clk=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14+$15}' /proc/$1/stat; }
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" $OUT/tlsentry.log | tail -1; }

run_mode() { # bpf: true|false
	local bpf=$1 dir=$OUT/bpf-$1
	rm -rf $dir; mkdir -p $dir
	cat > $dir/tlsentry.yaml <<YAML
sensor:
  name: bench
capture:
  interfaces: [veth-a]
  ports: [$PORTS]
  workers: $WORKERS
  ring_size_mb: 64
  bpf: $bpf
detector:
  queue_size: 65536
output:
  alert_log: alerts.json
  log: tlsentry.log
metrics:
  listen: 127.0.0.1:9560
YAML
	ip netns exec $A $OUT/tlsentry run -config $dir/tlsentry.yaml &
	local pid=$!
	until grep -q '"msg":"started"' $dir/tlsentry.log 2>/dev/null; do
		kill -0 $pid 2>/dev/null || { echo "the daemon did not start"; return 1; }
		sleep 0.1
	done
	local t0 c0 t1 c1
	c0=$(cpu_ticks $pid)
	local replay=(tcpreplay -i veth-b -q)
	if [ -n "${PPS:-}" ]; then replay+=(--pps=$PPS); else replay+=(--topspeed); fi
	[ -n "${LIMIT:-}" ] && replay+=(--limit=$LIMIT)
	t0=$(date +%s.%N)
	ip netns exec $B "${replay[@]}" "$F" > $dir/tcpreplay.txt 2>&1 || true
	t1=$(date +%s.%N)
	# Let the rings drain and the last batches score.
	sleep 2
	c1=$(cpu_ticks $pid)
	ip netns exec $A curl -s http://127.0.0.1:9560/metrics > $dir/metrics.txt || true
	kill -TERM $pid; wait $pid || true
	cp $dir/tlsentry.log $OUT/tlsentry.log
	local sent flows
	sent=$(sed -n 's/.*Actual: \([0-9]*\) packets.*/\1/p' $dir/tcpreplay.txt | tail -1)
	flows=$(field flows)
	awk -v mode="bpf=$bpf" -v sent="${sent:-0}" -v t0=$t0 -v t1=$t1 -v flows="${flows:-0}" \
		-v scored="$(field scored)" -v dropped="$(field dropped)" -v alerts="$(field alerts)" \
		-v kpk="$(field kernel_packets)" -v kdrop="$(field kernel_drops)" -v read="$(field packets_read)" \
		-v seen="$(field bpf_seen)" -v kept="$(field bpf_kept_in_kernel)" -v cpu=$((c1 - c0)) -v clk=$clk 'BEGIN{
		d = t1 - t0
		printf "%-10s sent %d packets in %.1fs: %.0f packets/s; daemon read %d, kernel queued %d, dropped %d\n", mode, sent, d, sent/d, read, kpk, kdrop
		printf "%-10s flows %d (%.0f/s), scored %d, queue drops %d, alerts %d", mode, flows, flows/d, scored, dropped, alerts
		if (seen > 0) printf ", kept in kernel by the filter %.1f%% of %d", 100*kept/seen, seen
		if (flows > 0) printf ", CPU %.3f s per 1000 flows", cpu/clk/flows*1000
		printf "\n"
	}'
}

echo "capture $F, $WORKERS workers, ports $PORTS, $(nproc) CPUs${PPS:+, $PPS packets/s}${LIMIT:+, first $LIMIT packets}"
run_mode true
run_mode false
