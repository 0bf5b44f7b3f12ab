package flow

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// ovpnPacket frames one OpenVPN packet for TCP: length, opcode byte, and
// for control packets the session id, auth bytes, ack array and message
// packet id before the payload.
func ovpnPacket(opcode byte, auth int, acks []uint32, id uint32, payload []byte) []byte {
	p := []byte{opcode << 3}
	p = append(p, bytes.Repeat([]byte{0x5a}, ovpnSessionID)...)
	p = append(p, bytes.Repeat([]byte{0xa5}, auth)...)
	p = append(p, byte(len(acks)))
	for _, a := range acks {
		p = binary.BigEndian.AppendUint32(p, a)
	}
	if len(acks) > 0 {
		p = append(p, bytes.Repeat([]byte{0x3c}, ovpnSessionID)...)
	}
	if opcode != 5 { // P_ACK_V1 has no message packet id
		p = binary.BigEndian.AppendUint32(p, id)
	}
	p = append(p, payload...)
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(p))), p...)
}

// ovpnStreamOf carries tls in P_CONTROL_V1 packets of at most size bytes
// after a hard reset, with a retransmitted packet and data channel packets
// in between.
func ovpnStreamOf(reset byte, auth int, tls []byte, size int) []byte {
	out := ovpnPacket(reset, auth, nil, 0, nil)
	out = append(out, ovpnPacket(5, auth, []uint32{0}, 0, nil)...)
	id := uint32(1)
	for len(tls) > 0 {
		n := min(size, len(tls))
		pkt := ovpnPacket(ovpnControlV1, auth, []uint32{id - 1}, id, tls[:n])
		out = append(out, pkt...)
		if id == 2 {
			out = append(out, pkt...) // retransmitted
			out = append(out, ovpnPacket(9, 0, nil, 0, bytes.Repeat([]byte{0x16}, 50))...)
		}
		tls, id = tls[n:], id+1
	}
	return out
}

// TestOpenVPNOverTCP: the handshake capture keeps the TLS bytes of
// OpenVPN's control channel, without its framing, in message order, with
// and without tls-auth, however the segments cut the stream.
func TestOpenVPNOverTCP(t *testing.T) {
	hello := tlsRecord(22, serverHelloMsg(nil))
	cert := tlsRecord(22, hsMessage(11, bytes.Repeat([]byte{1}, 200)))
	done := tlsRecord(22, hsMessage(14, nil))
	serverTLS := bytes.Join([][]byte{hello, cert, done}, nil)
	if f := handshakeFlow(t, Config{}, clientHelloRec, serverTLS); f.OpenVPN {
		t.Fatal("plain TLS: OpenVPN set")
	}
	for _, auth := range []int{0, 20 + 8, 32 + 8} {
		client := ovpnStreamOf(ovpnHardResetClient, auth, clientHelloRec, 30)
		server := ovpnStreamOf(ovpnHardResetServer, auth, serverTLS, 100)
		for _, cut := range []int{1, 2, 3, 17, 40, len(server) / 2, len(server) - 1} {
			f := handshakeFlow(t, Config{}, client, server[:cut], server[cut:])
			if !bytes.Equal(f.ClientHandshake, clientHelloRec) {
				t.Fatalf("auth %d: client kept % x", auth, f.ClientHandshake)
			}
			if !f.OpenVPN {
				t.Fatalf("auth %d: OpenVPN not set", auth)
			}
			if !bytes.Equal(f.ServerHandshake, serverTLS) {
				t.Fatalf("auth %d, cut %d: server kept %d bytes, want %d", auth, cut, len(f.ServerHandshake), len(serverTLS))
			}
		}
	}
}

// TestOpenVPNMissingMessage: a control message that never arrives ends
// the capture with a gap instead of joining TLS bytes that do not follow
// each other.
func TestOpenVPNMissingMessage(t *testing.T) {
	stream := ovpnPacket(ovpnHardResetClient, 0, nil, 0, nil)
	stream = append(stream, ovpnPacket(ovpnControlV1, 0, nil, 1, clientHelloRec[:30])...)
	stream = append(stream, ovpnPacket(ovpnControlV1, 0, nil, 3, clientHelloRec[30:])...)
	f := handshakeFlow(t, Config{}, stream)
	if !bytes.Equal(f.ClientHandshake, clientHelloRec[:30]) || !f.ClientHandshakeGap {
		t.Errorf("kept % x, gap %v", f.ClientHandshake, f.ClientHandshakeGap)
	}
}

// TestOpenVPNNotRecognised: streams that only resemble OpenVPN's start,
// or that encrypt their control channel (tls-crypt), give no handshake and
// leave ordinary TLS alone.
func TestOpenVPNNotRecognised(t *testing.T) {
	crypt := ovpnPacket(ovpnHardResetClient, 0, nil, 0, nil)
	for id := uint32(1); id < 8; id++ {
		crypt = append(crypt, ovpnPacket(ovpnControlV1, 0, nil, id, bytes.Repeat([]byte{0x17, 0x99}, 60))...)
	}
	f := handshakeFlow(t, Config{}, crypt)
	if len(f.ClientHandshake) != 0 {
		t.Errorf("encrypted control channel: kept % x", f.ClientHandshake)
	}
	f = handshakeFlow(t, Config{}, clientHelloRec)
	if !bytes.Equal(f.ClientHandshake, clientHelloRec) {
		t.Errorf("plain TLS: kept % x", f.ClientHandshake)
	}
	if looksOpenVPN([]byte{0, 5, 0x38}, acceptClient) || looksOpenVPN([]byte{0, 14, 0x40}, acceptClient) || !looksOpenVPN([]byte{0, 14, 0x40}, acceptServer) {
		t.Error("looksOpenVPN")
	}
}

// FuzzOpenVPN: whatever follows an OpenVPN hard reset, the capture stays
// within its bounds and never panics.
func FuzzOpenVPN(f *testing.F) {
	f.Add(ovpnStreamOf(ovpnHardResetClient, 0, clientHelloRec, 30)[16:], uint8(3))
	f.Add(ovpnStreamOf(ovpnHardResetClient, 28, clientHelloRec, 20)[44:], uint8(7))
	f.Fuzz(func(t *testing.T, rest []byte, step uint8) {
		stream := append(ovpnPacket(ovpnHardResetClient, 0, nil, 0, nil), rest...)
		var h hsCapture
		for off := 0; off < len(stream); {
			n := min(len(stream)-off, int(step)+1)
			h.feed(stream[off:off+n], off, acceptClient, 600, 300)
			off += n
		}
		if len(h.buf) > 600 {
			t.Fatalf("kept %d bytes > 600", len(h.buf))
		}
		if h.ovpn == nil {
			t.Fatal("hard reset not recognised")
		}
		if o := h.ovpn; cap(o.pkt) > ovpnMaxControl+1400 {
			t.Fatalf("packet buffer %d", cap(o.pkt))
		}
	})
}

// TestOpenVPNHoleInHello: bytes the capture missed inside an OpenVPN
// control channel's hello (a lost segment, a snap length) are a gap, not
// a hello the client cut short.
func TestOpenVPNHoleInHello(t *testing.T) {
	const c, s = true, false
	// The hello in two control packets; the capture keeps the first and
	// 10 bytes of the second, and loses the rest.
	client := ovpnPacket(ovpnHardResetClient, 0, nil, 0, nil)
	client = append(client, ovpnPacket(ovpnControlV1, 0, nil, 1, bigHello[:300])...)
	cut := len(client) + 10
	client = append(client, ovpnPacket(ovpnControlV1, 0, nil, 2, bigHello[300:])...)
	segs := []Segment{seg(c, 0, 1000, syn, ""), seg(s, 1, 5000, synack, ""), seg(c, 2, 1001, ack, ""),
		seg(c, 3, 1001, ack, string(client[:cut])),
		// the client's FIN says the rest was sent
		seg(c, 4, 1001+uint32(len(client)), fin, ""), seg(s, 5, 5001, fin, "")}
	out := runSegments(t, DefaultConfig(), segs)
	if len(out) != 1 {
		t.Fatalf("%d flows, want 1", len(out))
	}
	if f := out[0]; !f.ClientHandshakeGap || !f.ClientHoled {
		t.Errorf("handshake gap %v, holed %v: want both", f.ClientHandshakeGap, f.ClientHoled)
	}
}
