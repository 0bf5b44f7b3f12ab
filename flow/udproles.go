package flow

import "github.com/tlsentry/tlsentry/flow/quic"

// A UDP flow's client is the sender of its first Initial (startQUIC), and
// the Initial keys come from the client's first Initial. A capture that
// merged the two directions out of order (two taps, one late) may show
// the server's datagrams first: its Initials (taken for the client's when
// one opened the flow, or, after a Retry seen first, the server's
// Initials before any key exists) do not open, and the flow never
// completes. While nothing of the flow has opened, its datagrams are
// kept; when one arrives that opens as a client's first Initial, that
// side is the client, and the flow's QUIC state is made again from it and
// the kept datagrams, in their order, as if the capture had shown the
// client's Initial first.

// Bounds on what a UDP flow keeps while nothing of it has opened: a
// server's first flight is a few datagrams, and a flow that never opens
// (an unknown version, not QUIC at all) must hold and try no more.
const (
	maxPendingDatagrams = 6
	maxPendingBytes     = 9 << 10
	maxRoleTrials       = 16
)

// quicPending is what a UDP flow keeps while nothing of it opened.
type quicPending struct {
	datagrams [][]byte
	dirs      []int8 // the half each came from
	cut       []bool // the capture cut it (Segment.PayloadLen)
	bytes     int
	trials    int // datagrams tried as a client's first Initial
}

// restartQUIC remakes the flow's QUIC state when it has opened nothing,
// some datagrams were kept, and datagram p of half d opens as a client's
// first Initial: half d is the client, p is read first, then the kept
// datagrams. It reports whether it did, p then read.
func (t *Table) restartQUIC(c *conn, d int, p []byte, cut bool) bool {
	k := c.qpend
	if k == nil || c.qc.Opened() || k.trials == maxRoleTrials {
		return false
	}
	k.trials++
	if cut || !quic.OpensAsClientInitial(p) {
		return false
	}
	c.qpend = nil
	if d != int(c.clientDir) {
		c.clientDir, c.byPort = int8(d), false
		server := c.key.Hi.Port
		if d == 1 {
			server = c.key.Lo.Port
		}
		t.udp.mark(server)
	}
	c.qc = quic.NewConn(t.cfg.HandshakeLimit)
	c.qc.Datagram(p, true)
	for i, b := range k.datagrams {
		feedQUIC(c.qc, b, int(k.dirs[i]) == d, k.cut[i])
	}
	return true
}

// feedQUIC gives a datagram to a flow's QUIC state, as one the capture
// cut when cut is set.
func feedQUIC(qc *quic.Conn, p []byte, fromClient, cut bool) {
	if cut {
		qc.CutDatagram(p, fromClient)
	} else {
		qc.Datagram(p, fromClient)
	}
}

// keepQUIC keeps a copy of a datagram of half d while the flow has opened
// nothing, within the bounds, and lets the copies go once it has.
func (c *conn) keepQUIC(d int, p []byte, cut bool) {
	if c.qc.Opened() {
		c.qpend = nil
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
	k.dirs = append(k.dirs, int8(d))
	k.cut = append(k.cut, cut)
	k.bytes += len(p)
}
