package quic

import "errors"

// DefaultCryptoLimit is the CRYPTO stream bytes a Conn keeps per direction
// when NewConn is given no limit: the handshake limit of TCP flows.
const DefaultCryptoLimit = 16 << 10

// maxInitials bounds the Initial packets one side may have decrypted: a
// handshake needs a few, and a flood of Initial-shaped datagrams on one
// flow must not cost an AEAD attempt each.
const maxInitials = 64

// maxKeySets bounds key derivations per Conn: the client's original DCID,
// the Retry's SCID, and each again after a Version Negotiation changed the
// version. More is someone playing games.
const maxKeySets = 4

// Conn is the QUIC state of one UDP flow: what is needed to decrypt both
// sides' Initial packets and the CRYPTO streams they carried. The zero
// value is ready to use with DefaultCryptoLimit. A Conn is not safe for
// concurrent use.
type Conn struct {
	limit int

	// odcid is the Destination Connection ID of the client's first
	// Initial, from which the Initial keys derive; retry is the Source
	// Connection ID of the server's Retry, which replaces it.
	odcid, retry cid
	// confirmed is set once a packet opened: until then a later client
	// Initial with another DCID replaces odcid (the capture may have
	// missed the first one, or it was not QUIC at all).
	confirmed bool
	keys      [maxKeySets]*keySet
	nkeys     int

	client, server side
	info           Info

	// googleSeen is the client stream's length when GoogleHandshakeDone
	// last looked.
	googleSeen int
}

// side is the state of one direction.
type side struct {
	stream cryptoStream
	// nextPN is one more than the largest packet number opened (0 before
	// the first): the expected packet number for decoding.
	nextPN uint64
	info   SideInfo
	// legacyChecks counts the packets of Google QUIC before Q050 whose
	// message hash was checked (bounded by maxInitials).
	legacyChecks int
	// cut is set once a datagram of the side came cut by the capture
	// (CutDatagram): what it carried is missing.
	cut bool
}

// Info is what a Conn has seen, for flow records and the detector.
type Info struct {
	// Version is the version of the client's Initials: of the latest one
	// opened (after a Version Negotiation, the version the client moved
	// to), else of the first seen; zero when no client Initial was seen.
	// DCIDLen and SCIDLen are the connection ID lengths of the client's
	// first Initial.
	Version          Version
	DCIDLen, SCIDLen int

	Client, Server SideInfo

	// Retry counts the server's Retry packets; RetryTagInvalid those of
	// them whose integrity tag did not verify (v1 and v2 only; other
	// versions' tags are not checked). A Retry with a bad tag is ignored.
	Retry, RetryTagInvalid int
	// VersionNegotiation counts the server's Version Negotiation packets.
	VersionNegotiation int
	// UnsupportedVersion counts long-header packets of versions without
	// known Initial keys (a greasing version, an unknown draft or vendor
	// version). Not an error: the flow may still be QUIC.
	UnsupportedVersion int
	// Err is the first problem met: a malformed packet, a decryption
	// failure, a protocol violation (nil when none). Later ones are only
	// counted.
	Err error
}

// SideInfo counts one direction's packets.
type SideInfo struct {
	Initials        int // Initial packets seen
	Decrypted       int // Initial packets opened
	DecryptFailures int // Initial packets that did not open (no keys, bad tag)
	Skipped         int // Initial packets left unopened past the per-flow budget
	Malformed       int // packets whose header does not parse
	ProtocolErrors  int // Initial packets with frames they may not carry, or malformed frames
	OtherLong       int // 0-RTT and Handshake packets (skipped)
	ShortHeader     int // short-header packets (skipped)

	Pings, Acks      int
	ConnectionCloses int
	CloseCode        uint64 // error code of the first CONNECTION_CLOSE

	// CryptoBytes is the length of the contiguous CRYPTO stream from
	// offset 0 (what ClientCrypto or ServerCrypto returns).
	CryptoBytes int
	// CryptoDropped counts CRYPTO bytes refused: beyond the limit, or in
	// pieces past the bound on out-of-order pieces.
	CryptoDropped int
	// CryptoOverlaps counts CRYPTO frames that overlapped bytes already
	// received (retransmissions and deliberate overlaps; first data wins).
	CryptoOverlaps int
}

// NewConn returns a Conn that keeps at most limit CRYPTO bytes per
// direction (DefaultCryptoLimit when limit <= 0).
func NewConn(limit int) *Conn { return &Conn{limit: limit} }

func (c *Conn) cryptoLimit() int {
	if c.limit <= 0 {
		return DefaultCryptoLimit
	}
	return c.limit
}

// CutDatagram is Datagram for a UDP payload the capture kept only in part
// (a snap length): the packets it holds whole are read; the one that runs
// past the bytes kept is missing, not malformed, and a hello not yet whole
// may have been in it (ClientHelloLost, ServerCryptoHoled).
func (c *Conn) CutDatagram(b []byte, fromClient bool) {
	c.sideOf(fromClient).cut = true
	c.datagram(b, fromClient, true)
}

// Datagram processes one UDP payload of the flow; fromClient says its
// direction. Datagrams must come in capture order. Problems are counted in
// Info, never returned.
func (c *Conn) Datagram(b []byte, fromClient bool) { c.datagram(b, fromClient, false) }

// datagram is Datagram, of a payload the capture cut when cut is set.
func (c *Conn) datagram(b []byte, fromClient, cut bool) {
	if fromClient && c.info.Version == 0 {
		c.startLegacy(b)
	}
	if IsLegacyGoogle(c.info.Version) {
		c.legacyDatagram(b, fromClient)
		return
	}
	s := c.sideOf(fromClient)
	first := true
	for len(b) > 0 {
		if b[0]&0x80 == 0 {
			// A short-header packet runs to the end of the datagram. After
			// coalesced packets, zero bytes are padding, not a packet.
			if first || !allZero(b) {
				s.info.ShortHeader++
			}
			return
		}
		first = false
		h, err := ParseLongHeader(b)
		switch {
		case err == nil:
		case err == errUnsupportedV:
			c.info.UnsupportedVersion++ // the rest of the datagram is unreadable
			return
		case cut && errors.Is(err, ErrMalformed):
			return // the capture cut the packet, not its sender
		default:
			s.info.Malformed++
			c.note(err)
			return
		}
		switch h.Type {
		case PacketInitial:
			c.initial(b[:h.Len], &h, fromClient)
		case Packet0RTT, PacketHandshake:
			s.info.OtherLong++
		case PacketRetry:
			c.retryPacket(b, &h, fromClient)
		case PacketVersionNegotiation:
			if fromClient {
				s.info.Malformed++
				c.note(errVNFromClient)
			} else {
				c.info.VersionNegotiation++
			}
		}
		b = b[h.Len:]
	}
}

// initial opens one Initial packet and takes its frames.
func (c *Conn) initial(pkt []byte, h *LongHeader, fromClient bool) {
	s := c.sideOf(fromClient)
	s.info.Initials++
	if fromClient && !c.confirmed && !c.odcid.equal(h.DCID) && !c.retry.equal(h.DCID) {
		c.odcid.set(h.DCID)
		c.info.Version = h.Version
		c.info.DCIDLen, c.info.SCIDLen = len(h.DCID), len(h.SCID)
	}
	if !c.odcid.ok {
		s.info.DecryptFailures++
		c.note(errServerFirst)
		return
	}
	if s.info.Decrypted+s.info.DecryptFailures >= maxInitials {
		s.info.Skipped++
		c.note(errInitialBudget)
		return
	}
	p := lookup(h.Version)

	// Keys come from the client's original DCID, or after a Retry from
	// the Retry's SCID. Try the likelier first, then the other.
	cands := [2]*cid{&c.odcid, nil}
	if c.retry.ok {
		cands[1] = &c.retry
		if !fromClient || c.retry.equal(h.DCID) {
			cands[0], cands[1] = cands[1], cands[0]
		}
	}
	scratch := scratchPool.Get().(*[]byte)
	defer scratchPool.Put(scratch)
	var lastErr error = errAEAD
	for _, id := range cands {
		if id == nil {
			continue
		}
		ks, err := c.keySet(h.Version, p, id)
		if err != nil {
			lastErr = err
			continue
		}
		k := &ks.client
		if !fromClient {
			k = &ks.server
		}
		o, err := k.open(scratch, pkt, h.PNOffset, s.nextPN)
		if err != nil {
			lastErr = err
			continue
		}
		c.confirmed = true
		if fromClient {
			c.info.Version = h.Version
		}
		c.take(s, p, &o)
		return
	}
	s.info.DecryptFailures++
	c.note(lastErr)
}

// take records an opened Initial and parses its frames.
func (c *Conn) take(s *side, p *params, o *opened) {
	s.info.Decrypted++
	s.nextPN = max(s.nextPN, o.pn+1)
	if !p.gquicFrames && o.first&0x0c != 0 {
		s.info.ProtocolErrors++
		c.note(errReserved)
	}
	var err error
	if p.gquicFrames {
		err = s.gquicFrames(o.payload, c.cryptoLimit())
	} else {
		err = s.frames(o.payload, c.cryptoLimit())
	}
	if err != nil {
		s.info.ProtocolErrors++
		c.note(err)
	}
	s.info.CryptoBytes = len(s.stream.contiguous())
}

// keySet returns the Initial keys for version v and connection ID id,
// deriving them on first use.
func (c *Conn) keySet(v Version, p *params, id *cid) (*keySet, error) {
	for _, ks := range c.keys[:c.nkeys] {
		if ks.version == v && ks.cid.equal(id.bytes()) {
			return ks, nil
		}
	}
	if c.nkeys == maxKeySets {
		return nil, errKeyBudget
	}
	ks, err := newKeySet(v, p, id.bytes())
	if err != nil {
		return nil, err
	}
	c.keys[c.nkeys] = ks
	c.nkeys++
	return ks, nil
}

// crypto takes the data of one CRYPTO frame.
func (s *side) crypto(off uint64, data []byte, limit int) {
	dropped, overlap := s.stream.write(off, data, limit)
	s.info.CryptoDropped += dropped
	if overlap {
		s.info.CryptoOverlaps++
	}
}

// close records a CONNECTION_CLOSE frame.
func (s *side) close(code uint64) {
	if s.info.ConnectionCloses == 0 {
		s.info.CloseCode = code
	}
	s.info.ConnectionCloses++
}

func (c *Conn) sideOf(fromClient bool) *side {
	if fromClient {
		return &c.client
	}
	return &c.server
}

// note keeps the first error.
func (c *Conn) note(err error) {
	if c.info.Err == nil {
		c.info.Err = err
	}
}

// ClientCrypto returns the client's CRYPTO stream from offset 0 up to the
// first missing byte: TLS handshake messages (the ClientHello, and after a
// HelloRetryRequest the second ClientHello), without record headers. It
// aliases the Conn's buffer and is valid until the next Datagram.
func (c *Conn) ClientCrypto() []byte { return c.client.stream.contiguous() }

// ServerCrypto is ClientCrypto for the server: the ServerHello (or
// HelloRetryRequest and then the ServerHello).
func (c *Conn) ServerCrypto() []byte { return c.server.stream.contiguous() }

// ClientHelloLost reports whether the capture missed part of the client's
// CRYPTO stream: it holds bytes past a missing one (an Initial lost), or
// its ClientHello stops short though the server answered it with its own
// hello (the server had it whole).
func (c *Conn) ClientHelloLost() bool {
	if c.client.stream.holed() {
		return true
	}
	ch, sh := c.ClientCrypto(), c.ServerCrypto()
	if c.client.cut && !messageDone(ch, 1) {
		return true // a datagram the capture cut may have held the rest
	}
	return len(ch) > 0 && !messageDone(ch, 1) && len(sh) > 0 && sh[0] == 2
}

// ServerCryptoHoled reports whether the server's CRYPTO stream holds bytes
// past a missing one (ServerCrypto stops at the hole), or a datagram the
// capture cut came before its ServerHello was whole.
func (c *Conn) ServerCryptoHoled() bool {
	return c.server.stream.holed() || c.server.cut && !messageDone(c.ServerCrypto(), 2)
}

// Opened reports whether an Initial packet of the Conn opened, from
// either side.
func (c *Conn) Opened() bool { return c.confirmed }

// ClientHelloDone reports whether ClientCrypto holds a whole ClientHello
// (its handshake header's length says so).
func (c *Conn) ClientHelloDone() bool { return messageDone(c.ClientCrypto(), 1) }

// GoogleHandshakeDone reports whether a flow in Google QUIC Crypto has
// sent all of its handshake a sensor can read: the client's full CHLO
// (FullGoogleHello). It looks again only when the client's stream grew.
func (c *Conn) GoogleHandshakeDone() bool {
	b := c.ClientCrypto()
	if len(b) == c.googleSeen || !IsGoogleHandshake(b) {
		return false
	}
	c.googleSeen = len(b)
	return FullGoogleHello(b)
}

// ServerHelloDone reports whether ServerCrypto holds a whole ServerHello
// (or HelloRetryRequest, which is a ServerHello too).
func (c *Conn) ServerHelloDone() bool { return messageDone(c.ServerCrypto(), 2) }

// messageDone reports whether b starts with a whole handshake message of
// type typ.
func messageDone(b []byte, typ byte) bool {
	if len(b) < 4 || b[0] != typ {
		return false
	}
	return len(b) >= 4+(int(b[1])<<16|int(b[2])<<8|int(b[3]))
}

// Info returns what the Conn has seen so far.
func (c *Conn) Info() Info {
	info := c.info
	info.Client, info.Server = c.client.info, c.server.info
	return info
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
