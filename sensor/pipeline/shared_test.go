package pipeline

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/sharedpcaps"
	"github.com/tlsentry/tlsentry/sensor/capture"
)

// readCapture runs one capture through an ordered pipeline of one table
// and returns every flow, with or without payload, and the problems
// reported.
func readCapture(t testing.TB, path string) ([]*flow.Flow, []error) {
	t.Helper()
	var (
		problems []error
		flows    Collector
	)
	p, err := New(Config{Shards: 1, Tuning: DefaultTuning(), Ordered: true, EmptyFlows: true, Sink: &flows})
	if err != nil {
		t.Fatal(err)
	}
	err = p.Run(context.Background(), &FileInput{Paths: []string{path}, Report: func(err error) { problems = append(problems, err) }})
	if (err != nil) != (len(problems) > 0) {
		t.Errorf("%s: Run returned %v with %d problems reported", path, err, len(problems))
	}
	return flows.Flows(), problems
}

// helloDifferences lists, per capture, how the number of flows with a
// ClientHello differs from Wireshark's count of ClientHello messages, and why.
var helloDifferences = map[string]struct {
	delta int
	cause string
}{
	"ja4/tls-handshake.pcapng":                             {-5, "5 connections send a second ClientHello after a HelloRetryRequest: Wireshark counts messages, a flow keeps its first hello"},
	"ja4/tls-sni.pcapng":                                   {-5, "the same 5 HelloRetryRequest connections as tls-handshake.pcapng"},
	"suricata-verify/tls-duplicate-hello_input.pcap":       {-1, "the client sends its ClientHello twice in one connection"},
	"suricata-verify/tls_tls13-draft22_tls13_draft22.pcap": {-1, "second ClientHello after a HelloRetryRequest, same connection"},
	"zeek/hrr.pcap":                                        {-1, "second ClientHello after a HelloRetryRequest, same connection"},
	"ndpi/gnutella.pcap":                                   {+1, "Wireshark misses the TLS on TCP 6888 without -d tcp.port==6888,tls (with it, it finds 5)"},
	"ndpi/ookla.pcap":                                      {+1, "Wireshark takes TCP 8080 for an HTTP proxy and misses the TLS without -d tcp.port==8080,tls (with it, it finds 2)"},
	"ndpi/ossfuzz_seed_fake_traces_1.pcapng":               {-2, "nDPI's fabricated fuzzing seed sends its two hellos on segments without the ACK flag, which no endpoint takes (RFC 9293) and Suricata's stream engine ignores: data_without_ack, not stream bytes"},
}

// corruptCaptures are broken on purpose (Wireshark calls them damaged too):
// they must give exactly one problem, naming the packet, and lose nothing before it.
var corruptCaptures = map[string]string{
	"suricata-verify/bug-1450-04_tls_DER-incomplete-header.pcap":  "packet 7: packet record longer than the snap length",
	"suricata-verify/bug-1450-05_tls_DER-incomplete-content.pcap": "packet 7: packet record longer than the snap length",
}

// TestSharedCapturesClientHellos checks every shared capture: no problem on
// a valid file, and every TCP connection whose client sends a ClientHello
// is found (QUIC flows: quic_test.go).
func TestSharedCapturesClientHellos(t *testing.T) {
	dir := sharedpcaps.PcapDir(t)
	want := sharedpcaps.ClientHelloCounts(t)
	total, found := 0, 0
	for _, name := range sharedpcaps.Captures(t) {
		flows, problems := readCapture(t, filepath.Join(dir, name))
		got := 0
		for _, f := range flows {
			if len(f.ClientHandshake) > 0 && f.Transport == flow.TransportTCP {
				got++
			}
		}
		exp, known := want[name]
		if !known {
			t.Errorf("%s: not in clienthello-counts.txt", name)
		}
		d := helloDifferences[name]
		total += exp
		found += got
		if got != exp+d.delta {
			t.Errorf("%s: %d flows with a ClientHello, want %d (Wireshark %d, known difference %+d)", name, got, exp+d.delta, exp, d.delta)
		}
		if msg, bad := corruptCaptures[name]; bad {
			var ce *capture.Error
			if len(problems) != 1 || !errors.As(problems[0], &ce) || !strings.Contains(problems[0].Error(), msg) {
				t.Errorf("%s: problems %v, want one saying %q", name, problems, msg)
			}
		} else if len(problems) > 0 {
			t.Errorf("%s: problems on a valid capture: %v", name, problems)
		}
	}
	t.Logf("flows with a ClientHello: %d; Wireshark's ClientHello messages: %d", found, total)
}

// tunnelCaptures: the JA4 reference tool names a tunnelled stream by the
// outer (tunnel) addresses, the sensor by the inner ones (Wireshark's last
// ip.src/ip.dst, which the test checks here instead).
var tunnelCaptures = map[string][2]string{
	"ja4/gre-erspan-vxlan.pcap": {"10.16.27.12", "10.16.27.131"},
	"ja4/gre-sample.pcap":       {"66.59.111.190", "172.28.2.3"},
	"ja4/tcpdump-geneve.pcap":   {"30.0.0.2", "30.0.0.1"},
}

// TestSharedCapturesJA4Streams: every TCP stream the JA4 reference tool
// reports (tunnelled ones included: GRE, ERSPAN, VXLAN, Geneve) is a flow
// between the same endpoints. Direction is not compared: the reference
// calls "src" the first sender of payload where the sensor follows the SYN.
func TestSharedCapturesJA4Streams(t *testing.T) {
	dir := sharedpcaps.PcapDir(t)
	checked := 0
	for _, name := range sharedpcaps.Captures(t) {
		streams, ok := sharedpcaps.JA4Expected(t, name)
		if !ok || strings.Contains(name, "quic") || strings.Contains(name, "dtls") {
			continue
		}
		flows, _ := readCapture(t, filepath.Join(dir, name))
		have := map[string]bool{}
		for _, f := range flows {
			c, s := f.Client.AddrPort().String(), f.Server.AddrPort().String()
			have[c+" "+s], have[s+" "+c] = true, true
		}
		for _, s := range streams {
			if strings.HasPrefix(s.JA4, "q") || s.JA4+s.JA4H+s.JA4SSH+s.JA4S == "" {
				// QUIC (UDP), or only a latency fingerprint that the reference
				// also gives QUIC streams: nothing shows the stream is TCP.
				continue
			}
			if inner, ok := tunnelCaptures[name]; ok {
				s.Src, s.Dst = inner[0], inner[1]
			}
			key := addrPort(s.Src, s.SrcPort) + " " + addrPort(s.Dst, s.DstPort)
			checked++
			if !have[key] {
				t.Errorf("%s: stream %d %s: no such flow", name, s.Stream, key)
			}
		}
	}
	t.Logf("%d reference streams checked", checked)
}

func addrPort(ip, port string) string {
	if strings.Contains(ip, ":") {
		return "[" + ip + "]:" + port
	}
	return ip + ":" + port
}
