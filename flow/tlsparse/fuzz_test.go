package tlsparse

import (
	"bytes"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"math/big"
	"slices"
	"strings"
	"testing"
)

// fuzzSeeds returns real client and server streams and handcrafted ones.
func fuzzSeeds(f *testing.F) (clients, servers [][]byte) {
	testKeys(f)
	cert := makeCert(f, ecKey, pkixName("fuzz.example"), big.NewInt(99), []string{"fuzz.example"}, nil, nil)
	groups := []tls.CurveID{tls.X25519, tls.CurveP256}
	for _, cfgs := range [][2]*tls.Config{
		{{MaxVersion: tls.VersionTLS12, ServerName: "fuzz.example", NextProtos: []string{"h2"}, InsecureSkipVerify: true},
			{Certificates: []tls.Certificate{cert.tls}, NextProtos: []string{"h2"}}},
		{{ServerName: "fuzz.example", InsecureSkipVerify: true}, {Certificates: []tls.Certificate{cert.tls}}},
		{{CurvePreferences: groups, InsecureSkipVerify: true},
			{Certificates: []tls.Certificate{cert.tls}, CurvePreferences: []tls.CurveID{tls.CurveP256}}},
	} {
		h := capture(f, cfgs[0], cfgs[1])
		clients = append(clients, h.client)
		servers = append(servers, h.server)
	}
	msgs, _ := craftedFlight(f)
	clients = append(clients,
		records(ContentHandshake, greaseHello(), 5, 60),
		[]byte("\x80\x2e\x01\x00\x02\x00\x15\x00\x00\x00\x10\x07\x00\xc0\x05\x00\x80\x03\x00\x80\x01\x00\x80\x06\x00\x40\x04\x00\x80\x02\x00\x80\xaa\xbb\xcc\xdd\xee\xff\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99"),
	)
	servers = append(servers,
		records(ContentHandshake, msgs, 10, 100),
		records(ContentAlert, []byte{2, 40}),
	)
	return clients, servers
}

// checkErr verifies that err wraps one of the package's sentinels.
func checkErr(t *testing.T, err error) {
	if err == nil {
		return
	}
	n := 0
	for _, s := range []error{ErrTruncated, ErrNotTLS, ErrMalformed, ErrNoHello} {
		if errors.Is(err, s) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("error %q wraps %d sentinels", err, n)
	}
}

func FuzzParseClientHello(f *testing.F) {
	clients, servers := fuzzSeeds(f)
	for _, s := range append(clients, servers...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in := bytes.Clone(data)
		ch, err := ParseClientHello(in)
		checkErr(t, err)
		if ch == nil {
			if err == nil {
				t.Fatal("nil hello without error")
			}
			return
		}
		if len(ch.Raw) > len(data) {
			t.Fatalf("Raw %d bytes from %d", len(ch.Raw), len(data))
		}
		if ch.Truncated && err == nil {
			t.Fatal("Truncated without error")
		}
		ja3, ja3n, ja4 := ch.JA3(), ch.JA3N(), ch.JA4(TransportTCP)
		if ch.Truncated {
			// Nothing made up from the part before the cut.
			if ja3 != (JA3{}) || ja3n != (JA3{}) || ja4 != (JA4{}) {
				t.Fatalf("truncated hello: JA3 %+v JA3N %+v JA4 %+v", ja3, ja3n, ja4)
			}
			return
		}
		if len(ja4.JA4) != 36 || strings.Count(ja4.JA4, "_") != 2 || !strings.HasPrefix(ja4.JA4R, ja4.JA4[:11]) {
			t.Fatalf("JA4 %+v", ja4)
		}
		if ja3.Full != "" && len(ja3.Hash) != 32 {
			t.Fatalf("JA3 %+v", ja3)
		}
		// The result must not alias the input.
		for i := range in {
			in[i] ^= 0xff
		}
		if ch.JA3() != ja3 || ch.JA3N() != ja3n || ch.JA4(TransportTCP) != ja4 {
			t.Fatal("fingerprints changed with the input buffer")
		}
	})
}

func FuzzParseServerFlight(f *testing.F) {
	clients, servers := fuzzSeeds(f)
	for _, s := range append(servers, clients...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in := bytes.Clone(data)
		fl, err := ParseServerFlight(in)
		checkErr(t, err)
		if fl == nil {
			if err == nil {
				t.Fatal("nil flight without error")
			}
			return
		}
		if fl.Truncated && err == nil {
			t.Fatal("Truncated without error")
		}
		var ja3s JA3
		if fl.ServerHello != nil {
			ja3s = fl.ServerHello.JA3S()
			if fl.ServerHello.Truncated && ja3s != (JA3{}) {
				t.Fatalf("truncated hello: JA3S %+v", ja3s)
			}
			if len(fl.ServerHello.Raw) > len(data) {
				t.Fatal("Raw longer than input")
			}
		}
		var subject string
		if fl.Leaf != nil {
			subject = fl.Leaf.Subject
		}
		if issuer, ok := fl.ChainIssuer(); ok {
			if fl.ChainCut || len(fl.Chain) == 0 {
				t.Fatal("ChainIssuer of a cut or empty chain")
			}
			_ = NameString(issuer)
		}
		chain := slices.Clone(fl.Chain)
		for i := range chain {
			chain[i] = bytes.Clone(chain[i])
		}
		for i := range in {
			in[i] ^= 0xff
		}
		if fl.ServerHello != nil && fl.ServerHello.JA3S() != ja3s {
			t.Fatal("JA3S changed with the input buffer")
		}
		for i := range chain {
			if !bytes.Equal(chain[i], fl.Chain[i]) {
				t.Fatal("chain aliases the input buffer")
			}
		}
		if fl.Leaf != nil && ParseCertificate(fl.Chain[0]).Subject != subject {
			t.Fatal("leaf changed")
		}
	})
}

func FuzzSniff(f *testing.F) {
	clients, servers := fuzzSeeds(f)
	for _, s := range append(clients, servers...) {
		f.Add(s)
	}
	for _, s := range []string{"SSH-2.0-x\r\n", "GET / HTTP/1.1\r\n", "220 x ESMTP\r\n", "\x05\x01\x00", "\x04\x01\x00\x50\x01\x02\x03\x04\x00", "* OK\r\n",
		"\x7fELF\x02\x01\x01\x00", string(peImage(0x80)), "\x00\x10\x00\x00" + string(peImage(0xe8))} {
		f.Add([]byte(s))
	}
	for _, s := range []string{telegramHeader, ovpnClientReset + ovpnClientAckHead, ovpnServerReset, waEdgeNoise, waFunXMPP, dnsQuery} {
		if h, err := hex.DecodeString(s); err == nil {
			f.Add(h)
		}
	}
	labels := []string{SniffEmpty, SniffTLS, SniffSSH, SniffHTTP, SniffSMTP, SniffFTP, SniffPOP3, SniffIMAP,
		SniffBanner, SniffSOCKS, SniffRDP, SniffSMB, SniffExec, SniffMTProto, SniffOpenVPN, SniffWhatsApp, SniffDNS, SniffText, SniffBinary}
	f.Fuzz(func(t *testing.T, data []byte) {
		got := Sniff(data)
		if !slices.Contains(labels, got) {
			t.Fatalf("label %q", got)
		}
		if len(data) > 512 && Sniff(data[:512]) != got {
			t.Fatal("label depends on bytes past 512")
		}
	})
}
