package evidence

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/detector/transcript"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/labset"
	"github.com/tlsentry/tlsentry/sensor/decode"
)

// tlsFlow runs a real crypto/tls handshake (Go's server sends each
// handshake message of its TLS 1.3 turn in a record of its own) with a
// self-signed certificate naming names, and returns the flow a sensor sees.
func tlsFlow(t *testing.T, maxVersion uint16, names ...string) *flow.Flow {
	t.Helper()
	return tlsFlowWith(t, maxVersion, []tls.CurveID{tls.X25519}, names...)
}

// tlsFlowWith is tlsFlow with the client's key exchange groups (nil: Go's
// default, a post-quantum key share first).
func tlsFlowWith(t *testing.T, maxVersion uint16, curves []tls.CurveID, names ...string) *flow.Flow {
	t.Helper()
	return tlsFlowKey(t, capgen.ECDSAP256, maxVersion, curves, names...)
}

// tlsFlowKey is tlsFlowWith with the server's key type.
func tlsFlowKey(t *testing.T, key capgen.KeyType, maxVersion uint16, curves []tls.CurveID, names ...string) *flow.Flow {
	t.Helper()
	return tlsFlowServer(t, key, maxVersion, curves, nil, names...)
}

// tlsFlowServer is tlsFlowKey with the server's groups (nil: Go's
// default): a server that wants a group the client sent no key share for
// answers with a HelloRetryRequest.
func tlsFlowServer(t *testing.T, key capgen.KeyType, maxVersion uint16, curves, serverCurves []tls.CurveID, names ...string) *flow.Flow {
	t.Helper()
	return flowOf(t, tlsConv(t, key, maxVersion, curves, serverCurves, names...), "192.0.2.9:443")
}

// tlsConv is the conversation tlsFlowServer's flow carries.
func tlsConv(t *testing.T, key capgen.KeyType, maxVersion uint16, curves, serverCurves []tls.CurveID, names ...string) capgen.Conversation {
	t.Helper()
	cert, err := capgen.SelfSignedCert(capgen.CertOptions{Key: key, CommonName: names[0], DNSNames: names, Seed: uint64(len(names))})
	if err != nil {
		t.Fatal(err)
	}
	c, s := capgen.TLSConfigs(cert, names[0])
	c.MaxVersion = maxVersion
	if maxVersion < tls.VersionTLS12 { // an obsolete client, and a server that still speaks its version
		c.MinVersion, s.MinVersion = maxVersion, maxVersion
	}
	// X25519 alone, as Go clients before 1.24 offered, keeps the hello
	// small: the server's turn is in the prefix. A post-quantum key share
	// fills the prefix: the turn is in the kept handshake bytes only.
	c.CurvePreferences, s.CurvePreferences = curves, serverCurves
	conv, err := capgen.TLSConversation(context.Background(), c, s, capgen.TLSOptions{ClientData: []byte("GET / HTTP/1.1\r\n\r\n"), ServerData: []byte("HTTP/1.1 204 No Content\r\n\r\n")})
	if err != nil {
		t.Fatal(err)
	}
	return conv
}

// flowOf is the flow a sensor sees of conv, carried to server.
func flowOf(t *testing.T, conv capgen.Conversation, server string) *flow.Flow {
	t.Helper()
	spec := capgen.FlowSpec{Client: netip.MustParseAddrPort("10.0.0.7:50000"), Server: netip.MustParseAddrPort(server)}
	pkts, err := spec.Packets(conv)
	if err != nil {
		t.Fatal(err)
	}
	var out []*flow.Flow
	table, err := flow.NewTable(flow.DefaultConfig(), func(f *flow.Flow) { out = append(out, f) })
	if err != nil {
		t.Fatal(err)
	}
	dec := decode.NewDecoder()
	var seg flow.Segment
	for _, p := range pkts {
		if why := dec.Decode(decode.LinkEthernet, p.Data, &seg); why != decode.SkipNone {
			t.Fatalf("packet does not decode: %v", why)
		}
		seg.Time = p.Time.UnixNano()
		table.Process(&seg)
	}
	table.Flush()
	if len(out) != 1 {
		t.Fatalf("%d flows", len(out))
	}
	return out[0]
}

// manyNames are enough SANs to make a certificate as large as a public
// chain.
func manyNames(n int) []string {
	out := []string{"big.example.com"}
	for i := range n {
		out = append(out, fmt.Sprintf("host-%03d.a-rather-long-subdomain.example.com", i))
	}
	return out
}

// firedID reports whether check id is among the table's findings for in.
func firedID(tab *Table, in *Input, id string) bool {
	_, ok := fired(tab, in, id)
	return ok
}

func fired(tab *Table, in *Input, id string) (Finding, bool) {
	for _, f := range tab.Explain(in) {
		if f.ID == id {
			return f, true
		}
	}
	return Finding{}, false
}

// TestSmallFlight: in TLS 1.3 a lone self-made certificate shows as a
// small encrypted turn; a turn the size of a public chain, TLS 1.2 (whose
// certificates the certificate checks read) and a site's own servers do
// not fire.
func TestSmallFlight(t *testing.T) {
	tab := Calibrate("labset benign", inputs(t, labset.Benign, 8), nil)
	small := input(tlsFlow(t, tls.VersionTLS13, "small.example.com"))
	f, ok := fired(tab, small, "flight.small_chain")
	if !ok || f.Field != "tls.server.encrypted_bytes" || !strings.Contains(f.Text, "too few for a chain of the public Web PKI") {
		t.Fatalf("a TLS 1.3 server with a lone self-signed certificate: %+v %v", f, ok)
	}
	if !checks[len(checks)-1].applies(small) || small.TLS.Resumed() {
		t.Fatal("a full TLS 1.3 handshake is not judged")
	}
	// A client hello that fills the prefix (Go's default post-quantum key
	// share): the server's turn is read from the kept handshake bytes.
	pq := input(tlsFlowWith(t, tls.VersionTLS13, nil, "pq.example.com"))
	if fl := transcript.ServerFlight(pq.Flow); fl.Records != 0 {
		t.Fatalf("the turn is in the prefix (%+v): the test does not test the kept bytes", fl)
	}
	if f, ok := fired(tab, pq, "flight.small_chain"); !ok {
		t.Errorf("a post-quantum hello hides the small turn: %+v", transcript.KeptFlight(pq.Flow))
	} else if !strings.Contains(f.Text, "its first 2 encrypted records took") {
		t.Errorf("text %q", f.Text)
	}

	// A resumption (the server took a pre-shared key) sends no
	// certificates; nor is a turn judged without the client's hello (a
	// capture of one direction).
	resumed := input(small.Flow)
	sh := *resumed.TLS.Server.ServerHello
	sh.Extensions = append(slices.Clone(sh.Extensions), tlsparse.Extension{Type: tlsparse.ExtPreSharedKey})
	sf := *resumed.TLS.Server
	sf.ServerHello = &sh
	resumed.TLS.Server = &sf
	oneWay := input(small.Flow)
	oneWay.TLS.Client = nil
	// A client that asked for small records gets its certificates in many.
	limited := input(small.Flow)
	ch := *limited.TLS.Client
	ch.Extensions = append(slices.Clone(ch.Extensions), tlsparse.Extension{Type: 28, Data: []byte{0x02, 0x00}})
	limited.TLS.Client = &ch
	for name, in := range map[string]*Input{"resumed": resumed, "one direction": oneWay, "record_size_limit 512": limited} {
		if fullTLS13(in) {
			t.Errorf("%s: judged", name)
		}
	}
	// A lone RSA-2048 certificate: its signature makes the turn larger
	// than an ECDSA one's, and still too small for a public chain.
	rsa := input(tlsFlowKey(t, capgen.RSA2048, tls.VersionTLS13, []tls.CurveID{tls.X25519}, "c2.example.net", "www.c2.example.net", "mail.c2.example.net", "cdn.c2.example.net"))
	if fl := flightOf(rsa); fl.Total < 1200 || fl.Total >= minPublicFlight {
		t.Fatalf("the RSA-2048 turn takes %d bytes: the test wants one between 1200 and %d", fl.Total, minPublicFlight)
	}
	if _, ok := fired(tab, rsa, "flight.small_chain"); !ok {
		t.Errorf("a lone self-signed RSA-2048 certificate (%d bytes in all) passes for a public chain", flightOf(rsa).Total)
	}
	// A server that asks for another key share (a HelloRetryRequest) sends
	// its certificates in its second turn, which is the one weighed.
	retry := input(tlsFlowServer(t, capgen.ECDSAP256, tls.VersionTLS13, []tls.CurveID{tls.X25519, tls.CurveP256}, []tls.CurveID{tls.CurveP256}, "retry.example.com"))
	if retry.TLS.Server.HelloRetryRequest == nil {
		t.Fatal("the server did not ask for another key share: the test does not test a HelloRetryRequest")
	}
	if fl := transcript.ServerFlight(retry.Flow); fl.Records == 0 {
		t.Errorf("the turn after the HelloRetryRequest is not read: %+v", fl)
	}
	if _, ok := fired(tab, retry, "flight.small_chain"); !ok {
		t.Errorf("a HelloRetryRequest hides the small turn: %+v", flightOf(retry))
	}
	// Through an HTTP proxy the server's first turn is the proxy's answer to
	// CONNECT: the certificates come in the turn that answers the hello.
	// (STARTTLS on its own port is not judged by the web's conventions.)
	connect := capgen.Conversation{capgen.ClientWrite([]byte("CONNECT proxied.example.com:443 HTTP/1.1\r\nHost: proxied.example.com:443\r\n\r\n")),
		capgen.ServerWrite([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))}
	proxied := input(flowOf(t, append(connect, tlsConv(t, capgen.ECDSAP256, tls.VersionTLS13, []tls.CurveID{tls.X25519}, nil, "proxied.example.com")...), "192.0.2.9:8080"))
	if proxied.T.Client.Preamble != transcript.PreambleConnect {
		t.Fatalf("the flow is not read as CONNECT: %q", proxied.T.Client.Preamble)
	}
	if _, ok := fired(tab, proxied, "flight.small_chain"); !ok {
		t.Errorf("a proxy's answer hides the small turn: %+v", transcript.ServerFlight(proxied.Flow))
	}
	big := input(tlsFlow(t, tls.VersionTLS13, manyNames(40)...))
	if fl := transcript.ServerFlight(big.Flow); fl.Largest < minPublicFlight {
		t.Fatalf("the big certificate's record is not in the prefix: %+v", fl)
	}
	if f, ok := fired(tab, big, "flight.small_chain"); ok {
		t.Errorf("a server sending %s bytes of certificates: %+v", f.Value, f)
	}
	old := input(tlsFlow(t, tls.VersionTLS12, "small.example.com"))
	if f, ok := fired(tab, old, "flight.small_chain"); ok {
		t.Errorf("TLS 1.2 (certificates in clear): %+v", f)
	}
	if _, ok := fired(tab, old, "cert.self_signed"); !ok {
		t.Error("TLS 1.2: the certificate checks do not read the certificate")
	}

	site := tab.LearnFlights([]*Input{small, big, old})
	if len(site.KnownFlights) != 1 || site.KnownFlights[0] != "small.example.com" {
		t.Fatalf("a site's table learned %q", site.KnownFlights)
	}
	if f, ok := fired(site, small, "flight.small_chain"); ok {
		t.Errorf("the site's own server: %+v", f)
	}
	other := input(tlsFlow(t, tls.VersionTLS13, "other.example.com"))
	if _, ok := fired(site, other, "flight.small_chain"); !ok {
		t.Error("a server the site never trained on is silent")
	}
	if again := site.LearnFlights([]*Input{small}); len(again.KnownFlights) != 1 {
		t.Errorf("learned twice: %q", again.KnownFlights)
	}

	data, err := site.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back Table
	if err := back.UnmarshalBinary(data); err != nil || len(back.KnownFlights) != 1 {
		t.Fatalf("round trip: %v %q", err, back.KnownFlights)
	}
	if _, ok := fired(&back, small, "flight.small_chain"); ok {
		t.Error("the decoded table forgot the site's server")
	}
	dup := strings.Replace(string(data), `"known_small_flights":["small.example.com"]`, `"known_small_flights":["small.example.com","small.example.com"]`, 1)
	if err := back.UnmarshalBinary([]byte(dup)); err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Errorf("a server listed twice: %v", err)
	}
}
