package eve

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"net/netip"
)

// IP protocol numbers of the flows tlsentry records.
const (
	ProtoTCP = 6
	ProtoUDP = 17
)

// CommunityID is the Community ID v1 of a flow (the flow hash Zeek and
// Suricata log as community_id, for pivoting between their records and
// ours): "1:" and the base64 SHA-1 of the seed, the endpoint that sorts
// first (address, then port) and the other, in network byte order, with
// the protocol and a zero byte between addresses and ports. Both
// directions give the same ID. A portless protocol hashes addresses only
// (pass zero ports and ports=false).
func CommunityID(seed uint16, proto uint8, a, b netip.AddrPort, ports bool) string {
	a = netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
	b = netip.AddrPortFrom(b.Addr().Unmap(), b.Port())
	if c := a.Addr().Compare(b.Addr()); c > 0 || (c == 0 && a.Port() > b.Port()) {
		a, b = b, a
	}
	var buf [2 + 16 + 16 + 2 + 4]byte
	in := binary.BigEndian.AppendUint16(buf[:0], seed)
	in = append(in, a.Addr().AsSlice()...)
	in = append(in, b.Addr().AsSlice()...)
	in = append(in, proto, 0)
	if ports {
		in = binary.BigEndian.AppendUint16(in, a.Port())
		in = binary.BigEndian.AppendUint16(in, b.Port())
	}
	sum := sha1.Sum(in)
	return "1:" + base64.StdEncoding.EncodeToString(sum[:])
}
