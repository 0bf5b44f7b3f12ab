package sensor

// SkipReason says why a frame gave no TCP segment.
type SkipReason uint8

// Skip reasons, counted in the summary and in metrics.
const (
	SkipNone        SkipReason = iota
	SkipLinkType               // link type the decoder does not know
	SkipNotIP                  // ARP, LLDP, unknown ethertypes and address families
	SkipNotTCP                 // UDP (other than tunnels), ICMP, other IP protocols
	SkipFragment               // IP fragments: TLS handshakes are not sent fragmented
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
