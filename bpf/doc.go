// Package bpf holds the eBPF programs of the live capture: the socket
// filter and the fanout program.
//
// The socket filter (Filter), attached to an AF_PACKET socket, hands the
// sensor only TCP segments and UDP datagrams to or from watched ports,
// and of each connection only what the flow table can use (every SYN,
// FIN and RST, the first budget bytes of each direction, and the pure
// ACKs of that early stretch; of a UDP flow, the first UDPPackets
// datagrams each way, where a QUIC handshake's Initial packets are). Bulk
// data stays in the kernel.
//
// The budget is counted in sequence space from each direction's first
// sequence number (the SYN's plus one, or the first segment seen when a
// connection is picked up mid-stream), kept per connection in an LRU hash
// map, so retransmitted and reordered early bytes still pass, and so does
// data claiming to lie up to 1 MiB before a direction's first byte (no
// receiver takes it: the flow table reports such decoys). The filter
// parses Ethernet, up to two 802.1Q/802.1ad tags, IPv4 and IPv6 (through
// up to four hop-by-hop, routing or destination-options headers).
// IPv6 fragments of TCP and UDP pass, ports or not, before any budget:
// the kernel does not reassemble them for packet sockets, so the capture
// does (they are rare, and a handshake sent in them is the oldest way
// past a sensor). IPv4 fragments, tunnelled traffic (GRE, ERSPAN, VXLAN,
// Geneve) and PPPoE or MPLS frames are dropped, so a span port that
// delivers encapsulated traffic must be captured without this filter.
// (The live capture's fanout reassembles IPv4 fragments before the filter
// runs: it sees them whole.)
//
// What the flow table no longer sees: the packet and byte counters of a
// flow record count only what passed; a segment that starts within the
// budget passes whole, so on a capture interface with GRO a merged
// super-packet can carry far more than the budget (harmless, but turn GRO
// off for budgets to bite exactly); IPv4 packets with total length 0 (BIG
// TCP) and IPv6 jumbograms are dropped as malformed. Entries are never
// deleted: the LRU evicts closed connections, and a new SYN on the same
// addresses and ports resets an entry.
//
// Load a Filter with Load, attach its FD to a socket (Attach, or
// gopacket afpacket's SetEBPF), read its counters with Stats.
//
// The fanout program (Fanout, fanout.c) spreads the packets of a
// PACKET_FANOUT_EBPF group over its sockets by a symmetric, seeded hash:
// of IPv4 addresses, protocol and ports, and of IPv6 addresses alone, so
// that an IPv6 connection's fragments, which carry no ports after the
// first, reach the socket that gets the rest of it. Load it with
// LoadFanout and give it to a socket of the group with Attach.
//
// filter.c and fanout.c are compiled by bpf2go into the committed
// filter_bpf*.* and fanout_bpf*.* files, so building needs no clang. To
// regenerate after editing them (Debian: apt-get install clang llvm):
//
//	go generate ./bpf
package bpf
