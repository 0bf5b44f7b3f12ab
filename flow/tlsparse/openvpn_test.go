package tlsparse

import (
	"testing"

	"github.com/tlsentry/tlsentry/flow"
)

// The first packets of an OpenVPN connection over TCP on port 443 whose
// control channel shows no TLS, from nDPI's test capture openvpn.pcap
// (tests/cfgs/default/pcap, 127.0.0.1:36138 to 127.0.0.1:443): the
// client's hard reset (V2, 54 bytes), the head of its next packet (an
// ack: length, opcode and session id), and the server's hard reset.
const (
	ovpnClientReset = "0036382a56d979d99eccf40000000163cf4ff5b89824b0aa4e93c089c1e24af5" +
		"443766b5cab18c23c17d51081eb196a229085eec179d0d88"
	ovpnClientAckHead = "003e282a56d979d99eccf4"
	ovpnServerReset   = "0042402f64c09039de36230000000163cf4ff53036751e70bae8a84698d78c13" +
		"2edcf685ea93abfb4eda16e29f47208abaeeb8b2c6d71c379474de67682231f35717fb54"
)

func TestSniffOpenVPN(t *testing.T) {
	reset, ack, server := unhex(t, ovpnClientReset), unhex(t, ovpnClientAckHead), unhex(t, ovpnServerReset)
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	sniffCases{
		"client's reset and its ack":      {cat(reset, ack), SniffOpenVPN},
		"client's reset, resent":          {cat(reset, reset), SniffOpenVPN},
		"client's reset alone":            {reset, SniffBinary},
		"server's reset alone":            {server, SniffBinary},
		"reset cut short":                 {reset[:40], SniffBinary},
		"reset, then a stray byte":        {cat(reset, ack[:1]), SniffBinary},
		"reset, then another session's":   {cat(reset, server), SniffBinary},
		"reset under key id 1":            {cat(reset[:2], []byte{0x39}, reset[3:], ack), SniffBinary},
		"a control packet first":          {cat(reset[:2], []byte{0x20}, reset[3:], ack), SniffBinary},
		"reset, then a data packet":       {cat(reset, []byte{0, 9, 0x48}, reset[3:11]), SniffBinary},
		"length too short for a reset":    {cat([]byte{0, 13, 0x38}, reset[3:15], ack), SniffBinary},
		"a reset running past the window": {cat([]byte{0x03, 0x00, 0x38}, make([]byte, 800)), SniffBinary},
	}.check(t)
	// DNS over TCP opens with a length too, and a query's ID can look
	// like a reset's opcode: two queries in one stream are not OpenVPN.
	query := func(id byte) []byte {
		return cat([]byte{0, 29, 0x40, id, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0}, []byte("\x01i\x05ytimg\x03com\x00\x00\x01\x00\x01"))
	}
	if got := Sniff(cat(query(0xfd), query(0x3a))); got == SniffOpenVPN {
		t.Errorf("two DNS queries: Sniff = %q", got)
	}
	// Random bytes are OpenVPN's framing about once in 2^64 draws.
	neverRandom(t, 3, "OpenVPN", flow.OpenVPNSession)
}
