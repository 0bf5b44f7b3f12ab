// Package afpacket captures live traffic with AF_PACKET: one TPACKET_V3
// socket per worker, all in one fanout group whose symmetric hash sends
// both directions of a connection to the same worker. The group is
// spread by an eBPF program (package bpf's Fanout): IPv4 by addresses
// and ports (the group's defrag flag has the kernel reassemble IPv4
// fragments first), IPv6 by addresses alone, so that a connection's IPv6
// fragments, which carry no ports after the first, reach its worker,
// which reassembles them (package defrag). With one worker, or where the
// program cannot be loaded (Capture.SpreadError), the kernel's flow hash
// spreads them (PACKET_FANOUT_HASH). Each worker decodes its frames
// (package decode) and hands the segments to its own Sink on its own
// goroutine, with a Tick about every TickInterval so that idle flows end
// on a quiet link.
//
// An eBPF socket filter (package bpf) can be attached to every socket. A
// slow sink makes the kernel drop packets when the ring fills (counted in
// KernelStats.Drops): the capture never blocks the kernel nor buffers
// more than the rings. Open needs CAP_NET_RAW, no more: promiscuous mode
// is a membership of the socket (PACKET_ADD_MEMBERSHIP), which asks for no
// CAP_NET_ADMIN; on other systems than Linux it fails.
//
// A capture survives its link: when the interface goes down, loses its
// carrier or is removed, the workers keep ticking their sinks (so their
// flow tables keep their flows, and idle ones still end on time) while a
// watcher waits for the interface, hearing of link changes from netlink
// and looking again with backoff (100 ms doubling to 5 s). A link that
// comes back up keeps its sockets; an interface made again gets new ones
// (filter, promiscuous membership and fanout group included). Stats.Link
// counts the flaps and the time without a link; Capture.Log says when the
// state changes.
package afpacket
