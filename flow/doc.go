// Package flow turns decoded TCP segments and UDP datagrams into flows: it
// keeps a bounded table of connections, reassembles the first bytes of
// each TCP direction (out of order, retransmitted, overlapping, picked up
// mid-stream), and hands out one Flow per connection holding what later
// stages need: the 1024-byte prefix in send order and each direction's
// first TLS handshake messages. The prefix and the first-bytes judgement
// take the two sides in the order they spoke, which a side's
// acknowledgements tell when a capture merged the directions out of
// order (ackorder.go).
//
// UDP flows are tracked for QUIC only (udp.go): a flow opens on a datagram
// that looks like the start of a QUIC connection, its Initial packets are
// opened with package quic, and its handshake bytes are the two CRYPTO
// streams (the ClientHello and the ServerHello as handshake messages), its
// prefix their first 1024 bytes. UDP flows share the table and its bound,
// with an idle timeout of their own.
//
// A TCP flow is handed out as soon as it is complete or its bytes decide
// its verdict (early.go: a client that does not speak TLS to a TLS port,
// once its first flight is over; broken handshake framing), or after the
// verdict timeout of silence with payload seen: not at idle timeout or
// maximum age.
//
// A connection handed out leaves the table for a compact, bounded memory
// of handed-out connections (remembered.go), so that its later packets
// are counted rather than reborn as a second flow. The out-of-order and
// handshake bytes of all tables together are bounded by one memory
// budget (budget.go), enforced as they are buffered.
//
// Everything is driven by packet time, never wall time, so a capture file
// gives the same flows on every run. A Table is not safe for concurrent use:
// the sensor gives each worker its own Table (a shard) and routes both
// directions of a connection to the same one.
package flow
