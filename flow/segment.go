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

// Segment is one decoded TCP segment. Payload may alias a packet buffer
// that is reused after Table.Process returns: the table copies what it
// keeps.
type Segment struct {
	Time     int64 // packet time, Unix nanoseconds
	Src, Dst Endpoint
	Seq, Ack uint32
	Flags    uint8
	Payload  []byte // captured payload bytes
	// PayloadLen is the payload length the IP header announces. It exceeds
	// len(Payload) when the capture cut the packet short (snaplen); the
	// missing bytes are treated as a gap rather than invented.
	PayloadLen int
	WireLen    int // length of the whole frame on the wire, for byte counters
}
