# Shared by bench/flood.sh and bench/soak.sh (sourced, not run): the
# binaries and the flood capture, and the two network namespaces joined
# by a veth pair that the replay and the daemon use.

# flood_build OUT KIND FLOWS SEGMENTS: builds tlsentry, floodgen and
# tlsload into OUT and the flood capture (once); sets PCAP.
flood_build() {
	local out=$1 kind=$2 flows=$3 segments=$4
	go build -o "$out/tlsentry" ./cmd/tlsentry
	go build -o "$out/floodgen" ./bench/floodgen
	go build -o "$out/tlsload" ./bench/tlsload
	PCAP=$out/$kind-$flows.pcap
	[ -s "$PCAP" ] || "$out/floodgen" -kind "$kind" -flows "$flows" -segments "$segments" -w "$PCAP"
}

# flood_netns NAME: namespaces A (veth-a, 10.99.0.1: the daemon and the
# TLS server) and B (veth-b, 10.99.0.2: the replay and the TLS clients),
# offloads off so that the capture sees the packets as sent, and a trap
# that kills the processes in pids and removes both on exit.
flood_netns() {
	A=$1-a-$$; B=$1-b-$$
	pids=()
	trap flood_cleanup EXIT
	ip netns add "$A"; ip netns add "$B"
	ip -n "$A" link set lo up
	ip -n "$A" link add veth-a type veth peer name veth-b netns "$B"
	local end
	for end in "$A veth-a 10.99.0.1" "$B veth-b 10.99.0.2"; do
		set -- $end
		ip -n "$1" addr add "$3/24" dev "$2"
		ip -n "$1" link set "$2" mtu 9000 up
		ip netns exec "$1" ethtool -K "$2" tso off gso off gro off >/dev/null 2>&1 || true
	done
}

flood_cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	ip netns del "$A" 2>/dev/null || true
	ip netns del "$B" 2>/dev/null || true
}
