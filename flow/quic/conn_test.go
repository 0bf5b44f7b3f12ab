package quic

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// rfcHello is the ClientHello of the RFC 9001 example (241 bytes).
func rfcHello(tb testing.TB) []byte {
	return vectors(tb, "rfc9001")["client_crypto_frame"][4:]
}

var (
	testSCID  = []byte{0xc1, 0xc2, 0xc3, 0xc4}
	serverCID = []byte{0x5e, 0x5e, 0x5e, 0x5e, 0x5e}
)

// clientInitial builds a v1 client Initial to the RFC's DCID.
func clientInitial(tb testing.TB, pn uint64, frames ...[]byte) []byte {
	return initialPacket(tb, Version1, rfcDCID, rfcDCID, testSCID, false, pn, 2, padTo(bytes.Join(frames, nil), 1150))
}

// A ClientHello split over three CRYPTO frames in three Initials that
// arrive out of order, with a retransmission and an overlap that tries to
// change bytes already received: the stream is the original hello.
func TestCryptoAcrossPacketsOutOfOrder(t *testing.T) {
	ch := rfcHello(t)
	p1 := clientInitial(t, 0, cryptoFrame(0, ch[:100]))
	p2 := clientInitial(t, 1, cryptoFrame(100, ch[100:200]))
	// The overlap fills the hole [150, 200) and repeats [200, 241) with a
	// changed byte at 220, which the same packet already delivered.
	forged := append([]byte(nil), ch[150:241]...)
	forged[70] ^= 0xff
	p3 := clientInitial(t, 2, cryptoFrame(200, ch[200:]), cryptoFrame(150, forged))

	c := NewConn(0)
	c.Datagram(p3, true)
	c.Datagram(p1, true)
	if c.ClientHelloDone() || len(c.ClientCrypto()) != 100 {
		t.Fatalf("after 2 of 3 pieces: %d bytes, done %v", len(c.ClientCrypto()), c.ClientHelloDone())
	}
	c.Datagram(p1, true) // retransmission
	c.Datagram(p2, true) // overlaps [150, 200) from p3
	if !bytes.Equal(c.ClientCrypto(), ch) {
		t.Fatalf("stream differs from the hello")
	}
	if !c.ClientHelloDone() {
		t.Error("ClientHelloDone = false")
	}
	info := c.Info().Client
	if info.Initials != 4 || info.Decrypted != 4 || info.CryptoOverlaps != 3 || info.CryptoBytes != len(ch) {
		t.Errorf("client info %+v", info)
	}
}

// Several packets in one datagram: an Initial, a 0-RTT packet, then
// padding; and an Initial followed by a short-header packet.
func TestCoalesced(t *testing.T) {
	ch := rfcHello(t)
	initial := clientInitial(t, 0, cryptoFrame(0, ch))
	zeroRTT := []byte{0xd0, 0, 0, 0, 1, 8}
	zeroRTT = append(zeroRTT, rfcDCID...)
	zeroRTT = append(zeroRTT, 0, 0x40, 20) // no SCID, length 20
	zeroRTT = append(zeroRTT, make([]byte, 20)...)
	dgram := append(append(append([]byte(nil), initial...), zeroRTT...), make([]byte, 30)...)

	c := NewConn(0)
	c.Datagram(dgram, true)
	info := c.Info().Client
	if info.Decrypted != 1 || info.OtherLong != 1 || info.ShortHeader != 0 || !bytes.Equal(c.ClientCrypto(), ch) {
		t.Errorf("initial + 0-RTT + padding: %+v", info)
	}

	c = NewConn(0)
	c.Datagram(append(append([]byte(nil), initial...), 0x40, 1, 2, 3), true)
	if info := c.Info().Client; info.Decrypted != 1 || info.ShortHeader != 1 {
		t.Errorf("initial + short header: %+v", info)
	}
}

// After a Retry, the client's Initials and the server's use keys derived
// from the Retry's Source Connection ID.
func TestRetrySwitchesKeys(t *testing.T) {
	ch := rfcHello(t)
	retryCID := []byte{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x11, 0x22}

	c := NewConn(0)
	c.Datagram(clientInitial(t, 0, cryptoFrame(0, ch[:120])), true)
	c.Datagram(retryPacket(t, Version1, testSCID, retryCID, rfcDCID), false)
	// The client repeats its hello to the new DCID, with the new keys.
	again := initialPacket(t, Version1, retryCID, retryCID, testSCID, false, 1, 2, padTo(cryptoFrame(0, ch), 1150))
	c.Datagram(again, true)
	sh := vectors(t, "rfc9001")["server_payload"]
	c.Datagram(initialPacket(t, Version1, retryCID, testSCID, serverCID, true, 0, 2, sh), false)

	info := c.Info()
	if info.Retry != 1 || info.RetryTagInvalid != 0 {
		t.Fatalf("retry %d invalid %d", info.Retry, info.RetryTagInvalid)
	}
	if !bytes.Equal(c.ClientCrypto(), ch) || !c.ServerHelloDone() {
		t.Fatalf("client %d bytes, server hello done %v; info %+v", len(c.ClientCrypto()), c.ServerHelloDone(), info)
	}
	if info.Client.Decrypted != 2 || info.Server.Decrypted != 1 || info.Err != nil {
		t.Errorf("info %+v", info)
	}
}

// retryPacket builds a Retry with a valid integrity tag for odcid.
func retryPacket(tb testing.TB, v Version, dcid, scid, odcid []byte) []byte {
	tb.Helper()
	b := []byte{0xf0}
	b = binary.BigEndian.AppendUint32(b, uint32(v))
	b = append(b, byte(len(dcid)))
	b = append(b, dcid...)
	b = append(b, byte(len(scid)))
	b = append(b, scid...)
	b = append(b, "token"...)
	pseudo := append([]byte{byte(len(odcid))}, odcid...)
	pseudo = append(pseudo, b...)
	k := lookup(v).retry
	aead, err := retryAEADs[k]()
	if err != nil {
		tb.Fatal(err)
	}
	return aead.Seal(b, k.nonce[:], nil, pseudo)
}

// A greasing version is counted, the server's Version Negotiation too, and
// the client's next Initial in v1 decrypts.
func TestVersionNegotiation(t *testing.T) {
	grease := []byte{0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 8}
	grease = append(grease, rfcDCID...)
	grease = append(grease, make([]byte, 1200)...)
	vn := []byte{0x80, 0, 0, 0, 0, byte(len(testSCID))}
	vn = append(vn, testSCID...)
	vn = append(vn, 8)
	vn = append(vn, rfcDCID...)
	vn = append(vn, 0, 0, 0, 1, 0x6b, 0x33, 0x43, 0xcf)

	c := NewConn(0)
	c.Datagram(grease, true)
	c.Datagram(vn, false)
	c.Datagram(clientInitial(t, 0, cryptoFrame(0, rfcHello(t))), true)
	info := c.Info()
	if info.UnsupportedVersion != 1 || info.VersionNegotiation != 1 || !c.ClientHelloDone() || info.Err != nil {
		t.Errorf("info %+v", info)
	}
	if info.Version != Version1 {
		t.Errorf("version %v, want v1", info.Version)
	}
}

// A client that moves from draft-29 to v1 after Version Negotiation: both
// Initials open, each with its version's keys, and Info reports v1.
func TestVersionChange(t *testing.T) {
	ch := rfcHello(t)
	c := NewConn(0)
	c.Datagram(initialPacket(t, VersionDraft29, rfcDCID, rfcDCID, testSCID, false, 0, 2, padTo(cryptoFrame(0, ch[:10]), 1150)), true)
	c.Datagram(clientInitial(t, 1, cryptoFrame(0, ch)), true)
	info := c.Info()
	if info.Version != Version1 || info.Client.Decrypted != 2 || c.nkeys != 2 || !c.ClientHelloDone() {
		t.Errorf("info %+v, %d key sets", info, c.nkeys)
	}
}

// The server's Initial before any client Initial cannot be opened; the
// client's then can.
func TestServerFirst(t *testing.T) {
	vec := vectors(t, "rfc9001")
	c := NewConn(0)
	c.Datagram(vec["server_packet"], false)
	c.Datagram(vec["client_packet"], true)
	info := c.Info()
	if info.Server.DecryptFailures != 1 || !errors.Is(info.Err, ErrDecrypt) || !c.ClientHelloDone() {
		t.Errorf("info %+v", info)
	}
}

// Frames: ACK with ECN counts and CONNECTION_CLOSE are taken; a STREAM
// frame is a protocol error, after which the packet's later frames are
// not read.
func TestFrames(t *testing.T) {
	ack := []byte{0x03, 5, 0, 1, 0, 2, 1, 7, 8, 9}           // largest 5, delay 0, 1 more range, ECN counts
	closeFrame := []byte{0x1c, 0x0a, 0x06, 3, 'b', 'a', 'd'} // PROTOCOL_VIOLATION (0x0a) on a CRYPTO frame
	stream := []byte{0x08, 0, 'x'}

	c := NewConn(0)
	c.Datagram(clientInitial(t, 0, []byte{0x01}, ack, closeFrame, cryptoFrame(0, []byte{1, 0, 0})), true)
	info := c.Info()
	if info.Client.Pings != 1 || info.Client.Acks != 1 || info.Client.ConnectionCloses != 1 || info.Client.CloseCode != 0x0a {
		t.Errorf("client info %+v", info.Client)
	}
	if info.Err != nil || len(c.ClientCrypto()) != 3 {
		t.Errorf("err %v, %d crypto bytes", info.Err, len(c.ClientCrypto()))
	}

	c = NewConn(0)
	c.Datagram(clientInitial(t, 0, cryptoFrame(0, []byte{1, 0}), stream, cryptoFrame(2, []byte{0})), true)
	info = c.Info()
	if info.Client.ProtocolErrors != 1 || !errors.Is(info.Err, ErrProtocol) || len(c.ClientCrypto()) != 2 {
		t.Errorf("STREAM in an Initial: info %+v, %d crypto bytes", info, len(c.ClientCrypto()))
	}

	bad := [][]byte{
		{0x02, 5, 0, 0x3f, 0},          // ACK claiming 63 more ranges in 0 bytes
		{0x06, 0, 0x0a, 'x'},           // CRYPTO longer than the packet
		{0x1c, 0x0a, 0x06, 0x7f, 0xff}, // CONNECTION_CLOSE reason beyond the packet
		{0x06, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0}, // CRYPTO past 2^62
	}
	for i, frames := range bad {
		c := NewConn(0)
		c.Datagram(initialPacket(t, Version1, rfcDCID, rfcDCID, testSCID, false, 0, 2, frames), true)
		if info := c.Info(); info.Client.Decrypted != 1 || info.Client.ProtocolErrors != 1 {
			t.Errorf("bad frame %d (% x): info %+v", i, frames, info)
		}
	}
}

// A corrupted Initial is counted, not fatal; the flood of them stops being
// decrypted after the per-flow budget.
func TestDecryptFailures(t *testing.T) {
	pkt := clientInitial(t, 0, cryptoFrame(0, rfcHello(t)))
	bad := append([]byte(nil), pkt...)
	bad[len(bad)-1] ^= 1
	c := NewConn(0)
	for range maxInitials + 5 {
		c.Datagram(bad, true)
	}
	c.Datagram(pkt, true)
	info := c.Info().Client
	if info.DecryptFailures != maxInitials || info.Skipped != 6 || info.Decrypted != 0 {
		t.Errorf("info %+v", info)
	}
	if !errors.Is(c.Info().Err, ErrDecrypt) {
		t.Errorf("err %v, want ErrDecrypt", c.Info().Err)
	}
}

// The CRYPTO limit cuts the stream; the zero Conn uses the default.
func TestCryptoLimit(t *testing.T) {
	ch := rfcHello(t)
	c := NewConn(100)
	c.Datagram(clientInitial(t, 0, cryptoFrame(0, ch)), true)
	if got := len(c.ClientCrypto()); got != 100 || c.ClientHelloDone() || c.Info().Client.CryptoDropped != len(ch)-100 {
		t.Errorf("limit 100: %d bytes, info %+v", got, c.Info().Client)
	}
	var z Conn
	z.Datagram(clientInitial(t, 0, cryptoFrame(0, ch)), true)
	if !z.ClientHelloDone() {
		t.Error("zero Conn: no hello")
	}
}

// Google's T050 keeps Google QUIC frames inside IETF-style Initials.
func TestGoogleFrames(t *testing.T) {
	ch := rfcHello(t)
	crypto := func(off int, data []byte) []byte {
		return append([]byte{0x08, byte(off), byte(len(data)>>8&0x3f | 0x40), byte(len(data))}, data...)
	}
	// 0b01100101: more blocks, 2-byte largest acked, 2-byte blocks; then
	// largest 3, delay 0, 1 more block, first block 2, gap 1, block 1, no
	// timestamps.
	ack := []byte{0x65, 0, 3, 0, 0, 1, 0, 2, 1, 0, 1, 0}
	frames := append(append(append([]byte{0x07}, ack...), crypto(0, ch[:50])...), crypto(50, ch[50:])...)
	frames = append(frames, 0, 0xff, 0xff) // PADDING: the rest of the packet, whatever it holds
	c := NewConn(0)
	c.Datagram(initialPacket(t, VersionT050, rfcDCID, rfcDCID, testSCID, false, 1, 2, frames), true)
	info := c.Info()
	if !bytes.Equal(c.ClientCrypto(), ch) || info.Client.Acks != 1 || info.Client.Pings != 1 || info.Err != nil {
		t.Errorf("T050: %d crypto bytes, info %+v", len(c.ClientCrypto()), info)
	}
}

func TestParseLongHeader(t *testing.T) {
	vec := vectors(t, "rfc9001")
	good := vec["client_packet"]
	cid21 := append([]byte{0xc0, 0, 0, 0, 1, 21}, make([]byte, 40)...)
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"rfc client", good, nil},
		{"rfc server", vec["server_packet"], nil},
		{"rfc retry", vec["retry_packet"], nil},
		{"empty", nil, ErrMalformed},
		{"short header", []byte{0x40, 1, 2, 3, 4, 5, 6, 7}, ErrMalformed},
		{"cut in version", good[:4], ErrMalformed},
		{"cut in DCID", good[:10], ErrMalformed},
		{"DCID of 21 bytes", cid21, ErrMalformed},
		{"cut in length", good[:17], ErrMalformed},
		{"length beyond datagram", good[:600], ErrMalformed},
		{"unknown version", []byte{0xc0, 0x12, 0x34, 0x56, 0x78, 0, 0, 1, 2}, ErrUnsupportedVersion},
		{"VN without versions", []byte{0x80, 0, 0, 0, 0, 0, 0}, ErrMalformed},
		{"VN with a partial version", []byte{0x80, 0, 0, 0, 0, 0, 0, 0, 0, 1}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseLongHeader(tt.b)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			if err == nil && (h.Len > len(tt.b) || h.PNOffset > h.Len) {
				t.Errorf("header %+v outside %d bytes", h, len(tt.b))
			}
		})
	}
	h, _ := ParseLongHeader(vec["retry_packet"])
	if h.Type != PacketRetry || string(h.Token) != "token" || !bytes.Equal(h.SCID, []byte{0xf0, 0x67, 0xa5, 0x50, 0x2a, 0x42, 0x62, 0xb5}) {
		t.Errorf("retry header %+v", h)
	}
}

func TestLooksLikeQUIC(t *testing.T) {
	v1 := vectors(t, "rfc9001")
	v2 := vectors(t, "rfc9369")
	tests := []struct {
		name string
		b    []byte
		want bool
	}{
		{"v1 client Initial", v1["client_packet"], true},
		{"v1 server Initial", v1["server_packet"], true},
		{"v2 client Initial", v2["client_packet"], true},
		{"greasing version", []byte{0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 1, 9, 0, 0}, true},
		{"version negotiation", []byte{0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, true},
		{"draft-18 (Known, old layout)", []byte{0xc0, 0xff, 0, 0, 18, 0, 0}, true},
		{"short header", []byte{0x40, 1, 2, 3, 4, 5, 6, 7, 8}, false},
		// RFC 9287 lets a server clear the QUIC bit once its client's
		// hello allowed it (a capture that merged directions out of order
		// shows that Initial first): a whole header of a version with
		// keys still looks like QUIC, a greasing version's or a cut one
		// does not.
		{"fixed bit clear", append([]byte{0x80}, v1["client_packet"][1:]...), true},
		{"fixed bit clear, greasing version", []byte{0x80, 0x1a, 0x2a, 0x3a, 0x4a, 1, 9, 0, 0}, false},
		{"fixed bit clear, cut", append([]byte{0x80}, v1["client_packet"][1:100]...), false},
		{"unknown version", []byte{0xc0, 0x12, 0x34, 0x56, 0x78, 0, 0, 0}, false},
		{"DNS query", []byte{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0}, false},
		{"v1 truncated", v1["client_packet"][:100], false},
		{"v1 DCID of 21 bytes", append([]byte{0xc0, 0, 0, 0, 1, 21}, make([]byte, 40)...), false},
		{"too short", []byte{0xc0, 0, 0, 0}, false},
	}
	for _, tt := range tests {
		if got := LooksLikeQUIC(tt.b); got != tt.want {
			t.Errorf("%s: LooksLikeQUIC = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// RFC 9000 appendix A.3's example, and the window edges.
func TestDecodePacketNumber(t *testing.T) {
	tests := []struct {
		expected, truncated uint64
		bits                int
		want                uint64
	}{
		{0xa82f30eb, 0x9b32, 16, 0xa82f9b32},
		{0, 2, 32, 2},
		{0, 0xff, 8, 0xff},
		{0x100, 0xff, 8, 0xff},
		{0x1fe, 0x01, 8, 0x201},
	}
	for _, tt := range tests {
		if got := decodePacketNumber(tt.expected, tt.truncated, tt.bits); got != tt.want {
			t.Errorf("decode(%#x, %#x, %d) = %#x, want %#x", tt.expected, tt.truncated, tt.bits, got, tt.want)
		}
	}
}

func TestVersionString(t *testing.T) {
	for v, want := range map[Version]string{
		Version1: "v1", Version2: "v2", VersionDraft29: "draft-29", VersionT050: "T050",
		VersionMvfstExp: "mvfst-exp", 0x1a2a3a4a: "0x1a2a3a4a", 0x12: "0x00000012",
	} {
		if got := v.String(); got != want {
			t.Errorf("%#x: %q, want %q", uint32(v), got, want)
		}
	}
	for v, want := range map[Version]bool{Version1: true, 0xff000016: true, 0xff000015: false, VersionQ050: true, 0x1a2a3a4a: false} {
		if got := v.Supported(); got != want {
			t.Errorf("%v supported = %v, want %v", v, got, want)
		}
	}
}

// TestClientHelloLost: a ClientHello the capture holds only part of is a
// loss where the CRYPTO stream has bytes past the hole, or where the
// server answered it with its own hello; not where neither says so.
func TestClientHelloLost(t *testing.T) {
	ch := rfcHello(t)
	server := vectors(t, "rfc9001")["server_packet"]
	c := NewConn(0)
	c.Datagram(clientInitial(t, 0, cryptoFrame(0, ch[:100])), true)
	if c.ClientHelloLost() {
		t.Error("the first part alone, unanswered: taken for a loss")
	}
	c.Datagram(server, false)
	if !c.ServerHelloDone() || !c.ClientHelloLost() {
		t.Errorf("answered with the server's hello (done %v): not taken for a loss", c.ServerHelloDone())
	}
	c = NewConn(0)
	c.Datagram(clientInitial(t, 1, cryptoFrame(100, ch[100:])), true)
	if !c.ClientHelloLost() {
		t.Error("the second part alone: not taken for a loss")
	}
	c = NewConn(0)
	c.Datagram(clientInitial(t, 0, cryptoFrame(0, ch[:100])), true)
	c.Datagram(clientInitial(t, 1, cryptoFrame(100, ch[100:])), true)
	c.Datagram(server, false)
	if c.ClientHelloLost() || c.ServerCryptoHoled() {
		t.Error("a whole exchange taken for a loss")
	}
}

// TestCutDatagram: a datagram the capture kept only in part (a snap
// length) is no malformed packet; the packets it holds whole are read, and
// a hello not yet whole when one came cut counts as lost, on either side.
func TestCutDatagram(t *testing.T) {
	ch := rfcHello(t)
	server := vectors(t, "rfc9001")["server_packet"]
	c := NewConn(0)
	c.Datagram(clientInitial(t, 0, cryptoFrame(0, ch[:100])), true)
	second := clientInitial(t, 1, cryptoFrame(100, ch[100:]))
	c.CutDatagram(second[:300], true)
	if info := c.Info(); info.Client.Malformed != 0 || info.Err != nil {
		t.Errorf("a cut datagram counted malformed: %+v", info)
	}
	if !c.ClientHelloLost() {
		t.Error("the hello's second Initial cut: not taken for a loss")
	}
	c.CutDatagram(server[:100], false)
	if !c.ServerCryptoHoled() {
		t.Error("the server's Initial cut before its hello: not taken for a loss")
	}
	// Cut after the hello was whole: nothing of it was lost.
	c = NewConn(0)
	c.Datagram(clientInitial(t, 0, cryptoFrame(0, ch)), true)
	c.CutDatagram(second[:300], true)
	if c.ClientHelloLost() {
		t.Error("a datagram cut after the whole hello: taken for a loss")
	}
	// The same bytes not marked cut are malformed.
	c = NewConn(0)
	c.Datagram(second[:300], true)
	if c.Info().Client.Malformed != 1 {
		t.Errorf("a packet past its datagram's end: %d malformed, want 1", c.Info().Client.Malformed)
	}
}
