package flow

// TCP flag bits as they appear in the TCP header's flags byte.
const (
	FlagFIN uint8 = 1 << iota
	FlagSYN
	FlagRST
	FlagPSH
	FlagACK
	FlagURG
)

// Transport is the transport protocol of a segment and of its flow.
type Transport uint8

// Transports. TCP is the zero value: a Segment is TCP unless it says
// otherwise.
const (
	TransportTCP Transport = iota
	TransportUDP
)

// String is the protocol's name as eve records write it ("TCP", "UDP").
func (t Transport) String() string {
	switch t {
	case TransportTCP:
		return "TCP"
	case TransportUDP:
		return "UDP"
	}
	return "unknown"
}

// Segment is one decoded TCP segment or UDP datagram. Payload may alias a
// packet buffer that is reused after Table.Process returns: the table
// copies what it keeps.
type Segment struct {
	Time      int64 // packet time, Unix nanoseconds
	Src, Dst  Endpoint
	Transport Transport
	Seq, Ack  uint32 // TCP only
	Flags     uint8  // TCP only
	// Signed is set when the TCP segment carries a TCP MD5 signature
	// (RFC 2385) or TCP-AO (RFC 5925) option.
	Signed bool
	// TinyFragment is set when the segment's IP packet came in fragments
	// smaller than any link needs (defrag.Table.Tiny): the IP length of
	// the smallest but the last. 0 for packets that came whole or in
	// fragments of ordinary size.
	TinyFragment int
	Payload      []byte // captured payload bytes
	// PayloadLen is the payload length the IP header announces. It exceeds
	// len(Payload) when the capture cut the packet short (snaplen); the
	// missing bytes are treated as a gap rather than invented.
	PayloadLen int
	WireLen    int // length of the whole frame on the wire, for byte counters
	// Now is the network time when the segment was read: the latest
	// clocked packet time (Clocked) of the whole input so far. A reader
	// that spreads segments over several tables sets it (Dispatcher,
	// Sharded.Process), so that every table judges a connection's silence
	// by the same clock whatever its share of the input; 0: the table
	// keeps the clock itself, from the segments it sees.
	Now int64
}
