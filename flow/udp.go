package flow

import (
	"github.com/tlsentry/tlsentry/flow/quic"
	"github.com/tlsentry/tlsentry/flow/tlsrecord"
)

// UDP flows are tracked for QUIC only. A datagram of no tracked flow opens
// one when it looks like the start of a QUIC connection (opensQUIC: a
// long-header packet of a known version, or a client's packet of Google
// QUIC before Q050 in clear); every datagram of the flow
// then goes to its quic.Conn, which opens both sides' Initial packets and
// reassembles their CRYPTO streams. The flow is complete when both hellos
// are whole; its handshake bytes are the two CRYPTO streams, and its
// prefix is their first PrefixSize bytes, the client's then the server's,
// so that the detector sees handshake messages as it does for TCP. Any
// other UDP costs a map lookup and a look at its first bytes.

// udpLists are the recency lists of UDP flows (least recently seen first):
// those still collecting, and those handed out but remembered until they
// idle out, so that their later datagrams are only counted. Both lists
// expire after UDPIdleTimeout.
//
// ports marks the server port of every UDP flow the table has opened
// (never cleared): a datagram with neither port marked belongs to no
// tracked flow, which spares most UDP (DNS and the like) a probe of the
// large connection map, a cache miss each. Eight KiB, kept in cache.
type udpLists struct {
	active, finished connList
	ports            *[65536 / 64]uint64
}

// mark notes a new UDP flow's server port.
func (u *udpLists) mark(port uint16) {
	if u.ports == nil {
		u.ports = new([65536 / 64]uint64)
	}
	u.ports[port/64] |= 1 << (port % 64)
}

// maybe reports whether a datagram between these ports may belong to a
// tracked flow.
func (u *udpLists) maybe(a, b uint16) bool {
	return u.ports != nil && (u.ports[a/64]&(1<<(a%64)) != 0 || u.ports[b/64]&(1<<(b%64)) != 0)
}

// activeList is the list a new connection of transport tr starts on.
func (t *Table) activeList(tr Transport) *connList {
	if tr == TransportUDP {
		return &t.udp.active
	}
	return &t.active
}

// leastRecentActive is the collecting connection, of either transport,
// seen least recently: the one a full table hands out to make room.
func (t *Table) leastRecentActive() *conn {
	a, u := t.active.head, t.udp.active.head
	for _, l := range []*connList{&t.speaking, &t.notTLS, &t.closing} {
		if c := l.head; c != nil && (a == nil || c.seen < a.seen) {
			a = c
		}
	}
	switch {
	case a == nil:
		return u
	case u == nil:
		return a
	case u.seen < a.seen:
		return u
	}
	return a
}

// expireUDP ends the UDP flows idle for longer than their timeout, at
// the time their silence reached it.
func (t *Table) expireUDP() {
	t.expireList(&t.udp.active)
	t.expireList(&t.udp.finished)
}

// Clocked reports whether a segment moves a table's packet time: TCP
// segments do, and UDP datagrams that look like QUIC long-header packets.
// Other UDP is as if filtered out before the table (most of it is not for
// the table), and so is a QUIC flow's later traffic, which cannot open a
// flow: a source that advances every table's time for the table (as the
// Dispatcher does) asks this, so that any sharding ends flows alike.
func (s *Segment) Clocked() bool {
	return s.Transport != TransportUDP || opensQUIC(s.Payload)
}

// opensQUIC reports whether a datagram may open a QUIC flow: a long-header
// packet of a version package quic knows of, or a client's packet of
// Google QUIC before Q050 in clear (quic.LooksLikeQUIC), but not a Version
// Negotiation packet (a long header's version 0), which only answers a
// client's Initial that the capture would have shown first, and whose few
// fixed bits other protocols match by chance (an LLMNR query does).
func opensQUIC(p []byte) bool {
	if !quic.LooksLikeQUIC(p) {
		return false
	}
	return p[0]&0x80 == 0 || (p[1]|p[2]|p[3]|p[4]) != 0
}

// datagram takes one UDP datagram.
func (t *Table) datagram(s *Segment) {
	t.stats.Datagrams++
	quicLike := opensQUIC(s.Payload)
	clock := s.Now // other UDP moves no clock of its own (Clocked)
	if quicLike {
		clock = max(clock, s.Time)
	}
	t.tick(clock)
	if !quicLike && !t.udp.maybe(s.Src.Port, s.Dst.Port) {
		t.stats.NotQUIC++
		return
	}
	key, srcIsLo := SegmentKey(s)
	c := t.conns[key]
	if c != nil && t.now-c.seen > shortestTimeout && t.lapse(c) {
		c = nil // it timed out before this datagram, as after a sweep
	}
	if c == nil {
		if !quicLike {
			t.stats.NotQUIC++
			return
		}
		c = t.open(key, s, 0)
		c.startQUIC(dirOf(srcIsLo), s.Payload, t.cfg.HandshakeLimit)
		server := c.key.Hi.Port
		if c.clientDir == 1 {
			server = c.key.Lo.Port
		}
		t.udp.mark(server)
	} else {
		t.touch(c)
	}
	c.datagram(t, s, srcIsLo)
}

// startQUIC gives a new UDP flow its QUIC state and decides which side is
// the client from its first datagram (from half d): the sender of an
// Initial or 0-RTT packet, or of a version the package cannot decrypt (a
// client trying a version); the receiver of a Retry, which only servers
// send; otherwise (a Handshake packet: the capture missed the Initials)
// the side with the higher port.
func (c *conn) startQUIC(d int, first []byte, limit int) {
	c.qc = quic.NewConn(limit)
	c.clientDir = int8(d)
	h, _ := quic.ParseLongHeader(first)
	switch h.Type {
	case quic.PacketRetry:
		c.clientDir = int8(1 - d)
	case quic.PacketHandshake:
		c.byPort = true
		c.clientDir = int8(c.dirByPort())
	}
}

// datagram counts a datagram of half d and, while the flow is collecting,
// hands it to the flow's QUIC state.
func (c *conn) datagram(t *Table, s *Segment, srcIsLo bool) {
	d := dirOf(srcIsLo)
	h := &c.halves[d]
	h.pkts++
	h.byts += uint64(s.WireLen)
	if s.Time > c.last {
		c.last = s.Time
	}
	c.seen = t.now
	if c.emitted {
		t.stats.LateSegments++
		return
	}
	if s.TinyFragment > 0 {
		c.tinyFragments(d, s) // QUIC forbids IP fragmentation outright (RFC 9000 14)
	}
	cut := len(s.Payload) < s.PayloadLen
	if cut {
		// Cut short by the capture: a cut Initial does not open, and
		// whatever it carried is missing.
		c.prefixGap = true
	}
	// Datagrams before the client's first Initial are read again after
	// it (udproles.go).
	if !t.restartQUIC(c, d, s.Payload, cut) {
		feedQUIC(c.qc, s.Payload, d == int(c.clientDir), cut)
		c.keepQUIC(d, s.Payload, cut)
	}
	if c.qpend != nil || c.charged != 0 {
		t.account(c) // the kept datagrams' charge (a UDP flow holds no other)
	}
	switch {
	case c.qc.ClientHelloDone() && helloesDone(c.qc.ClientCrypto(), c.qc.ServerCrypto()), c.qc.GoogleHandshakeDone():
		// The rest of the handshake is in Handshake packets, which a
		// passive sensor cannot open (in Google QUIC Crypto, encrypted
		// after the client's full CHLO): nothing more to collect.
		t.finish(c, EndComplete)
	case s.Time-c.first > int64(t.cfg.MaxAge):
		t.finish(c, EndMaxAge)
	}
}

// udpFlow builds the record handed out for a UDP flow. The flow takes the
// CRYPTO streams' buffers, and the connection lets its QUIC state go: its
// later datagrams are only counted.
func (c *conn) udpFlow(why EndReason) *Flow {
	cd := int(c.clientDir)
	info := c.qc.Info()
	cs, ss := c.qc.ClientCrypto(), c.qc.ServerCrypto()
	f := c.newFlow(cd, why)
	f.Transport = TransportUDP
	f.Midstream = info.Client.Initials == 0 && info.UnsupportedVersion == 0
	f.ClientHandshake, f.ServerHandshake = nonEmpty(cs), nonEmpty(ss)
	f.ClientHandshakeGap, f.ServerHandshakeGap = c.qc.ClientHelloLost(), c.qc.ServerCryptoHoled()
	f.QUIC = &QUIC{Info: info, Undecrypted: info.Client.Initials > 0 && info.Client.Decrypted == 0}
	if k := c.conflicts; k != nil {
		f.ClientTinyFragments, f.ServerTinyFragments = k.tiny[cd], k.tiny[1-cd]
		c.conflicts = nil
	}
	if n := min(len(cs)+len(ss), PrefixSize); n > 0 {
		f.Prefix = make([]byte, 0, n)
		f.Prefix = append(f.Prefix, cs[:min(len(cs), n)]...)
		if len(cs) > 0 {
			f.PrefixRuns = append(f.PrefixRuns, PrefixRun{FromClient: true, Len: len(f.Prefix)})
		}
		if k := n - len(f.Prefix); k > 0 {
			f.Prefix = append(f.Prefix, ss[:k]...)
			f.PrefixRuns = append(f.PrefixRuns, PrefixRun{FromClient: false, Len: k})
		}
	}
	c.qc, c.qpend = nil, nil
	return f
}

// helloesDone reports whether the CRYPTO streams hold both sides' hellos:
// the server's whole (serverHelloDone), and after a HelloRetryRequest the
// client's second ClientHello too, which in capture order came before the
// server's hello that answers it, but not when the capture showed the
// server's datagrams first (udproles.go).
func helloesDone(client, server []byte) bool {
	if !serverHelloDone(server) {
		return false
	}
	if n := wholeMessage(server, hsServerHello); !tlsrecord.IsHelloRetryRequest(server[:n]) {
		return true
	}
	n := wholeMessage(client, hsClientHello)
	return n > 0 && wholeMessage(client[n:], hsClientHello) > 0
}

// serverHelloDone reports whether a server's CRYPTO stream holds its whole
// ServerHello: the first message, or after a HelloRetryRequest the one
// that follows (the client's second ClientHello comes between them).
func serverHelloDone(b []byte) bool {
	n := wholeMessage(b, hsServerHello)
	if n == 0 {
		return false
	}
	if !tlsrecord.IsHelloRetryRequest(b[:n]) {
		return true
	}
	return wholeMessage(b[n:], hsServerHello) > 0
}

// wholeMessage is the length of the handshake message of type typ at the
// start of b, header included; 0 when b does not start with a whole one.
func wholeMessage(b []byte, typ byte) int {
	if len(b) < 4 || b[0] != typ {
		return 0
	}
	n := 4 + (int(b[1])<<16 | int(b[2])<<8 | int(b[3]))
	if n > len(b) {
		return 0
	}
	return n
}

// nonEmpty is b, or nil when it holds nothing.
func nonEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
