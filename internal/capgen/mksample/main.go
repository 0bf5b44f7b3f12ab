// Command mksample writes testdata/sample.pcap: a small capture of real
// TLS handshakes (crypto/tls, TLS 1.2 and 1.3, several client set-ups) and
// a few non-TLS flows on port 443, made with the capgen generator so that
// the project ships a sample without committing third-party captures.
// Keys, randoms and key shares change on every run; everything else
// (addresses, timing, segmentation, certificates) is fixed.
//
//	go run ./internal/capgen/mksample -o testdata/sample.pcap
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/tlsentry/tlsentry/internal/capgen"
)

func main() {
	out := flag.String("o", "testdata/sample.pcap", "output capture")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "mksample:", err)
		os.Exit(1)
	}
}

type client struct {
	sni        string
	minV, maxV uint16
	alpn       []string
	suites     []uint16
}

func run(out string) error {
	server := netip.MustParseAddr("192.0.2.10")
	clients := []client{
		{sni: "www.example.com", maxV: tls.VersionTLS13, alpn: []string{"h2", "http/1.1"}},
		{sni: "api.example.com", maxV: tls.VersionTLS13},
		{sni: "mail.example.org", maxV: tls.VersionTLS12, alpn: []string{"http/1.1"}},
		{sni: "legacy.example.net", minV: tls.VersionTLS10, maxV: tls.VersionTLS10, suites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA}},
	}
	var flows [][]capgen.Packet
	for i, c := range clients {
		key := capgen.ECDSAP256
		if c.suites != nil {
			key = capgen.RSA2048
		}
		cert, err := capgen.SelfSignedCert(capgen.CertOptions{Key: key, CommonName: c.sni, DNSNames: []string{c.sni}, Seed: uint64(i + 1)})
		if err != nil {
			return err
		}
		cc, sc := capgen.TLSConfigs(cert, c.sni)
		cc.MinVersion, cc.MaxVersion, cc.NextProtos, cc.CipherSuites = c.minV, c.maxV, c.alpn, c.suites
		sc.MinVersion, sc.NextProtos = c.minV, c.alpn
		conv, err := capgen.TLSConversation(context.Background(), cc, sc, capgen.TLSOptions{
			ClientData: []byte("GET / HTTP/1.1\r\nHost: " + c.sni + "\r\n\r\n"),
			ServerData: []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
		})
		if err != nil {
			return fmt.Errorf("%s: %w", c.sni, err)
		}
		pkts, err := flowSpec(i, server).Packets(conv)
		if err != nil {
			return err
		}
		flows = append(flows, pkts)
	}
	others := []capgen.Conversation{
		capgen.HTTPExchange("GET / HTTP/1.1\r\nHost: 192.0.2.10:443\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n\r\n"),
		capgen.SSHBanners("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", "SSH-2.0-OpenSSH_9.6\r\n"),
		capgen.RandomConversation(42, 4, 600),
	}
	for j, conv := range others {
		pkts, err := flowSpec(len(clients)+j, server).Packets(conv)
		if err != nil {
			return err
		}
		flows = append(flows, pkts)
	}
	return capgen.WriteFile(out, capgen.Merge(flows...))
}

func flowSpec(i int, server netip.Addr) capgen.FlowSpec {
	return capgen.FlowSpec{
		Client:    netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(10 + i)}), uint16(50000+i)),
		Server:    netip.AddrPortFrom(server, 443),
		ClientISN: uint32(1000 * (i + 1)), ServerISN: uint32(7000 * (i + 1)),
		Start: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(i) * 150 * time.Millisecond),
		MSS:   1400, Handshake: true, Close: capgen.CloseFIN, ACKs: true, Seed: uint64(i),
		ClientImpair: capgen.Impairments{Reorder: 0.3},
	}
}
