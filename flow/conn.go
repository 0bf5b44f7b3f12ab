package flow

import (
	"bytes"
	"time"

	"github.com/tlsentry/tlsentry/flow/quic"
	"github.com/tlsentry/tlsentry/flow/tlsrecord"
)

// prefixRun records which half sent a stretch of the prefix.
type prefixRun struct {
	half  uint8
	mixed bool
	n     uint16
}

// conn is the state of one tracked connection. halves[0] holds the bytes
// sent by the key's Lo endpoint, halves[1] those sent by Hi.
type conn struct {
	key        Key
	prev, next *conn     // recency list links
	list       *connList // the list it is on

	id          uint64
	hash        uint64 // key.Hash()
	first, last int64  // its first and latest packet's own times, for the record
	seen        int64  // network time of its latest packet, for its timeouts (clock.go)
	halves      [2]half
	clientDir   int8 // index of the client's half; -1 until known
	byPort      bool // client chosen by the port heuristic
	prefix      []byte
	runs        []prefixRun
	prefixGap   bool
	emitted     bool
	closed      bool  // FIN both ways or RST seen
	pickup      bool  // opened mid-stream on a connection given up by rem
	early       early // what the client's first bytes said (early.go)
	answered    bool  // the server sent bytes after the client's first bytes were judged
	// hbWatch: the server's hello calls for the heartbeat watch, so the
	// connection is followed past its handshake (records.go).
	hbWatch     bool
	hbDecided   bool // the server's hello was read for the watch
	serverProbe bool // probe holds the server's bytes, which came before any of the client's
	probeN      uint8
	judgedAt    int64          // packet time when the first bytes said earlyNotTLS
	probe       [probeLen]byte // the first bytes judged (the client's, or a server's that spoke first), until judged
	charged     int64          // bytes of its buffers charged to the memory budget
	memLinks    [numMemLists]memLink
	qc          *quic.Conn   // UDP flows: their QUIC state until handed out
	qpend       *quicPending // UDP flows: their datagrams while nothing of them opened (udproles.go)
	conflicts   *conflicts   // stream bytes sent twice, different (conflict.go); stray data (stray.go)
	hello       helloSegs    // how the client's segments carried its first record (hellosegs.go)
	// serverAnswered: the server's first data acknowledged client bytes
	// not seen yet (Flow.ServerAnswered).
	serverAnswered bool
	// resetWait: a reset from half resetDir acknowledged its peer's stream
	// up to resetAck, past the bytes seen (resetahead.go).
	resetWait bool
	resetDir  int8
	resetAck  uint32
	// held: deliveries that wait for their peer's bytes (ackorder.go);
	// heldOff: holding was given up for the connection.
	held    *heldBytes
	heldOff bool
}

// init starts tracking a connection. Its id depends only on the
// connection (5-tuple, first packet's time, sequence number and flags), so
// it is the same on every run and however the table is sharded; prev is
// the id of the connection this one replaces on the same 5-tuple (0 if
// none), which it must not repeat.
func (c *conn) init(key Key, s *Segment, prev uint64) {
	*c = conn{key: key, hash: key.Hash(), first: s.Time, last: s.Time, clientDir: -1}
	h := c.hash ^ uint64(s.Time)*0x9e3779b97f4a7c15 ^ (uint64(s.Seq)<<8|uint64(s.Flags))*0xc2b2ae3d27d4eb4f
	// Kept below 2^52 so JSON readers that use doubles read ids exactly.
	c.id = h & (1<<52 - 1)
	if c.id == prev {
		c.id = (c.id + 1) & (1<<52 - 1)
	}
}

// release drops references so a recycled conn holds no memory.
func (c *conn) release() { *c = conn{} }

func dirOf(srcIsLo bool) int {
	if srcIsLo {
		return 0
	}
	return 1
}

// isNewConnection reports whether a SYN starts a new connection on a
// 5-tuple the table still tracks (port reuse), rather than repeating the
// SYN of this one.
func (c *conn) isNewConnection(s *Segment, srcIsLo bool) bool {
	if s.Flags&(FlagSYN|FlagACK) != FlagSYN {
		return false
	}
	if c.closed {
		return true // a SYN after RST or FIN opens a new connection, even with the old ISN
	}
	h, peer := &c.halves[dirOf(srcIsLo)], &c.halves[1-dirOf(srcIsLo)]
	if h.synSeen {
		return s.Seq != h.isn
	}
	if !c.emitted && h.pkts == 0 && h.hasHint && s.Seq+1 == h.ackHint {
		// The SYN its peer's SYN-ACK answered, captured after it (a tap
		// whose two directions are merged with clocks apart, receive
		// queues that reorder them): this connection's, late.
		return false
	}
	return c.emitted || h.finSeen || peer.finSeen || h.streamed > 0 || peer.streamed > 0
}

func (c *conn) process(t *Table, s *Segment, srcIsLo bool) {
	d := dirOf(srcIsLo)
	h := &c.halves[d]
	h.pkts++
	h.byts += uint64(s.WireLen)
	if s.Time > c.last {
		c.last = s.Time
	}
	c.seen = t.now
	seq := s.Seq
	if s.Flags&FlagSYN != 0 {
		if c.clientDir < 0 {
			if s.Flags&FlagACK == 0 {
				c.clientDir = int8(d)
			} else {
				c.clientDir = int8(1 - d)
			}
		}
		if !h.synSeen {
			h.synSeen, h.isn, h.synPlain = true, s.Seq, !s.Signed
			if !h.started {
				h.started, h.next = true, s.Seq+1
			}
		} else if s.Seq != h.isn && h.streamed == 0 && len(h.pending) == 0 {
			h.synAgain = true
		}
		seq++ // the SYN takes one sequence number; data on a SYN follows it
	}
	if s.Flags&FlagACK != 0 {
		peer := &c.halves[1-d]
		// What the peer's stream reached, told by a side in sync with the
		// connection (a stray or challenge ACK may carry any number).
		if (h.synSeen || h.started) && s.Flags&FlagRST == 0 && peer.started && seqDiff(s.Ack, peer.next) > 0 && seqDiff(s.Ack, peer.next) < maxAckAhead &&
			(!peer.ackSeen || seqDiff(s.Ack, peer.acked) > 0) {
			peer.ackSeen, peer.acked = true, s.Ack
		}
		// Early in a connection whose start we saw, the peer's first byte is
		// the one we acknowledge: remember it in case its SYN-ACK was lost.
		if h.synSeen && !peer.started && !peer.hasHint {
			peer.hasHint, peer.ackHint = true, s.Ack
		}
		// Of a peer's SYNs with different sequence numbers, the one we
		// acknowledge is the connection's (a client takes the first
		// acceptable SYN-ACK; a middlebox or an injector may send others).
		if peer.synAgain && peer.streamed == 0 && len(peer.pending) == 0 && s.Ack != peer.isn+1 {
			peer.isn, peer.next = s.Ack-1, s.Ack
		}
		if s.PayloadLen > 0 && c.clientDir == int8(1-d) && peer.streamed == 0 && peer.acksUnseen(s.Ack) {
			c.serverAnswered = true
		}
	}
	if s.TinyFragment > 0 {
		c.tinyFragments(d, s)
	}
	// Stray data is no stream byte: the endpoint drops it (stray.go).
	if noACKData(s) {
		c.noACK(t, d, seq, s)
	} else if s.PayloadLen > 0 && s.Signed && h.synPlain {
		c.signedData(t, d, seq, s)
	} else if s.PayloadLen > 0 && !ackPadding(s) && !c.whollyBeforeStart(t, d, seq, s) {
		if c.list == &t.active {
			t.active.remove(c)
			t.speaking.pushBack(c) // the verdict timeout applies now
		}
		if c.clientDir < 0 {
			c.chooseClient(d, s)
		}
		if c.wants(d) {
			sk := c.sink(t)
			sk.ack, sk.ackOK = s.Ack, s.Flags&(FlagACK|FlagRST) == FlagACK
			h.add(seq, s.Payload, s.PayloadLen, t.cfg.MaxPending, &t.stats, sk, d, s.Flags&FlagRST == 0)
			t.account(c)
			c.reconsider(t)
		} else if s.Flags&FlagRST == 0 {
			h.recheck(seq, s.Payload, s.PayloadLen, c.sink(t), d) // bytes it has, said again
		}
	}
	if s.Flags&FlagFIN != 0 {
		h.finSeen, h.finSeq = true, seq+uint32(s.PayloadLen)
	}
	if s.Flags&(FlagSYN|FlagRST) == 0 {
		h.noteSent(seq + uint32(s.PayloadLen))
	}
	if c.held != nil {
		c.releaseHeld(t, false) // the peer's bytes may have come, or shown they were lost
		t.account(c)
	}
	switch {
	case s.Flags&FlagRST != 0 && c.resetAhead(d, s):
		t.awaitReset(c, d, s) // its peer's bytes may come after it (resetahead.go)
	case s.Flags&FlagRST != 0, c.resetCaughtUp():
		t.close(c, EndRST)
	case h.finSeen && c.halves[1-d].finSeen:
		t.close(c, EndFIN)
	case c.complete():
		t.finish(c, EndComplete)
	case c.decided():
		t.finish(c, EndDecided)
	case s.Time-c.first > int64(t.cfg.MaxAge):
		t.finish(c, EndMaxAge)
	}
}

// ackPadding reports an acknowledgement without data to push whose IP
// length counted its Ethernet frame's zero padding as payload: 2 to 7
// zero bytes, ACK without PSH. Some networks' devices send such frames
// (on SYN-ACKs too), which nDPI's tcp_ack_payload_heuristic ignores and
// whose test capture they come from; taken as stream bytes they sit where
// the next real segment's bytes go. One byte is left alone: a
// keep-alive's garbage byte is old stream data.
func ackPadding(s *Segment) bool {
	if s.Flags&(FlagACK|FlagPSH) != FlagACK || s.PayloadLen < 2 || s.PayloadLen > 7 || len(s.Payload) != s.PayloadLen {
		return false
	}
	for _, b := range s.Payload {
		if b != 0 {
			return false
		}
	}
	return true
}

// wants reports whether direction d still needs stream bytes.
func (c *conn) wants(d int) bool {
	h := &c.halves[d]
	return len(c.prefix) < PrefixSize || h.hs.needsMore() || c.hbWatch && h.recs.active() && !c.heartbeatsSettled()
}

func (c *conn) complete() bool {
	return len(c.prefix) >= PrefixSize && !c.halves[0].hs.needsMore() && !c.halves[1].hs.needsMore() &&
		(!c.hbWatch || c.heartbeatsSettled())
}

// chooseClient decides, without a SYN, which side is the client: the
// sender of a ClientHello or of an HTTP request; the receiver of a
// ServerHello; otherwise the side with the higher port (servers listen on
// the lower, well-known ports).
func (c *conn) chooseClient(d int, s *Segment) {
	p := s.Payload
	switch {
	case tlsrecord.HelloStart(p, false) || tlsrecord.IsSSLv2ClientHello(p) || looksLikeRequest(p):
		c.clientDir = int8(d)
	case tlsrecord.HelloStart(p, true):
		c.clientDir = int8(1 - d)
	default:
		c.byPort = true
		c.clientDir = int8(c.dirByPort())
	}
}

func (c *conn) dirByPort() int {
	if c.key.Lo.Port > c.key.Hi.Port {
		return 0 // Lo has the higher port: Lo is the client
	}
	return 1
}

var requestMethods = [][]byte{
	[]byte("GET "), []byte("POST "), []byte("HEAD "), []byte("PUT "), []byte("DELETE "),
	[]byte("OPTIONS "), []byte("CONNECT "), []byte("PATCH "), []byte("\x05\x01\x00"), // SOCKS5 greeting
}

func looksLikeRequest(p []byte) bool {
	for _, m := range requestMethods {
		if bytes.HasPrefix(p, m) {
			return true
		}
	}
	return false
}

// connSink adapts a conn to the reassembler's sink without allocating.
// ack is the acknowledgement of the segment whose bytes it delivers
// (ackOK: it has one to go by), which may hold them back (ackorder.go).
type connSink struct {
	c     *conn
	t     *Table
	ack   uint32
	ackOK bool
}

func (c *conn) sink(t *Table) *connSink {
	t.sinkScratch = connSink{c: c, t: t}
	return &t.sinkScratch
}

func (s *connSink) deliver(d int, data []byte, gap bool) {
	c := s.c
	h := &c.halves[d]
	off := h.streamed
	// The hole is in the prefix if it opened before the prefix was full.
	holeEarly := h.holeAt > 0 && h.holeAt-1 < PrefixSize
	hold, waits := c.holdsBack(d, s.ack, s.ackOK)
	if hold {
		c.hold(s.t, d, data, gap, holeEarly, waits, off, s.ack)
	} else {
		c.takeShared(s.t, d, data, gap, holeEarly, off)
	}
	c.takeOwn(s.t, d, data, gap, off)
	if !hold && c.held != nil {
		c.releaseHeld(s.t, false)
	}
}

// takeShared gives the parts of the connection that read both sides in
// the order they spoke, the first-bytes judgement and the prefix, half
// d's next in-order bytes: data at stream offset off (gap: bytes before
// them are missing; holeEarly: the hole opened before the prefix was
// full).
func (c *conn) takeShared(t *Table, d int, data []byte, gap, holeEarly bool, off int) {
	h := &c.halves[d]
	if gap {
		if !h.holed {
			h.holed, h.intact = true, c.prefixBytesOf(d)
		}
		if len(c.prefix) < PrefixSize || holeEarly {
			c.prefixGap = true
		}
	}
	if len(data) == 0 {
		return
	}
	client := int(c.clientDir) == d
	if client && c.serverProbe {
		c.clientSpeaks(t) // judged by what the client says, as any client
	}
	if c.early != earlyOpen {
		switch {
		case c.early == earlyUnknown && client:
			c.judgeStart(t, d, data, gap, off)
		case c.early == earlyUnknown:
			c.judgeServerFirst(t, d, data, gap, off)
		case c.early == earlyNotTLS && !client && !c.serverProbe:
			c.answered = true
		}
	}
	if n := PrefixSize - len(c.prefix); n > 0 {
		if c.prefix == nil {
			c.prefix = make([]byte, 0, PrefixSize)
		}
		k := min(n, len(data))
		c.prefix = append(c.prefix, data[:k]...)
		c.addRun(d, k)
		if len(c.prefix) == PrefixSize {
			c.judgeProgram(t)
		}
	}
}

// takeOwn gives the parts of the connection that read one side alone,
// the client's hello segments, the handshake capture and the record
// walk, half d's next in-order bytes (as takeShared).
func (c *conn) takeOwn(t *Table, d int, data []byte, gap bool, off int) {
	h := &c.halves[d]
	if gap {
		h.gapped = true
		h.hs.markGap()
		if h.recs.on {
			h.recs.stop() // the records cannot be framed across missing bytes
		}
	}
	if len(data) == 0 {
		return
	}
	if int(c.clientDir) == d {
		c.hello.note(off, data, h.gapped)
	}
	if h.hs.needsMore() {
		c.feedHandshake(t, d, data, off)
	}
	if h.recs.active() {
		h.recs.feed(data, off, PrefixSize+t.cfg.HandshakeLimit)
	}
}

// feedHandshake gives the handshake capture of half d its next bytes (at
// stream offset off). The hello it finds starts the half's record walk,
// and a server's hello may have the connection watched past its
// handshake (watchesHeartbeats).
func (c *conn) feedHandshake(t *Table, d int, data []byte, off int) {
	h := &c.halves[d]
	accept := uint8(acceptClient)
	switch {
	case c.byPort:
		accept = acceptClient | acceptServer
	case int(c.clientDir) != d:
		accept = acceptServer
		if other := &c.halves[1-d].hs; other.stage != hsScanning && other.buf != nil && !other.server {
			accept |= acceptAlert // the client's hello is there: the server may refuse it
		}
	}
	wasScanning := h.hs.stage == hsScanning
	h.hs.feed(data, off, accept, t.cfg.HandshakeLimit, t.cfg.ScanLimit)
	if c.byPort && wasScanning && h.hs.stage != hsScanning && h.hs.buf != nil {
		// A hello settles what the port numbers only guessed.
		c.byPort = false
		if h.hs.server {
			c.clientDir = int8(1 - d)
		} else {
			c.clientDir = int8(d)
		}
	}
	if wasScanning && h.hs.stage != hsScanning && h.hs.buf != nil && !h.hs.sslv2 && h.hs.ovpn == nil && !h.recs.on {
		h.recs.start(h.hs.start)
	}
	// The server's hello decides the watch, not its whole flight: a capture
	// that lost the flight's end (its last segments never came) would
	// otherwise leave the client's second flight, a client certificate or
	// a heartbeat, unread.
	if h.hs.server && h.recs.on && !c.hbWatch && !c.hbDecided && (h.hs.stage == hsDone || firstRecordWhole(h.hs.buf)) {
		c.hbWatch, c.hbDecided = watchesHeartbeats(h.hs.buf), true
	}
}

func (c *conn) addRun(d, n int) {
	last := len(c.runs) - 1
	switch {
	case last >= 0 && (c.runs[last].half == uint8(d) || c.runs[last].mixed):
		c.runs[last].n += uint16(n)
	case len(c.runs) == maxPrefixRuns:
		c.runs[last].mixed = true
		c.runs[last].n += uint16(n)
	default:
		if c.runs == nil {
			c.runs = make([]prefixRun, 0, 4)
		}
		c.runs = append(c.runs, prefixRun{half: uint8(d), n: uint16(n)})
	}
}

func (s *connSink) prefixLen() int { return len(s.c.prefix) }

// prefixBytesOf counts the prefix bytes half d sent, as Flow.SideBytes
// reads them (runs of one side only).
func (c *conn) prefixBytesOf(d int) int {
	n := 0
	for _, r := range c.runs {
		if r.half == uint8(d) && !r.mixed {
			n += int(r.n)
		}
	}
	return n
}

// toFlow builds the record handed out for the connection, giving it the
// connection's buffers.
func (c *conn) toFlow(t *Table, why EndReason) *Flow {
	if c.key.Transport == TransportUDP {
		return c.udpFlow(why)
	}
	sk := c.sink(t)
	for d := range c.halves {
		c.halves[d].flushPending(sk, d)
		// Bytes the flow still wanted went by unseen at the stream's end
		// (a lost last segment): a gap, as one in the middle would be, so
		// that a hello the capture cut is not taken for one the client cut.
		if c.halves[d].tailLost() && c.wants(d) {
			sk.deliver(d, nil, true)
		}
	}
	c.releaseHeld(t, true)
	cd := int(c.clientDir)
	if cd < 0 {
		c.byPort = true
		cd = c.dirByPort()
	}
	f := c.newFlow(cd, why)
	ch, sh := &c.halves[cd], &c.halves[1-cd]
	f.Prefix = c.prefix
	f.Midstream = !ch.synSeen && !sh.synSeen
	f.ClientSYN = ch.synSeen
	f.ServerAnswered = c.serverAnswered
	f.PickupAfterEviction = c.pickup
	f.ClientHandshake, f.ServerHandshake = ch.hs.buf, sh.hs.buf
	f.ClientHandshakeGap, f.ServerHandshakeGap = ch.hs.gap, sh.hs.gap
	f.ClientHoled, f.ClientIntact = ch.holed, ch.intact
	f.ServerHoled, f.ServerIntact = sh.holed, sh.intact
	f.ClientHandshakeAtLimit, f.ServerHandshakeAtLimit = ch.hs.full, sh.hs.full
	f.OpenVPN = ch.hs.ovpn != nil && len(ch.hs.buf) > 0 || sh.hs.ovpn != nil && len(sh.hs.buf) > 0
	f.ClientRecords, f.ServerRecords = ch.recs.log, sh.recs.log
	if !c.byPort {
		f.ClientHelloSegments = c.hello.result()
	}
	if k := c.conflicts; k != nil {
		f.ClientConflict, f.ServerConflict = k.overlap[cd], k.overlap[1-cd]
		f.ClientNoACK, f.ServerNoACK = k.noACK[cd], k.noACK[1-cd]
		f.ClientBeforeStart, f.ServerBeforeStart = k.before[cd], k.before[1-cd]
		f.ClientSigned, f.ServerSigned = k.signed[cd], k.signed[1-cd]
		f.ClientTinyFragments, f.ServerTinyFragments = k.tiny[cd], k.tiny[1-cd]
		c.conflicts = nil
	}
	f.PrefixRuns = make([]PrefixRun, len(c.runs))
	for i, r := range c.runs {
		f.PrefixRuns[i] = PrefixRun{FromClient: int(r.half) == cd, Len: int(r.n), Mixed: r.mixed}
	}
	c.prefix, c.runs = nil, nil
	for d := range c.halves {
		h := &c.halves[d]
		h.hs = hsCapture{stage: hsDone}
		h.recs = recordWalk{}
		h.pending, h.pendingBytes = nil, 0
	}
	return f
}

// newFlow is the record of what every connection has, TCP or UDP: its
// endpoints (cd is the client's half), times and counters.
func (c *conn) newFlow(cd int, why EndReason) *Flow {
	client, server := c.key.Lo, c.key.Hi
	if cd == 1 {
		client, server = server, client
	}
	ch, sh := &c.halves[cd], &c.halves[1-cd]
	return &Flow{
		ID:            c.id,
		Client:        client,
		Server:        server,
		ClientByPort:  c.byPort,
		Start:         time.Unix(0, c.first).UTC(),
		End:           time.Unix(0, c.last).UTC(),
		PktsToServer:  ch.pkts,
		PktsToClient:  sh.pkts,
		BytesToServer: ch.byts,
		BytesToClient: sh.byts,
		PrefixGap:     c.prefixGap,
		EndReason:     why,
	}
}
