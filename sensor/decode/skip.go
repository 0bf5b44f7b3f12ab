package decode

import "github.com/tlsentry/tlsentry/flow"

// SkipReason says why a frame gave no segment.
type SkipReason uint8

// Skip reasons, counted in the summary and in metrics.
const (
	SkipNone        SkipReason = iota
	SkipLinkType               // link type the decoder does not know
	SkipNotIP                  // ARP, LLDP, unknown ethertypes and address families
	SkipNotTCP                 // UDP to unwatched ports (other than tunnels), ICMP, other IP protocols
	SkipFragment               // IP fragments: a reassembler makes them whole (Fragment, sensor/defrag)
	SkipTruncated              // a header is cut short
	SkipMalformed              // a header contradicts itself
	SkipTunnelDepth            // tunnels nested too deep
	numSkipReasons
)

var skipNames = [numSkipReasons]string{"none", "link_type", "not_ip", "not_tcp", "ip_fragment", "truncated", "malformed", "tunnel_depth"}

func (r SkipReason) String() string {
	if r < numSkipReasons {
		return skipNames[r]
	}
	return "unknown"
}

// SkipReasons lists the reasons a frame can be skipped for.
func SkipReasons() []SkipReason {
	out := make([]SkipReason, 0, numSkipReasons-1)
	for r := SkipLinkType; r < numSkipReasons; r++ {
		out = append(out, r)
	}
	return out
}

// Stats counts what a capture source's decoding saw.
type Stats struct {
	Read    uint64                 // frames read
	Decoded uint64                 // frames that gave a TCP segment or a watched UDP datagram
	Skipped [numSkipReasons]uint64 // frames without one, by reason
	// Cut counts decoded frames whose payload the capture kept only in
	// part (a snap length shorter than the packet): the bytes it dropped
	// are gaps to the flow, which is judged on what remains.
	Cut uint64
}

// Count counts one frame that decoded into seg.
func (s *Stats) Count(seg *flow.Segment) {
	s.Decoded++
	if len(seg.Payload) < seg.PayloadLen {
		s.Cut++
	}
}

// Add adds o's counters to s.
func (s *Stats) Add(o *Stats) {
	s.Read += o.Read
	s.Decoded += o.Decoded
	s.Cut += o.Cut
	for i := range s.Skipped {
		s.Skipped[i] += o.Skipped[i]
	}
}
