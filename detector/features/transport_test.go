package features

import (
	"bufio"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/detector/transcript"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// quicFlow runs the sample client and server Initials of RFC 9001
// Appendix A (kept by package quic) through a flow table; with corrupt
// the client's ciphertext is spoilt, so that it does not open, and the
// server does not answer.
func quicFlow(t *testing.T, corrupt bool) *flow.Flow {
	t.Helper()
	fh, err := os.Open("../../flow/quic/testdata/rfc9001-appendix-a.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	vec := map[string][]byte{}
	sc := bufio.NewScanner(fh)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), " "); ok && !strings.HasPrefix(k, "#") {
			vec[k], _ = hex.DecodeString(v)
		}
	}
	client := vec["client_packet"]
	if corrupt {
		client = append([]byte(nil), client...)
		client[200] ^= 1
	}
	var out []*flow.Flow
	tab, err := flow.NewTable(flow.Config{}, func(f *flow.Flow) { out = append(out, f) })
	if err != nil {
		t.Fatal(err)
	}
	cli := flow.Endpoint{Addr: [16]byte{10: 0xff, 11: 0xff, 12: 10, 15: 1}, Port: 50000}
	srv := flow.Endpoint{Addr: [16]byte{10: 0xff, 11: 0xff, 12: 10, 15: 2}, Port: 443}
	dgrams := []struct {
		p        []byte
		src, dst flow.Endpoint
	}{{client, cli, srv}, {vec["server_packet"], srv, cli}}
	if corrupt {
		dgrams = dgrams[:1]
	}
	for i, d := range dgrams {
		s := flow.Segment{Time: int64(i), Src: d.src, Dst: d.dst, Transport: flow.TransportUDP, Payload: d.p, PayloadLen: len(d.p), WireLen: 42 + len(d.p)}
		tab.Process(&s)
	}
	tab.Flush()
	if len(out) != 1 {
		t.Fatalf("%d flows", len(out))
	}
	return out[0]
}

// TestExtractTransport: the transport is a feature (numeric and
// categorical); a QUIC flow's fingerprints are QUIC's; a flow that looks
// like QUIC but does not open says so.
func TestExtractTransport(t *testing.T) {
	v, h := extract(quicFlow(t, false))
	if v.Vec[FQUIC] != 1 || v.Vec[FQUICUndecrypted] != 0 || v.Vec[FTLS] != 1 || v.Vec[FClientHello] != 1 || v.Vec[FServerHello] != 1 {
		t.Errorf("QUIC flow: quic %v undecrypted %v tls %v", v.Vec[FQUIC], v.Vec[FQUICUndecrypted], v.Vec[FTLS])
	}
	if got := v.Cats[CTransport]; len(got) != 1 || got[0] != "quic" || v.Cats[CAppProto][0] != "quic" {
		t.Errorf("transport %v app_proto %v", got, v.Cats[CAppProto])
	}
	if got := v.Cats[CJA4]; len(got) != 1 || got[0] != h.Client.JA4(tlsparse.TransportQUIC).JA4 || got[0][0] != 'q' {
		t.Errorf("JA4 %v", got)
	}
	if len(v.Cats[CRecordVersion]) != 0 || v.Vec[FRecordVersion] != 0 {
		t.Errorf("a QUIC hello has no record version: %v %v", v.Cats[CRecordVersion], v.Vec[FRecordVersion])
	}
	// The CRYPTO streams read as handshake messages, not as TLS records
	// whose framing broke.
	if v.Vec[FFramingBroke] != 0 || v.Vec[FNoHandshake] != 0 || !v.T.Client.Sent(1) || !v.T.Server.Sent(2) || v.T.Client.Preamble != "none" {
		t.Errorf("transcript of a QUIC flow: %+v", v.T)
	}

	v, _ = extract(quicFlow(t, true))
	if v.Vec[FQUIC] != 1 || v.Vec[FQUICUndecrypted] != 1 || v.Vec[FTLS] != 0 || v.Vec[FClientHello] != 0 || v.Cats[CTransport][0] != "quic" {
		t.Errorf("undecrypted QUIC flow: %v", v.Vec[:FClientHello+1])
	}

	v, _ = extract(labFlows(t, labset.Benign, 1)[0])
	if v.Vec[FQUIC] != 0 || v.Vec[FQUICUndecrypted] != 0 || v.Cats[CTransport][0] != "tcp" {
		t.Errorf("TCP flow: quic %v transport %v", v.Vec[FQUIC], v.Cats[CTransport])
	}
}

// TestLayout: this build's layout, and the one before the transport
// features, whose models still load: the older is a prefix of the newer.
func TestLayout(t *testing.T) {
	if s, ok := Layout(Schema); !ok || s.Len != Len || s.Cats != int(NumCats) {
		t.Errorf("own layout %+v %v", s, ok)
	}
	s, ok := Layout("handshake-features-v4")
	if !ok || s.Len != Len-2 || s.Cats != int(NumCats)-1 || Defs()[s.Len].Name != "flow.quic" || CatDefs()[s.Cats].Name != "transport" {
		t.Errorf("v4 layout %+v %v", s, ok)
	}
	if _, ok := Layout("handshake-features-v1"); ok {
		t.Error("an unknown layout accepted")
	}
}

// A STARTTLS exchange to a mail port (or RDP's to 3389, PostgreSQL's
// SSLRequest to 5432, MySQL's SSL request to 3306) is that port's protocol
// starting TLS: no preamble value or length; the same bytes to a web port
// are a preamble.
func TestOwnPortUpgradeIsNoPreamble(t *testing.T) {
	f := labFlows(t, labset.Benign, 1)[0]
	hello := f.ClientHandshake
	mysql := append([]byte{32, 0, 0, 1, 0x85, 0xae, 0xff, 0x20, 0, 0, 0, 1, 0x21}, make([]byte, 23)...)
	for _, pc := range []struct {
		pre   []byte
		kind  string
		ports map[uint16]bool // port: a preamble there
	}{
		{[]byte("EHLO client.example\r\nSTARTTLS\r\n"), transcript.PreambleSTARTTLS, map[uint16]bool{25: false, 587: false, 443: true, 3389: true}},
		{[]byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}, transcript.PreamblePgSQL, map[uint16]bool{5432: false, 443: true, 3306: true}},
		{mysql, transcript.PreambleMySQL, map[uint16]bool{3306: false, 443: true, 5432: true}},
	} {
		g := *f
		g.Prefix = append(append([]byte(nil), pc.pre...), hello...)
		g.PrefixRuns = []flow.PrefixRun{{FromClient: true, Len: len(g.Prefix)}}
		for port, want := range pc.ports {
			g.Server.Port = port
			v, _ := extract(&g)
			if v.T.Client.Preamble != pc.kind {
				t.Fatalf("%s to port %d: transcript preamble %q", pc.kind, port, v.T.Client.Preamble)
			}
			got := len(v.Cats[CPreamble]) > 0 || v.Vec[FPreambleLen] != 0
			if got != want {
				t.Errorf("%s to port %d: preamble %v (len feature %v), want %v", pc.kind, port, v.Cats[CPreamble], v.Vec[FPreambleLen], want)
			}
		}
	}
}
