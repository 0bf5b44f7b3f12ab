// Package flow turns decoded TCP segments into flows: it keeps a bounded
// table of connections, reassembles the first bytes of each direction
// (out of order, retransmitted, overlapping, picked up mid-stream), and
// hands out one Flow per connection holding what later stages need: the
// 1024-byte prefix in send order and each direction's first TLS handshake
// messages.
//
// Everything is driven by packet time, never wall time, so a capture file
// gives the same flows on every run. A Table is not safe for concurrent use:
// the sensor gives each worker its own Table (a shard) and routes both
// directions of a connection to the same one.
package flow
