package quic_test

import (
	"bufio"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/flow/quic"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/sharedpcaps"
)

// flowsOf reads a shared capture once per test.
func flowsOf(t *testing.T, capture string) []*udpFlow {
	t.Helper()
	return readUDPFlows(t, filepath.Join(sharedpcaps.PcapDir(t), capture), 0)
}

// flowFrom finds the flow whose client is addr:port.
func flowFrom(flows []*udpFlow, addr string, port int) *udpFlow {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return nil
	}
	for _, fl := range flows {
		if fl.client == (endpoint{a, uint16(port)}) {
			return fl
		}
	}
	return nil
}

// firstHello is the first ClientHello of a flow, or nil.
func firstHello(fl *udpFlow) *tlsparse.ClientHello {
	if fl == nil || fl.conn == nil {
		return nil
	}
	if chs := clientHellos(fl.conn.ClientCrypto()); len(chs) > 0 {
		return chs[0]
	}
	return nil
}

// TestFoxIOJA4: the JA4 of every QUIC stream FoxIO's reference tool
// fingerprints in its test captures (testdata/foxio-ja4-quic.txt) is the
// JA4 tlsparse computes from the ClientHello a quic.Conn reassembled.
func TestFoxIOJA4(t *testing.T) {
	sharedpcaps.PcapDir(t)
	f, err := os.Open("testdata/foxio-ja4-quic.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	flows := map[string][]*udpFlow{}
	agree, total := 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) != 7 {
			t.Fatalf("bad line %q", line)
		}
		capture, sni, want := fs[0], fs[5], fs[6]
		port, _ := strconv.Atoi(fs[2])
		if flows[capture] == nil {
			flows[capture] = flowsOf(t, capture)
		}
		total++
		ch := firstHello(flowFrom(flows[capture], fs[1], port))
		if ch == nil {
			t.Errorf("%s %s:%d: no ClientHello", capture, fs[1], port)
			continue
		}
		got := ch.JA4(tlsparse.TransportQUIC).JA4
		if ch.ServerName != sni || got != want {
			t.Errorf("%s %s:%d: SNI %q JA4 %s, want %q %s", capture, fs[1], port, ch.ServerName, got, sni, want)
			continue
		}
		agree++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("JA4 equal to FoxIO's on %d of %d QUIC streams", agree, total)
	if total == 0 {
		t.Fatal("no reference streams read")
	}
}

// TestSuricataVerify: the suricata-verify QUIC captures give what their
// tests' expected output says (OISF/suricata-verify, tests/NAME/test.yaml
// and README.md, commit 10a45e4bad6d29d0f1239d93119ea24e1bbdab19).
func TestSuricataVerify(t *testing.T) {
	sharedpcaps.PcapDir(t)
	const chromeJA4 = "q13d0310h3_55b375c5d22e_cd85d2d88918"

	t.Run("quic-ietf-ja3", func(t *testing.T) {
		// tests/quic-ietf: extensions[1] server_name "msquic.net",
		// extensions[2] alpn "h3-29"; tests/quic-ietf-ja3: ja3s.string
		// "771,4866,43-51-41" (the ServerHello); same capture.
		flows := flowsOf(t, "suricata-verify/quic-ietf-ja3_input.pcap")
		fl := onlyQUICFlow(t, flows)
		ch := firstHello(fl)
		if ch == nil {
			t.Fatal("no ClientHello")
		}
		if ch.ServerName != "msquic.net" || len(ch.ALPN) == 0 || ch.ALPN[0] != "h3-29" {
			t.Errorf("SNI %q ALPN %q, want msquic.net [h3-29 ...]", ch.ServerName, ch.ALPN)
		}
		wantExt(t, ch, 1, tlsparse.ExtServerName)
		wantExt(t, ch, 2, tlsparse.ExtALPN)
		sh, err := tlsparse.ParseServerHelloMessage(fl.conn.ServerCrypto())
		if err != nil {
			t.Fatalf("server hello: %v", err)
		}
		if got := sh.JA3S().Full; got != "771,4866,43-51-41" {
			t.Errorf("JA3S %q, want 771,4866,43-51-41", got)
		}
	})

	t.Run("quic-v2-ja3", func(t *testing.T) {
		// tests/quic-v2: extensions[0] status_request, extensions[6] alpn
		// "h3"; two QUIC v2 (6b3343cf) events; tests/quic-v2-ja3:
		// ja3.string below. quic-go client to 127.0.0.1: no SNI.
		flows := flowsOf(t, "suricata-verify/quic-v2-ja3_input.pcap")
		fl := onlyQUICFlow(t, flows)
		info := fl.conn.Info()
		if info.Version != quic.Version2 || info.Client.Decrypted == 0 || info.Server.Decrypted == 0 {
			t.Errorf("info %+v, want v2 Initials opened both ways", info)
		}
		ch := firstHello(fl)
		if ch == nil {
			t.Fatal("no ClientHello")
		}
		wantExt(t, ch, 0, tlsparse.ExtStatusRequest)
		wantExt(t, ch, 6, tlsparse.ExtALPN)
		if len(ch.ALPN) == 0 || ch.ALPN[0] != "h3" {
			t.Errorf("ALPN %q, want [h3]", ch.ALPN)
		}
		const ja3 = "771,4865-4866-4867,5-10-11-13-65281-23-16-18-43-51-57,29-23-24-25,0"
		if got := ch.JA3().Full; got != ja3 {
			t.Errorf("JA3 %q\nwant %q", got, ja3)
		}
	})

	t.Run("ja4-quic", func(t *testing.T) {
		// tests/ja4-quic: 11 QUIC events with quic.ja4 chromeJA4; the
		// README's reference output gives each stream's client port and SNI.
		streams := []struct {
			port int
			sni  string
		}{
			{51333, "www.blogger.com"}, {53371, "socpuppet.blogspot.com"}, {50440, "apis.google.com"},
			{37252, "www.blogger.com"}, {57334, "apis.google.com"}, {38677, "www.google.com"},
			{42849, "www.gstatic.com"}, {32997, "fonts.gstatic.com"}, {60461, "4.bp.blogspot.com"},
			{52446, "1.bp.blogspot.com"}, {41171, "2.bp.blogspot.com"},
		}
		flows := flowsOf(t, "suricata-verify/ja4-quic_input.pcap")
		for _, s := range streams {
			ch := firstHello(flowFrom(flows, "192.168.178.25", s.port))
			if ch == nil {
				t.Errorf("port %d: no ClientHello", s.port)
				continue
			}
			if got := ch.JA4(tlsparse.TransportQUIC).JA4; ch.ServerName != s.sni || got != chromeJA4 {
				t.Errorf("port %d: SNI %q JA4 %s, want %q %s", s.port, ch.ServerName, got, s.sni, chromeJA4)
			}
		}
	})

	t.Run("ja4-tls-quic", func(t *testing.T) {
		// tests/ja4-tls-quic: one QUIC event with quic.ja4 chromeJA4; the
		// README's reference output: client port 50280, cloudflare-quic.com.
		flows := flowsOf(t, "suricata-verify/ja4-tls-quic_input.pcap")
		ch := firstHello(flowFrom(flows, "2001:db8:1::1", 50280))
		if ch == nil {
			t.Fatal("no ClientHello")
		}
		if got := ch.JA4(tlsparse.TransportQUIC).JA4; ch.ServerName != "cloudflare-quic.com" || got != chromeJA4 {
			t.Errorf("SNI %q JA4 %s, want cloudflare-quic.com %s", ch.ServerName, got, chromeJA4)
		}
	})
}

// onlyQUICFlow returns the one flow of a capture that has a quic.Conn.
func onlyQUICFlow(t *testing.T, flows []*udpFlow) *udpFlow {
	t.Helper()
	var out *udpFlow
	for _, fl := range flows {
		if fl.conn == nil {
			continue
		}
		if out != nil {
			t.Fatalf("more than one QUIC flow: %s and %s", out.client, fl.client)
		}
		out = fl
	}
	if out == nil {
		t.Fatal("no QUIC flow")
	}
	return out
}

// wantExt checks the type of the hello's i-th extension.
func wantExt(t *testing.T, ch *tlsparse.ClientHello, i int, typ uint16) {
	t.Helper()
	if i >= len(ch.Extensions) || ch.Extensions[i].Type != typ {
		t.Errorf("extension %d is not %#04x (extensions %v)", i, typ, ch.Extensions)
	}
}
