package quic

import (
	"encoding/binary"
	"testing"
)

// FuzzParseLongHeader: any bytes parse without panic, and a parsed header
// stays inside its input with connection IDs of at most 20 bytes; only an
// Initial may open as a client's (OpensAsClientInitial).
func FuzzParseLongHeader(f *testing.F) {
	for _, name := range []string{"rfc9001", "rfc9369"} {
		vec := vectors(f, name)
		for _, k := range []string{"client_packet", "server_packet", "retry_packet"} {
			f.Add(vec[k])
			f.Add(vec[k][:min(40, len(vec[k]))])
		}
	}
	f.Add([]byte{0x80, 0, 0, 0, 0, 1, 9, 1, 8, 0, 0, 0, 1})
	f.Add([]byte{0xc0, 0x54, 0x30, 0x35, 0x30, 0, 0, 0x44, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseLongHeader(b)
		LooksLikeQUIC(b)
		opens := OpensAsClientInitial(b)
		if err != nil {
			if opens {
				t.Fatal("opened as a client's Initial without a header")
			}
			return
		}
		if opens && h.Type != PacketInitial {
			t.Fatalf("a %v packet opened as a client's Initial", h.Type)
		}
		if h.Len > len(b) || h.PNOffset > h.Len || len(h.DCID) > MaxCIDLen || len(h.SCID) > MaxCIDLen {
			t.Fatalf("header %+v outside %d bytes", h, len(b))
		}
		if h.Type == PacketUnknown {
			t.Fatalf("parsed without error but no type: %+v", h)
		}
	})
}

// FuzzDatagram feeds a Conn arbitrary datagrams, optionally after the RFC
// client Initial (so that keys exist and later packets reach the
// decryption and frame code). Records in the input: a flag byte (bit 0:
// from the client; bit 1: seal the payload as the frames of a valid
// Initial; bit 2: the capture cut it to half), a 2-byte length, the
// payload. Nothing may panic, and the Conn's memory stays within its
// bounds.
func FuzzDatagram(f *testing.F) {
	vec := vectors(f, "rfc9001")
	record := func(flags byte, payload []byte) []byte {
		b := []byte{flags, byte(len(payload) >> 8), byte(len(payload))}
		return append(b, payload...)
	}
	f.Add(false, record(1, vec["client_packet"]))
	f.Add(true, record(0, vec["server_packet"]))
	f.Add(true, record(4, vec["server_packet"])) // cut
	f.Add(true, record(0, vec["retry_packet"]))
	f.Add(true, record(3, []byte{0x06, 0x00, 0x05, 1, 0, 0, 1, 0, 0x01, 0x02, 1, 0, 0, 0}))
	f.Add(true, append(record(3, []byte{0x06, 0x40, 0x10, 0x03, 'a', 'b', 'c'}), record(2, []byte{0x06, 0, 3, 2, 0, 0})...))
	f.Add(true, record(3, []byte{0x1c, 1, 2, 3, 'a', 'b', 'c', 0x03, 1, 2, 0, 0, 1, 2, 3, 0x08}))
	f.Add(false, record(0, []byte{0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}))
	// Google QUIC before Q050, in clear: a Q043 and a Q046 flow.
	for _, name := range []string{"gquic-q043-ndpi.txt", "gquic-q046-suricata-quic-alerts.txt"} {
		var in []byte
		for _, d := range readDatagrams(f, name) {
			flags := byte(0)
			if d.fromClient {
				flags = 1
			}
			in = append(in, record(flags, d.b)...)
		}
		f.Add(false, in)
	}

	const limit = 2048
	f.Fuzz(func(t *testing.T, afterInitial bool, in []byte) {
		c := NewConn(limit)
		if afterInitial {
			c.Datagram(vec["client_packet"], true)
		}
		var pn [2]uint64
		for len(in) >= 3 {
			flags := in[0]
			n := int(binary.BigEndian.Uint16(in[1:3]))
			in = in[3:]
			payload := in[:min(n, len(in))]
			in = in[len(payload):]
			fromClient := flags&1 != 0
			if flags&2 != 0 {
				dir := 0
				if fromClient {
					dir = 1
				}
				dcid := rfcDCID
				if !fromClient {
					dcid = testSCID
				}
				payload = initialPacket(t, Version1, rfcDCID, dcid, testSCID, !fromClient, pn[dir], 2, padTo(append([]byte(nil), payload...), 20))
				pn[dir]++
			}
			if flags&4 != 0 { // cut by the capture's snap length
				c.CutDatagram(payload[:len(payload)/2], fromClient)
			} else {
				c.Datagram(payload, fromClient)
			}
			checkBounds(t, c, limit)
		}
	})
}

// checkBounds fails when a Conn holds more than its bounds allow.
func checkBounds(t *testing.T, c *Conn, limit int) {
	t.Helper()
	for _, s := range []*side{&c.client, &c.server} {
		if cap(s.stream.buf) > limit || len(s.stream.spans) > maxSpans {
			t.Fatalf("stream capacity %d, %d spans: over the bounds", cap(s.stream.buf), len(s.stream.spans))
		}
		if s.info.Decrypted+s.info.DecryptFailures > maxInitials {
			t.Fatalf("%d Initials decrypted or tried, bound %d", s.info.Decrypted+s.info.DecryptFailures, maxInitials)
		}
		if s.info.CryptoBytes != len(s.stream.contiguous()) {
			t.Fatalf("CryptoBytes %d, stream %d", s.info.CryptoBytes, len(s.stream.contiguous()))
		}
	}
	if c.nkeys > maxKeySets {
		t.Fatalf("%d key sets", c.nkeys)
	}
	if len(c.ClientCrypto()) > limit || len(c.ServerCrypto()) > limit {
		t.Fatalf("crypto streams over the limit")
	}
}

// FuzzFrames runs the frame parsers of both encodings on arbitrary
// decrypted payloads.
func FuzzFrames(f *testing.F) {
	f.Add(false, []byte{0x00, 0x01, 0x02, 1, 0, 1, 0, 0x06, 0, 3, 'a', 'b', 'c', 0x1c, 1, 0, 1, 'x'})
	f.Add(false, []byte{0x03, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x06, 0x40, 5, 1, 'x'})
	f.Add(true, []byte{0x07, 0x65, 0, 3, 0, 0, 1, 0, 2, 1, 0, 1, 0, 0x08, 0, 2, 'h', 'i', 0})
	f.Add(true, []byte{0x02, 0, 0, 0, 1, 0, 2, 'o', 'k', 0x7f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 2, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, gquic bool, p []byte) {
		const limit = 512
		var s side
		if gquic {
			s.gquicFrames(p, limit)
		} else {
			s.frames(p, limit)
		}
		if cap(s.stream.buf) > limit || len(s.stream.spans) > maxSpans {
			t.Fatalf("stream over its bounds")
		}
	})
}

// FuzzLegacyFrames runs the frame parser of Google QUIC before Q050 (its
// STREAM frames into the handshake stream) on arbitrary payloads in clear,
// with the packet number lengths a header may give.
func FuzzLegacyFrames(f *testing.F) {
	f.Add(byte(0), []byte{0xa0, 0x01, 0x00, 0x04, 'C', 'H', 'L', 'O', 0x00, 0x00})
	f.Add(byte(3), []byte{0x06, 1, 2, 3, 4, 5, 6, 0xbf, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 2, 'h', 'i', 0x07, 0x45, 1, 0, 0, 1, 0, 0})
	f.Add(byte(1), []byte{0x01, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 3, 0x03, 0, 0, 0, 1, 0, 0, 0, 5, 0, 1, 'x', 0x02, 0, 0, 0, 9, 0, 0})
	f.Fuzz(func(t *testing.T, pn byte, p []byte) {
		const limit = 512
		var s side
		s.legacyFrames(p, [4]int{1, 2, 4, 6}[pn&3], limit)
		if cap(s.stream.buf) > limit || len(s.stream.spans) > maxSpans {
			t.Fatalf("stream over its bounds")
		}
	})
}

// FuzzLegacyHeader: any bytes as the first datagram of a flow or a later
// one of a Q043 or Q046 flow, never a panic, and a parsed header leaves
// room for its message hash.
func FuzzLegacyHeader(f *testing.F) {
	for _, name := range []string{"gquic-q043-ndpi.txt", "gquic-q046-suricata-quic-alerts.txt"} {
		for _, d := range readDatagrams(f, name) {
			f.Add(d.fromClient, d.b)
		}
	}
	f.Fuzz(func(t *testing.T, fromClient bool, b []byte) {
		legacyClientVersion(b)
		for _, v := range []Version{VersionQ043, VersionQ046} {
			p, err := parseLegacyHeader(b, v, fromClient)
			if err == nil && p.header > 0 && p.header+legacyHashLen > len(b) {
				t.Fatalf("%s: header of %d bytes in %d", v, p.header, len(b))
			}
		}
	})
}
