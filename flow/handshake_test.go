package flow

import (
	"bytes"
	"crypto/sha256"
	"testing"
)

// Crafted TLS bytes for the handshake capture's framing rules.

func tlsRecord(typ byte, payload []byte) []byte {
	return append([]byte{typ, 3, 3, byte(len(payload) >> 8), byte(len(payload))}, payload...)
}

func hsMessage(typ byte, body []byte) []byte {
	return append([]byte{typ, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
}

// serverHelloMsg is a ServerHello with the given random (nil: zeros).
func serverHelloMsg(random []byte) []byte {
	if random == nil {
		random = make([]byte, 32)
	}
	body := append([]byte{3, 3}, random...)
	body = append(body, 0, 0x13, 0x01, 0)
	return hsMessage(2, body)
}

func helloRetryRandom() []byte {
	sum := sha256.Sum256([]byte("HelloRetryRequest"))
	return sum[:]
}

var (
	// A ClientHello as the table sees it: version 3.3, then filler whose
	// session id length (7) is possible.
	clientHelloRec = tlsRecord(22, hsMessage(1, append([]byte{3, 3}, bytes.Repeat([]byte{7}, 58)...)))
	ccsRec         = tlsRecord(20, []byte{1})
	appDataRec     = tlsRecord(23, bytes.Repeat([]byte{9}, 40))
)

// handshakeFlow runs a connection whose client sends client and whose
// server answers with each of server's writes (one segment each), and
// returns the flow.
func handshakeFlow(t *testing.T, cfg Config, client []byte, server ...[]byte) *Flow {
	t.Helper()
	const c, s = true, false
	segs := []Segment{seg(c, 0, 1000, syn, ""), seg(s, 1, 5000, synack, ""), seg(c, 2, 1001, ack, string(client))}
	seq := uint32(5001)
	for i, w := range server {
		segs = append(segs, seg(s, 3+i, seq, ack, string(w)))
		seq += uint32(len(w))
	}
	flows := runSegments(t, cfg, segs)
	if len(flows) != 1 {
		t.Fatalf("%d flows", len(flows))
	}
	return flows[0]
}

// TestCaptureAcrossHelloRetry: after a HelloRetryRequest and the
// ChangeCipherSpec of middlebox compatibility, the capture goes on to the
// real ServerHello and stops at the records after it, wherever the
// segments cut the stream.
func TestCaptureAcrossHelloRetry(t *testing.T) {
	hrr := tlsRecord(22, serverHelloMsg(helloRetryRandom()))
	real := tlsRecord(22, serverHelloMsg(nil))
	want := bytes.Join([][]byte{hrr, ccsRec, real}, nil)
	// The capture keeps whole segments: the one that completes the
	// flight (here ChangeCipherSpec and encrypted data) is the last kept.
	end := append(bytes.Clone(ccsRec), appDataRec...)
	later := tlsRecord(23, bytes.Repeat([]byte{0xee}, 20))
	for cut := 1; cut < len(want); cut++ {
		f := handshakeFlow(t, Config{}, clientHelloRec, want[:cut], want[cut:], end, later)
		if kept := f.ServerHandshake; !bytes.Equal(kept, append(bytes.Clone(want), end...)) || f.ServerHandshakeAtLimit {
			t.Fatalf("cut at %d: kept %d bytes, want %d (hello retry, CCS, ServerHello, then the segment after)", cut, len(kept), len(want)+len(end))
		}
	}
	// A plain ServerHello followed by ChangeCipherSpec ends there.
	f := handshakeFlow(t, Config{}, clientHelloRec, real, ccsRec, later)
	if want := append(bytes.Clone(real), ccsRec...); !bytes.Equal(f.ServerHandshake, want) {
		t.Errorf("plain hello: kept %d bytes, want %d", len(f.ServerHandshake), len(want))
	}
	// A TLS 1.3 draft HelloRetryRequest (type 6) is followed the same way.
	draft := tlsRecord(22, hsMessage(6, []byte{0x7f, 0x12, 0, 0}))
	f = handshakeFlow(t, Config{}, clientHelloRec, draft, real, appDataRec, later)
	if want := bytes.Join([][]byte{draft, real, appDataRec}, nil); !bytes.Equal(f.ServerHandshake, want) {
		t.Errorf("draft retry: kept %d bytes, want %d", len(f.ServerHandshake), len(want))
	}
}

// TestCaptureServerAlert: a server that refuses the ClientHello with an
// alert has that alert kept; a warning before the ServerHello does not end
// the flight; an alert is not taken for the start of TLS before the
// client's hello was seen.
func TestCaptureServerAlert(t *testing.T) {
	fatal := tlsRecord(21, []byte{2, 40})
	f := handshakeFlow(t, Config{}, clientHelloRec, fatal)
	if !bytes.Equal(f.ServerHandshake, fatal) {
		t.Errorf("fatal alert: kept % x", f.ServerHandshake)
	}
	// The alert's two bytes in a later segment are waited for.
	f = handshakeFlow(t, Config{}, clientHelloRec, fatal[:6], fatal[6:])
	if !bytes.Equal(f.ServerHandshake, fatal) {
		t.Errorf("split alert: kept % x", f.ServerHandshake)
	}
	warning := tlsRecord(21, []byte{1, 112})
	hello := tlsRecord(22, serverHelloMsg(nil))
	f = handshakeFlow(t, Config{}, clientHelloRec, warning, hello, ccsRec)
	if want := bytes.Join([][]byte{warning, hello, ccsRec}, nil); !bytes.Equal(f.ServerHandshake, want) {
		t.Errorf("warning then hello: kept % x", f.ServerHandshake)
	}
	// Plain text from the client: no ClientHello, so the server's bytes
	// are not searched for an alert.
	f = handshakeFlow(t, Config{}, []byte("EHLO example\r\n"), append([]byte("250 ok\r\n"), fatal...))
	if len(f.ServerHandshake) != 0 {
		t.Errorf("alert without a ClientHello kept: % x", f.ServerHandshake)
	}
}

// TestNoHelloAfterCCS: a handshake record right after a
// change_cipher_spec is encrypted (a Finished), though its first byte may
// be a hello's: a capture that resumes there (the hello lost) keeps none,
// in one segment or two; without the change_cipher_spec before it, the
// same record is taken for the server's hello.
func TestNoHelloAfterCCS(t *testing.T) {
	finished := tlsRecord(22, append([]byte{2}, bytes.Repeat([]byte{0xa5}, 39)...))
	if f := handshakeFlow(t, Config{}, clientHelloRec, append(append([]byte(nil), ccsRec...), finished...)); len(f.ServerHandshake) != 0 {
		t.Errorf("encrypted Finished after change_cipher_spec kept as a hello: % x", f.ServerHandshake)
	}
	if f := handshakeFlow(t, Config{}, clientHelloRec, ccsRec, finished); len(f.ServerHandshake) != 0 {
		t.Errorf("the same in two segments kept: % x", f.ServerHandshake)
	}
	if f := handshakeFlow(t, Config{}, clientHelloRec, finished); !bytes.Equal(f.ServerHandshake, finished) {
		t.Errorf("without change_cipher_spec: kept % x, want the record", f.ServerHandshake)
	}
}

// TestCaptureAtLimit: a server flight larger than the handshake limit is
// kept up to the limit and flagged; one that ends inside it is not.
func TestCaptureAtLimit(t *testing.T) {
	hello := tlsRecord(22, serverHelloMsg(nil))
	bigCert := tlsRecord(22, hsMessage(11, bytes.Repeat([]byte{1}, 3000)))
	done := tlsRecord(22, hsMessage(14, nil))
	cfg := Config{HandshakeLimit: 2048}
	f := handshakeFlow(t, cfg, clientHelloRec, hello, bigCert, done)
	if len(f.ServerHandshake) != 2048 || !f.ServerHandshakeAtLimit || f.ClientHandshakeAtLimit {
		t.Errorf("big flight: kept %d, at limit %v/%v", len(f.ServerHandshake), f.ServerHandshakeAtLimit, f.ClientHandshakeAtLimit)
	}
	small := tlsRecord(22, hsMessage(11, bytes.Repeat([]byte{1}, 300)))
	f = handshakeFlow(t, cfg, clientHelloRec, hello, small, done)
	if want := bytes.Join([][]byte{hello, small, done}, nil); !bytes.Equal(f.ServerHandshake, want) || f.ServerHandshakeAtLimit {
		t.Errorf("small flight: kept %d of %d, at limit %v", len(f.ServerHandshake), len(want), f.ServerHandshakeAtLimit)
	}
}
