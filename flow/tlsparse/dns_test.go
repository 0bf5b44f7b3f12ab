package tlsparse

import (
	"bytes"
	"testing"
)

// dnsQuery is a client's first bytes on TCP port 53: an AAAA query for
// clients4.google.com (a 2026 browsing capture of the sixth sealed set,
// dattran-youtube-2026-06-07.pcap in bench/outofbox/labels-c6.tsv).
const dnsQuery = "00255e7a01000001000000000000" + "08636c69656e747334" + "06676f6f676c65" + "03636f6d00" + "001c0001"

func TestSniffDNS(t *testing.T) {
	q := unhex(t, dnsQuery)
	sniffCases{
		"a query":                          {q, SniffDNS},
		"a query and the next":             {append(bytes.Clone(q), q...), SniffDNS},
		"cut inside the name":              {q[:20], SniffBinary},
		"two questions":                    {withByte(q, 7, 2), SniffBinary},
		"the reserved flag bit set":        {withByte(q, 5, 0x40), SniffBinary},
		"opcode 3 (unassigned)":            {withByte(q, 4, 0x18), SniffBinary},
		"a label of 64 bytes":              {withByte(q, 14, 64), SniffBinary},
		"a space in a label":               {withByte(q, 16, ' '), SniffBinary},
		"class 7 (unassigned)":             {withByte(q, len(q)-1, 7), SniffBinary},
		"a length too short for a message": {withByte(q, 1, 12), SniffBinary},
	}.check(t)
	neverRandom(t, 9, "DNS", looksDNS)
}
