package tlsparse_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/capgen"
)

// These tests run real crypto/tls handshakes (internal/capgen), pass
// their bytes through the flow table as TCP segments, and parse what the
// table kept, as the sensor does.

// flowOf sends conv through a flow table as one TCP connection (SYN
// handshake, every write cut into segments of at most mss bytes) and
// returns the flow handed out.
func flowOf(t *testing.T, conv capgen.Conversation, cfg flow.Config) *flow.Flow {
	t.Helper()
	client := flow.Endpoint{Port: 50000}
	server := flow.Endpoint{Port: 443}
	copy(client.Addr[:], netip.MustParseAddr("10.0.0.1").AsSlice())
	copy(server.Addr[:], netip.MustParseAddr("10.0.0.2").AsSlice())
	var out []*flow.Flow
	tab, err := flow.NewTable(cfg, func(f *flow.Flow) { out = append(out, f) })
	if err != nil {
		t.Fatal(err)
	}
	now := int64(0)
	seq := [2]uint32{1000, 9000}
	send := func(fromClient bool, flags uint8, payload []byte) {
		s := flow.Segment{Time: now, Flags: flags, Payload: payload, PayloadLen: len(payload), WireLen: 54 + len(payload)}
		d := 1
		s.Src, s.Dst = server, client
		if fromClient {
			d = 0
			s.Src, s.Dst = client, server
		}
		s.Seq = seq[d]
		if flags&flow.FlagSYN != 0 {
			seq[d]++
		}
		seq[d] += uint32(len(payload))
		now += int64(time.Millisecond)
		tab.Process(&s)
	}
	send(true, flow.FlagSYN, nil)
	send(false, flow.FlagSYN|flow.FlagACK, nil)
	const mss = 1400
	for _, w := range conv {
		for b := w.Data; len(b) > 0; {
			n := min(mss, len(b))
			send(w.FromClient, flow.FlagACK, b[:n])
			b = b[n:]
		}
	}
	tab.Flush()
	if len(out) != 1 {
		t.Fatalf("%d flows", len(out))
	}
	return out[0]
}

// handshakeOf runs a real handshake between cc and sc and parses the
// flow the table keeps of it. A handshake that fails is fine (an alert,
// say); what was written is still on the wire.
func handshakeOf(t *testing.T, cc, sc *tls.Config, cfg flow.Config) (*flow.Flow, *tlsparse.Handshake) {
	t.Helper()
	conv, err := capgen.TLSConversation(context.Background(), cc, sc, capgen.TLSOptions{
		ClientData: []byte("GET / HTTP/1.1\r\n\r\n"), ServerData: []byte("HTTP/1.1 200 OK\r\n\r\n"),
	})
	if err != nil {
		t.Logf("handshake: %v", err)
	}
	f := flowOf(t, conv, cfg)
	return f, tlsparse.FromFlow(f, nil)
}

func configs(t *testing.T, name string) (client, server *tls.Config) {
	t.Helper()
	cert, err := capgen.SelfSignedCert(capgen.CertOptions{CommonName: name, DNSNames: []string{name}, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	return capgen.TLSConfigs(cert, name)
}

// TestGeneratedHelloRetryRequest: a client whose key shares the server
// does not accept (it takes only P-384) gets a HelloRetryRequest; the
// flow still yields the final ServerHello: its version, suite and JA3S.
func TestGeneratedHelloRetryRequest(t *testing.T) {
	cc, sc := configs(t, "hrr.example")
	sc.CurvePreferences = []tls.CurveID{tls.CurveP384}
	_, h := handshakeOf(t, cc, sc, flow.Config{})
	sf := h.Server
	if sf == nil || sf.HelloRetryRequest == nil || sf.ServerHello == nil {
		t.Fatalf("server flight %+v (%v)", sf, h.ServerErr)
	}
	if h.ServerErr != nil || sf.Truncated {
		t.Errorf("server: %v, truncated %v", h.ServerErr, sf.Truncated)
	}
	sh := sf.ServerHello
	if sh.HelloRetryRequest || sh.SelectedVersion != tlsparse.VersionTLS13 || sh.KeyShareGroup != uint16(tls.CurveP384) {
		t.Errorf("final ServerHello: %+v", sh)
	}
	if tlsparse.CipherSuiteName(sh.CipherSuite) != tls.CipherSuiteName(sh.CipherSuite) {
		t.Errorf("suite %04x: %s", sh.CipherSuite, tlsparse.CipherSuiteName(sh.CipherSuite))
	}
	if p := h.Prints(tlsparse.TransportTCP); p.JA3S.Full == "" || p.JA3S.Full != sh.JA3S().Full {
		t.Errorf("JA3S %q, want the final hello's %q", p.JA3S.Full, sh.JA3S().Full)
	}
	if h.VersionName() != "TLS 1.3" {
		t.Errorf("version %s", h.VersionName())
	}
}

// TestGeneratedServerAlert: a server that refuses the client's versions
// answers with a fatal protocol_version alert, which the flow keeps.
func TestGeneratedServerAlert(t *testing.T) {
	cc, sc := configs(t, "alert.example")
	cc.MaxVersion, sc.MinVersion = tls.VersionTLS12, tls.VersionTLS13
	_, h := handshakeOf(t, cc, sc, flow.Config{})
	if h.Server == nil || h.Server.Alert == nil {
		t.Fatalf("no alert: %+v (%v)", h.Server, h.ServerErr)
	}
	if got := h.Server.Alert.String(); got != "fatal: protocol_version" || h.ServerErr != nil {
		t.Errorf("alert %q, error %v", got, h.ServerErr)
	}
	if h.VersionName() != "TLS 1.2" {
		t.Errorf("version %s: the client's highest", h.VersionName())
	}
}

// TestGeneratedResumption: a second connection with the client's session
// cache resumes: with a TLS 1.2 session ticket (crypto/tls sends a
// session id with it, which the server echoes) and with a TLS 1.3 PSK.
// First connections are full handshakes.
func TestGeneratedResumption(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			cc, sc := configs(t, "resume.example")
			cc.MaxVersion = v
			cc.ClientSessionCache = tls.NewLRUClientSessionCache(4)
			_, first := handshakeOf(t, cc, sc, flow.Config{})
			if first.Resumed() {
				t.Error("first connection resumed")
			}
			_, second := handshakeOf(t, cc, sc, flow.Config{})
			if !second.Resumed() {
				t.Errorf("second connection not resumed: %+v", second.Server)
			}
			if v == tls.VersionTLS12 && second.Server.Leaf != nil {
				t.Error("a resumed TLS 1.2 session sent a certificate")
			}
		})
	}
}

// bigChainCerts: padding certificates after the leaf, about 3 KB each
// (120 make a 365 KB Certificate message; the result is the same).
const bigChainCerts = 40

// TestGeneratedBigChain: a certificate chain larger than the handshake
// limit is kept up to the limit; the leaf and the intermediates that fit
// are parsed, the record says the chain was cut, and nothing says the
// capture was truncated.
func TestGeneratedBigChain(t *testing.T) {
	leaf, err := capgen.SelfSignedCert(capgen.CertOptions{CommonName: "big.example", DNSNames: []string{"big.example"}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	chain := leaf
	for i := range bigChainCerts {
		names := make([]string, 80)
		for j := range names {
			names[j] = fmt.Sprintf("pad-%02d-%03d.intermediate.example", i, j)
		}
		c, err := capgen.SelfSignedCert(capgen.CertOptions{CommonName: fmt.Sprint("intermediate ", i), DNSNames: names, Seed: uint64(100 + i)})
		if err != nil {
			t.Fatal(err)
		}
		chain.Certificate = append(chain.Certificate, c.Certificate[0])
	}
	total := 0
	for _, c := range chain.Certificate {
		total += len(c)
	}
	cc, sc := capgen.TLSConfigs(chain, "big.example")
	cc.MaxVersion = tls.VersionTLS12
	cc.InsecureSkipVerify = true // the padding certificates are not a real chain
	f, h := handshakeOf(t, cc, sc, flow.Config{})
	if !f.ServerHandshakeAtLimit || total < 4*len(f.ServerHandshake) {
		t.Fatalf("chain of %d bytes: kept %d, at limit %v", total, len(f.ServerHandshake), f.ServerHandshakeAtLimit)
	}
	sf := h.Server
	if sf == nil || sf.Leaf == nil || sf.Leaf.Subject != "CN=big.example" {
		t.Fatalf("no leaf: %+v (%v)", sf, h.ServerErr)
	}
	if !sf.ChainCut || sf.Truncated || h.ServerErr != nil || len(sf.Chain) < 2 || len(sf.Chain) >= len(chain.Certificate) {
		t.Errorf("chain cut %v, truncated %v, error %v, %d of %d certificates", sf.ChainCut, sf.Truncated, h.ServerErr, len(sf.Chain), len(chain.Certificate))
	}
	// The same flight with a capture that really stopped inside the
	// certificates (the connection cut short) is truncated.
	stream := f.ServerHandshake[:len(f.ServerHandshake)/2]
	cut, err := tlsparse.ParseServerFlight(stream)
	if cut == nil || !cut.Truncated || !cut.ChainCut || cut.Leaf == nil || err == nil {
		t.Errorf("stream cut in half: %+v %v", cut, err)
	}
}

// openVPNOverTCP carries each side's TLS bytes the way OpenVPN over TCP
// does: a hard reset, then P_CONTROL_V1 packets of at most 100 TLS bytes
// (2-byte length, opcode, session id, tls-auth HMAC-SHA1 with packet id
// and time, an ack array, the message packet id).
func openVPNOverTCP(conv capgen.Conversation) capgen.Conversation {
	packet := func(opcode byte, id uint32, payload []byte) []byte {
		p := []byte{opcode << 3}
		p = append(p, make([]byte, 8+20+8)...) // session id, HMAC, packet id and time
		p = append(p, 1, 0, 0, 0, 0)           // one ack (id 0)
		p = append(p, make([]byte, 8)...)      // the peer's session id
		p = append(p, byte(id>>24), byte(id>>16), byte(id>>8), byte(id))
		p = append(p, payload...)
		return append([]byte{byte(len(p) >> 8), byte(len(p))}, p...)
	}
	out := capgen.Conversation{capgen.ClientWrite(packet(7, 0, nil)), capgen.ServerWrite(packet(8, 0, nil))}
	ids := map[bool]uint32{true: 1, false: 1}
	for _, w := range conv {
		var framed []byte
		for b := w.Data; len(b) > 0; {
			n := min(100, len(b))
			framed = append(framed, packet(4, ids[w.FromClient], b[:n])...)
			ids[w.FromClient]++
			b = b[n:]
		}
		out = append(out, capgen.Write{FromClient: w.FromClient, Data: framed})
	}
	return out
}

// TestGeneratedOpenVPN: a real handshake inside OpenVPN over TCP, its
// ClientHello split over many control packets, gives the fingerprints
// and certificate of the same handshake without OpenVPN.
func TestGeneratedOpenVPN(t *testing.T) {
	cc, sc := configs(t, "vpn.example")
	cc.MaxVersion = tls.VersionTLS12
	conv, err := capgen.TLSConversation(context.Background(), cc, sc, capgen.TLSOptions{ClientData: []byte("ping"), ServerData: []byte("pong")})
	if err != nil {
		t.Fatal(err)
	}
	plain := tlsparse.FromFlow(flowOf(t, conv, flow.Config{}), nil)
	vpn := tlsparse.FromFlow(flowOf(t, openVPNOverTCP(conv), flow.Config{}), nil)
	if plain.Client == nil || vpn.Client == nil || vpn.Server == nil || vpn.Server.Leaf == nil {
		t.Fatalf("plain %+v, through OpenVPN %+v (%v %v)", plain, vpn, vpn.ClientErr, vpn.ServerErr)
	}
	p, v := plain.Prints(tlsparse.TransportTCP), vpn.Prints(tlsparse.TransportTCP)
	if p.JA3 != v.JA3 || p.JA3S != v.JA3S || p.JA4 != v.JA4 || v.JA3.Full == "" {
		t.Errorf("fingerprints differ:\n plain %+v\n vpn   %+v", p, v)
	}
	if vpn.Server.Leaf.Subject != "CN=vpn.example" || vpn.ClientErr != nil || vpn.ServerErr != nil {
		t.Errorf("leaf %q, errors %v %v", vpn.Server.Leaf.Subject, vpn.ClientErr, vpn.ServerErr)
	}
}
