package flow

import "github.com/tlsentry/tlsentry/flow/quic"

// A UDP flow's client is the sender of its first Initial (startQUIC). A
// capture that merged the two directions out of order (two taps, one a
// few milliseconds late) may show the server's Initials first; they do
// not open with keys of their own connection IDs, so nothing of the flow
// opens. While that holds, the first side's datagrams are kept, and when
// the other side sends an Initial that opens as a client's, the roles
// turn: that side is the client, and the kept datagrams are read again
// as the server's.

// Bounds on the datagrams kept while a UDP flow has opened nothing: a
// server's first flight is a few datagrams, and an undecryptable flow
// (an unknown version, not QUIC at all) must not hold more.
const (
	maxPendingDatagrams = 4
	maxPendingBytes     = 6 << 10
)

// quicPending is what a UDP flow keeps of its first side's datagrams
// while none of its packets opened.
type quicPending struct {
	datagrams [][]byte
	cut       []bool // the capture cut the datagram (Segment.PayloadLen)
	bytes     int
}

// turnQUICRoles makes half d the client when the flow has opened nothing,
// d is the side taken for the server, and its datagram p opens as a
// client's Initial. It reports whether the roles turned; the kept
// datagrams are then the server's, for replayQUIC.
func (t *Table) turnQUICRoles(c *conn, d int, p []byte) bool {
	if d == int(c.clientDir) || c.qpend == nil || c.qc.Opened() || !quic.OpensAsClientInitial(p) {
		return false
	}
	c.clientDir = int8(d)
	c.byPort = false
	c.qc = quic.NewConn(t.cfg.HandshakeLimit)
	server := c.key.Hi.Port
	if d == 1 {
		server = c.key.Lo.Port
	}
	t.udp.mark(server)
	return true
}

// keepQUIC keeps a copy of the supposed client's datagram while the flow
// has opened nothing, within the bounds, when it starts with an Initial
// of a version with known keys (the only packets read again).
func (c *conn) keepQUIC(d int, p []byte, cut bool) {
	if c.qc.Opened() {
		c.qpend = nil
		return
	}
	if d != int(c.clientDir) {
		return
	}
	if h, err := quic.ParseLongHeader(p); err != nil || h.Type != quic.PacketInitial || !h.Version.Supported() {
		return
	}
	if c.qpend == nil {
		c.qpend = &quicPending{}
	}
	k := c.qpend
	if len(k.datagrams) == maxPendingDatagrams || k.bytes+len(p) > maxPendingBytes {
		return
	}
	k.datagrams = append(k.datagrams, append([]byte(nil), p...))
	k.cut = append(k.cut, cut)
	k.bytes += len(p)
}

// replayQUIC reads the kept datagrams again as the server's, after the
// roles turned, and lets them go.
func (c *conn) replayQUIC() {
	k := c.qpend
	c.qpend = nil
	for i, p := range k.datagrams {
		if k.cut[i] {
			c.qc.CutDatagram(p, false)
		} else {
			c.qc.Datagram(p, false)
		}
	}
}
