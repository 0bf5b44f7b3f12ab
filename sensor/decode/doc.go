// Package decode turns captured frames into TCP segments and UDP datagrams
// (to or from watched UDP ports, for QUIC) for the flow tables: link layers (Ethernet, Linux SLL and SLL2, raw IP, BSD loopback,
// PPP, Cisco HDLC), 802.1Q and QinQ tags, PPPoE sessions, MPLS label
// stacks, IPv4 and IPv6 with extension headers, and the
// tunnels a span port may deliver (IP-in-IP, GRE, PPTP, ERSPAN I/II/III, VXLAN,
// Geneve, CAPWAP data, GTP-U), opened to the inner flow.
//
// A Decoder allocates nothing: the segment's payload aliases the frame.
// Frames that carry neither are skipped with a SkipReason, which the
// capture sources count (Stats).
package decode
