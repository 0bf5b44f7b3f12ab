// Package defrag reassembles IP fragments (IPv4, and IPv6's fragment
// header) into whole packets for the capture files' decoder: a handshake
// sent in fragments, the oldest way past a sensor, reaches the flow table
// as the host it was sent to reads it. (Live, the kernel reassembles IPv4
// fragments before the sensor sees them: sensor/afpacket.)
//
// A Table holds the datagrams in reassembly, keyed by addresses, protocol
// (IPv4) and identification, bounded in number and bytes (the oldest gives
// way) and in time (packet time since a datagram's first fragment).
// Fragments that overlap discard their datagram, as Linux does and RFC 5722
// requires of IPv6: overlaps are how an attacker gives the sensor one
// datagram and the host another. Exact duplicates are retransmissions and
// are ignored.
package defrag
