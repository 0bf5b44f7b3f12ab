package quic

import "testing"

// rewind forgets what the Conn's sides received but keeps its keys and
// buffers: the state before a connection's first Initial once keys exist.
func (c *Conn) rewind() {
	for _, s := range []*side{&c.client, &c.server} {
		s.stream.reset()
		s.nextPN = 0
		s.info = SideInfo{}
	}
	c.info = Info{}
}

// BenchmarkClientInitial is the cost of one client Initial once the
// connection's keys exist: header parse, header protection, AES-GCM open
// of 1200 bytes, frames, CRYPTO reassembly (the RFC 9001 sample, a 241-byte
// ClientHello and padding).
func BenchmarkClientInitial(b *testing.B) {
	pkt := vectors(b, "rfc9001")["client_packet"]
	c := NewConn(0)
	c.Datagram(pkt, true)
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	for b.Loop() {
		c.rewind()
		c.Datagram(pkt, true)
	}
	if !c.ClientHelloDone() {
		b.Fatal("no hello")
	}
}

// BenchmarkNewConnClientInitial adds the per-connection key setup (HKDF
// and cipher construction for both directions) to BenchmarkClientInitial.
func BenchmarkNewConnClientInitial(b *testing.B) {
	pkt := vectors(b, "rfc9001")["client_packet"]
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	for b.Loop() {
		c := NewConn(0)
		c.Datagram(pkt, true)
		if !c.ClientHelloDone() {
			b.Fatal("no hello")
		}
	}
}

// BenchmarkShortHeader is what a 1-RTT datagram of a QUIC flow costs once
// the handshake is read: it is recognised and skipped.
func BenchmarkShortHeader(b *testing.B) {
	c := NewConn(0)
	c.Datagram(vectors(b, "rfc9001")["client_packet"], true)
	pkt := make([]byte, 1200)
	pkt[0] = 0x41
	b.ReportAllocs()
	for b.Loop() {
		c.Datagram(pkt, false)
	}
}

func BenchmarkLooksLikeQUIC(b *testing.B) {
	pkt := vectors(b, "rfc9001")["client_packet"]
	b.ReportAllocs()
	for b.Loop() {
		if !LooksLikeQUIC(pkt) {
			b.Fatal("not QUIC")
		}
	}
}
