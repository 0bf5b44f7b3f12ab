#!/usr/bin/env bash
# The NATS output's figures (issue 17), each beside a peer measured in the
# same run:
#  1. end to end, sensor output to consumer on one machine: alert lines
#     written at RATE per second for 10 s through natsout.Output, then
#     through the bare JetStream client (async publish with the same
#     in-flight bound and message ids, no queue, no spool): records/s
#     delivered to a consumer and the write-to-delivery latency (p50,
#     p99); then both as fast as they take records.
#  2. tlsentry run -r FILE with every flow alerting (detector.threshold
#     1e-9) publishing its alerts, a consumer counting them: alerts/s
#     delivered, against the alerts/s the sensor wrote to its file.
#  3. the output's CPU cost: tlsentry run -r FILE (alerts and a flow log
#     file) without output.nats, with it publishing alerts (the default),
#     and with it publishing every flow record too, ROUNDS times each,
#     in turn: CPU seconds (user+sys) of the sensor process, medians and
#     their ratios.
# The JetStream server (the nats-server module, bench/fleetbench serve)
# runs in its own process on the second CPU; the sensor is pinned to the
# first.
# Usage: bench/fleet.sh FILE.pcap [ROUNDS] [RATE]   (PARTS=13 runs parts 1 and 3 only)
set -euo pipefail
F=${1:?usage: bench/fleet.sh FILE.pcap [ROUNDS] [RATE]}
ROUNDS=${2:-3}
RATE=${3:-20000}
PARTS=${PARTS:-123}
F=$(readlink -f "$F")
cd "$(dirname "$0")/.."
OUT=$(readlink -f bench/out)/fleet; rm -rf "$OUT"; mkdir -p "$OUT"
go build -o "$OUT/tlsentry" ./cmd/tlsentry
go build -o "$OUT/fleetbench" ./bench/fleetbench
pin() { if command -v taskset >/dev/null; then taskset -c "$1" "${@:2}"; else "${@:2}"; fi; }
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
PORT=4299
URL=nats://127.0.0.1:$PORT
mkfifo "$OUT/server.in"
pin 1 "$OUT/fleetbench" serve -port $PORT -store "$OUT/store" < "$OUT/server.in" > "$OUT/server.out" 2>&1 &
SERVER=$!
exec 3> "$OUT/server.in" # the server runs until this closes
trap 'exec 3>&-; wait $SERVER 2>/dev/null || true' EXIT
for i in $(seq 1 100); do grep -q ready "$OUT/server.out" 2>/dev/null && break; sleep 0.1; done

if [[ $PARTS == *1* ]]; then
echo "== 1. output to consumer, $RATE alerts/s for 10 s, then as fast as taken"
"$OUT/fleetbench" e2e -server $URL -rate "$RATE" -seconds 10 | tee "$OUT/e2e-rate.txt"
"$OUT/fleetbench" e2e -server $URL -rate 0 -seconds 4 | tee "$OUT/e2e-max.txt"
fi

config() { # config NAME NATS(true|false) THRESHOLD RECORDS
	local d="$OUT/$1"; mkdir -p "$d"
	{
		echo "sensor: {name: bench}"
		echo "capture: {workers: 1}"
		echo "detector:"
		[ -n "$3" ] && echo "  threshold: $3"
		echo "  batch_timeout: 10ms"
		echo "output:"
		echo "  alert_log: $d/alerts.json"
		echo "  flow_log: $d/flows.json"
		echo "  log: $d/tlsentry.log"
		echo "  rotate_size_mb: 0"
		if [ "$2" = true ]; then
			echo "  nats: {servers: [$URL], records: [$4], spool_dir: $d/spool, subject_prefix: bench.$1, stream: BENCH_RUN_$1, stream_subjects: [bench.$1.>], close_timeout: 1m}"
		fi
		echo "metrics: {listen: \"\"}"
	} > "$d/tlsentry.yaml"
	echo "$d/tlsentry.yaml"
}

if [[ $PARTS == *2* ]]; then
echo "== 2. tlsentry run -r with every flow alerting, alerts to a consumer"
cfg=$(config alerting true 0.000000001 alert)
"$OUT/fleetbench" consume -server $URL -stream BENCH_RUN_alerting -subject 'bench.alerting.alert' -idle 5s > "$OUT/consume.txt" &
CONSUMER=$!
sleep 0.5
t0=$(date +%s.%N)
pin 0 "$OUT/tlsentry" run -config "$cfg" -r "$F" 2>/dev/null || true
t1=$(date +%s.%N)
wait $CONSUMER
alerts=$(wc -l < "$OUT/alerting/alerts.json")
cat "$OUT/consume.txt"
awk -v a=$alerts -v t0=$t0 -v t1=$t1 'BEGIN{printf "sensor wrote %d alerts in %.1f s (%.0f alerts/s, run to the end of the drain)\n", a, t1-t0, a/(t1-t0)}'
fi

if [[ $PARTS == *3* ]]; then
echo "== 3. CPU cost of the output on tlsentry run -r"
off=$(config off false "" "")
alerts=$(config alerts true "" "alert")
on=$(config on true "" "alert, flow")
# CPU seconds (user+sys) of a command pinned to the first CPU.
cpu() { /usr/bin/time -f "%U %S" -o "$OUT/time.txt" taskset -c 0 "$@" >/dev/null 2>&1 || true; tail -1 "$OUT/time.txt" | awk '{print $1+$2}'; }
: > "$OUT/cpu-off.txt"; : > "$OUT/cpu-alerts.txt"; : > "$OUT/cpu-on.txt"
for i in $(seq 1 "$ROUNDS"); do
	for v in off alerts on; do
		rm -rf "$OUT/$v/"*.json
		c=$(cpu "$OUT/tlsentry" run -config "${!v}" -r "$F"); echo "$c" >> "$OUT/cpu-$v.txt"; echo "round $i $v: $c CPU s"
	done
done
flows=$(wc -l < "$OUT/on/flows.json"); nalerts=$(wc -l < "$OUT/on/alerts.json")
grep -o '"nats_[a-z_]*":[0-9]*' "$OUT/on/tlsentry.log" | tail -6 | tr '\n' ' '; echo
a=$(median < "$OUT/cpu-off.txt"); b=$(median < "$OUT/cpu-alerts.txt"); c=$(median < "$OUT/cpu-on.txt")
awk -v a=$a -v b=$b -v c=$c -v f=$flows -v al=$nalerts 'BEGIN{printf "flows=%d alerts=%d cpu_without=%.2fs cpu_alerts=%.2fs cpu_alerts_and_flows=%.2fs output_cpu_cost_alerts=%+.1f%% output_cpu_cost_alerts_and_flows=%+.1f%% (%.1f us per flow record)\n", f, al, a, b, c, 100*(b/a-1), 100*(c/a-1), 1e6*(c-a)/f}'
fi
