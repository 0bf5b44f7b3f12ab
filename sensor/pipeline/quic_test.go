package pipeline

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/sharedpcaps"
	"github.com/tlsentry/tlsentry/sensor/eve"
)

// The QUIC references, checked on the flows the sensor's own path makes
// (decode, flow table, tlsparse, eve records) from the shared captures.

// quicRecords reads a capture and returns the records of its QUIC flows.
func quicRecords(t *testing.T, path string) []eve.FlowRecord {
	t.Helper()
	flows, _ := readCapture(t, path)
	var out []eve.FlowRecord
	for _, f := range flows {
		if f.Transport == flow.TransportUDP {
			out = append(out, eve.NewFlowRecord(f, tlsparse.FromFlow(f, nil)))
		}
	}
	return out
}

// quicHellos is, per client endpoint, the server names of every
// ClientHello in the client CRYPTO streams of a capture's QUIC flows (two
// after a HelloRetryRequest, as Wireshark counts them).
func quicHellos(t *testing.T, path string) map[string][]string {
	t.Helper()
	flows, _ := readCapture(t, path)
	out := map[string][]string{}
	for _, f := range flows {
		if f.Transport != flow.TransportUDP {
			continue
		}
		key := f.Client.AddrPort().String()
		for b := f.ClientHandshake; len(b) >= 4; {
			n := 4 + (int(b[1])<<16 | int(b[2])<<8 | int(b[3]))
			if n > len(b) || b[0] != 1 {
				break
			}
			if ch, _ := tlsparse.ParseClientHelloMessage(b[:n]); ch != nil {
				out[key] = append(out[key], ch.ServerName)
			}
			b = b[n:]
		}
	}
	return out
}

// tsharkQUICHellos lists the client endpoint and SNI of each QUIC
// ClientHello Wireshark 4.0 dissects.
func tsharkQUICHellos(t *testing.T, path string) [][2]string {
	t.Helper()
	out, err := exec.Command("tshark", "-r", path, "-Y", "quic && tls.handshake.type==1", "-T", "fields",
		"-E", "separator=/t", "-E", "occurrence=f", "-e", "ip.src", "-e", "ipv6.src", "-e", "udp.srcport",
		"-e", "tls.handshake.extensions_server_name").Output()
	if err != nil {
		t.Fatalf("tshark %s: %v", path, err)
	}
	var hellos [][2]string
	for line := range strings.Lines(string(out)) {
		f := strings.Split(strings.TrimRight(line, "\n"), "\t")
		if len(f) != 4 {
			t.Fatalf("tshark line %q", line)
		}
		key := f[0] + ":" + f[2]
		if f[0] == "" {
			key = "[" + f[1] + "]:" + f[2]
		}
		hellos = append(hellos, [2]string{key, f[3]})
	}
	return hellos
}

// TestQUICWiresharkClientHellos: every QUIC ClientHello Wireshark 4.0
// dissects in the shared captures (the second column of
// clienthello-counts.txt) is in a QUIC flow from the same client endpoint
// with the same SNI. Without tshark the counts are compared.
func TestQUICWiresharkClientHellos(t *testing.T) {
	dir := sharedpcaps.PcapDir(t)
	counts := sharedpcaps.QUICClientHelloCounts(t)
	_, err := exec.LookPath("tshark")
	haveTshark := err == nil
	captures := make([]string, 0, len(counts))
	for c := range counts {
		captures = append(captures, c)
	}
	sort.Strings(captures)
	total, found := 0, 0
	for _, name := range captures {
		path := filepath.Join(dir, name)
		ours := quicHellos(t, path)
		n := 0
		if !haveTshark {
			for _, snis := range ours {
				n += len(snis)
			}
			n = min(n, counts[name])
			if n < counts[name] {
				t.Errorf("%s: %d of %d QUIC hellos", name, n, counts[name])
			}
		} else {
			theirs := tsharkQUICHellos(t, path)
			if len(theirs) != counts[name] {
				t.Errorf("%s: tshark lists %d QUIC hellos, clienthello-counts.txt %d", name, len(theirs), counts[name])
			}
			for _, h := range theirs {
				if i := slices.Index(ours[h[0]], h[1]); i >= 0 {
					ours[h[0]] = slices.Delete(ours[h[0]], i, i+1)
					n++
					continue
				}
				t.Errorf("%s: Wireshark sees a QUIC ClientHello from %s (SNI %q); the sensor's flows from there have %q", name, h[0], h[1], ours[h[0]])
			}
		}
		total += counts[name]
		found += n
	}
	t.Logf("QUIC ClientHellos: Wireshark %d, in the sensor's flows with the same SNI %d", total, found)
	if total == 0 || found*100 < total*99 {
		t.Errorf("found %d of %d: below 99%%", found, total)
	}
}

// foxioQUIC is FoxIO's reference JA4 of the QUIC streams of its test
// captures, kept by package quic (the source is named in the file).
const foxioQUIC = "../../flow/quic/testdata/foxio-ja4-quic.txt"

// TestQUICJA4Reference: the record of every QUIC stream FoxIO's reference
// tool fingerprints has its SNI and JA4.
func TestQUICJA4Reference(t *testing.T) {
	dir := sharedpcaps.PcapDir(t)
	f, err := os.Open(foxioQUIC)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records := map[string]map[string]eve.FlowRecord{}
	compared := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) == 0 || strings.HasPrefix(fs[0], "#") {
			continue
		}
		if len(fs) != 7 {
			t.Fatalf("bad line %q", sc.Text())
		}
		capture, client, sni, want := fs[0], fs[1]+" "+fs[2], fs[5], fs[6]
		if records[capture] == nil {
			records[capture] = map[string]eve.FlowRecord{}
			for _, r := range quicRecords(t, filepath.Join(dir, capture)) {
				records[capture][r.SrcIP+" "+strconv.Itoa(int(r.SrcPort))] = r
			}
		}
		r, ok := records[capture][client]
		switch {
		case !ok:
			t.Errorf("%s %s: no QUIC flow", capture, client)
		case r.TLS == nil || r.TLS.SNI != sni || r.TLS.JA4 != want || r.DestIP != fs[3] || strconv.Itoa(int(r.DestPort)) != fs[4]:
			t.Errorf("%s %s: record %s:%d %+v, want %s:%s %s %s", capture, client, r.DestIP, r.DestPort, r.TLS, fs[3], fs[4], sni, want)
		default:
			compared++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if compared == 0 {
		t.Fatal("no reference stream compared")
	}
	t.Logf("JA4 equal to FoxIO's on %d QUIC streams", compared)
}

// TestQUICSuricataVerify: the suricata-verify QUIC captures give the
// records their tests' expected output says (OISF/suricata-verify,
// tests/NAME/test.yaml and README.md, commit
// 10a45e4bad6d29d0f1239d93119ea24e1bbdab19).
func TestQUICSuricataVerify(t *testing.T) {
	dir := sharedpcaps.PcapDir(t)
	const chromeJA4 = "q13d0310h3_55b375c5d22e_cd85d2d88918"
	only := func(t *testing.T, name string) eve.FlowRecord {
		t.Helper()
		recs := quicRecords(t, filepath.Join(dir, "suricata-verify", name))
		if len(recs) != 1 || recs[0].TLS == nil {
			t.Fatalf("%d QUIC flows (%+v), want one with a tls object", len(recs), recs)
		}
		return recs[0]
	}
	t.Run("quic-ietf-ja3", func(t *testing.T) {
		// tests/quic-ietf: server_name msquic.net, alpn h3-29 first;
		// tests/quic-ietf-ja3: ja3s.string 771,4866,43-51-41.
		r := only(t, "quic-ietf-ja3_input.pcap")
		if r.TLS.SNI != "msquic.net" || len(r.TLS.ClientALPNs) == 0 || r.TLS.ClientALPNs[0] != "h3-29" || r.TLS.JA3S == nil || r.TLS.JA3S.String != "771,4866,43-51-41" {
			t.Errorf("tls %+v ja3s %+v", r.TLS, r.TLS.JA3S)
		}
		// QUIC v1 (0x00000001), as Wireshark reads the capture.
		if r.Proto != "UDP" || r.AppProto != "quic" || r.QUIC == nil || r.QUIC.Version != "v1" {
			t.Errorf("record %s %s quic %+v", r.Proto, r.AppProto, r.QUIC)
		}
	})
	t.Run("quic-v2-ja3", func(t *testing.T) {
		// tests/quic-v2: version 6b3343cf (v2), alpn h3; tests/quic-v2-ja3:
		// the ja3.string below. A quic-go client to 127.0.0.1: no SNI.
		r := only(t, "quic-v2-ja3_input.pcap")
		const ja3 = "771,4865-4866-4867,5-10-11-13-65281-23-16-18-43-51-57,29-23-24-25,0"
		if r.TLS.JA3 == nil || r.TLS.JA3.String != ja3 || r.TLS.SNI != "" || len(r.TLS.ClientALPNs) == 0 || r.TLS.ClientALPNs[0] != "h3" {
			t.Errorf("tls %+v ja3 %+v", r.TLS, r.TLS.JA3)
		}
		if r.QUIC == nil || r.QUIC.Version != "v2" || r.QUIC.InitialsToServer == 0 || r.QUIC.InitialsToClient == 0 || r.QUIC.Undecrypted {
			t.Errorf("quic %+v", r.QUIC)
		}
	})
	t.Run("ja4-quic", func(t *testing.T) {
		// tests/ja4-quic: 11 QUIC events with quic.ja4 chromeJA4; the
		// README's reference output gives each stream's client port and SNI.
		want := map[string]string{
			"51333": "www.blogger.com", "53371": "socpuppet.blogspot.com", "50440": "apis.google.com",
			"37252": "www.blogger.com", "57334": "apis.google.com", "38677": "www.google.com",
			"42849": "www.gstatic.com", "32997": "fonts.gstatic.com", "60461": "4.bp.blogspot.com",
			"52446": "1.bp.blogspot.com", "41171": "2.bp.blogspot.com",
		}
		got := map[string]string{}
		for _, r := range quicRecords(t, filepath.Join(dir, "suricata-verify/ja4-quic_input.pcap")) {
			if r.TLS != nil && r.SrcIP == "192.168.178.25" {
				if r.TLS.JA4 != chromeJA4 {
					t.Errorf("port %d: JA4 %s, want %s", r.SrcPort, r.TLS.JA4, chromeJA4)
				}
				got[strconv.Itoa(int(r.SrcPort))] = r.TLS.SNI
			}
		}
		for port, sni := range want {
			if got[port] != sni {
				t.Errorf("port %s: SNI %q, want %q", port, got[port], sni)
			}
		}
	})
	t.Run("ja4-tls-quic", func(t *testing.T) {
		// tests/ja4-tls-quic: one QUIC event, quic.ja4 chromeJA4, client
		// port 50280, cloudflare-quic.com (the capture also has TCP TLS).
		r := only(t, "ja4-tls-quic_input.pcap")
		if fmt.Sprint(r.SrcIP, " ", r.SrcPort) != "2001:db8:1::1 50280" || r.TLS.SNI != "cloudflare-quic.com" || r.TLS.JA4 != chromeJA4 {
			t.Errorf("%s %d: tls %+v", r.SrcIP, r.SrcPort, r.TLS)
		}
	})
}
