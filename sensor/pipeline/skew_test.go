package pipeline

import (
	"bytes"
	"io"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/sharedpcaps"
	"github.com/tlsentry/tlsentry/sensor/capture"
	"github.com/tlsentry/tlsentry/sensor/decode"
)

// ethernetFrames reads the frames of an Ethernet capture, for a test to
// rewrite.
func ethernetFrames(t *testing.T, path string) []capgen.Packet {
	t.Helper()
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var pkts []capgen.Packet
	for {
		fr, err := src.Next()
		if err == io.EOF {
			return pkts
		}
		if err != nil {
			t.Fatal(err)
		}
		if fr.LinkType != uint32(layers.LinkTypeEthernet) {
			t.Fatalf("%s: link type %d: the test rewrites Ethernet frames", path, fr.LinkType)
		}
		pkts = append(pkts, capgen.Packet{Time: time.Unix(0, fr.Time), Data: slices.Clone(fr.Data)})
	}
}

// skewed copies an Ethernet capture as a tap whose two directions are
// merged with clocks apart: every frame from the lower port (the
// server's) is stamped by earlier, and the frames are merged again in
// time order, each direction keeping its own order.
func skewed(t *testing.T, path string, by time.Duration) string {
	t.Helper()
	d := decode.NewDecoder()
	pkts := ethernetFrames(t, path)
	for i, p := range pkts {
		var seg flow.Segment
		if d.Decode(uint32(layers.LinkTypeEthernet), p.Data, &seg) == decode.SkipNone && seg.Src.Port < seg.Dst.Port {
			pkts[i].Time = p.Time.Add(-by)
		}
	}
	slices.SortStableFunc(pkts, func(a, b capgen.Packet) int { return a.Time.Compare(b.Time) })
	return writeCapture(t, "skewed-"+filepath.Base(path), layers.LinkTypeEthernet, pkts)
}

// byClientPort is the flows of fs that keep accepts, in their clients'
// port order: a capture's flows, to compare with the same capture's
// flows read otherwise.
func byClientPort(fs []*flow.Flow, keep func(*flow.Flow) bool) (out []*flow.Flow) {
	for _, f := range fs {
		if keep(f) {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b *flow.Flow) int { return int(a.Client.Port) - int(b.Client.Port) })
	return out
}

// TestQUICDirectionsMergedOutOfOrder: QUIC handshakes whose server's
// datagrams all come before its client's Initial (a second apart) give
// the flows they give in order: the same client, both hellos, complete.
// The servers' first datagrams: an Initial (quic-ietf-ja3), Initials with
// the QUIC bit cleared (RFC 9287: quic-33, quic_0RTT), a Retry and then a
// HelloRetryRequest, which the client's second ClientHello answers
// (quic-24).
func TestQUICDirectionsMergedOutOfOrder(t *testing.T) {
	dir := sharedpcaps.PcapDir(t)
	for _, name := range []string{"ndpi/quic-33.pcapng", "ndpi/quic-24.pcap", "ndpi/quic_0RTT.pcap", "suricata-verify/quic-ietf-ja3_input.pcap"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			want, _ := readCapture(t, path)
			got, _ := readCapture(t, skewed(t, path, time.Second))
			isQUIC := func(f *flow.Flow) bool { return f.QUIC != nil }
			w, g := byClientPort(want, isQUIC), byClientPort(got, isQUIC)
			if len(w) == 0 || len(g) != len(w) {
				t.Fatalf("%d QUIC flows skewed, %d in order", len(g), len(w))
			}
			for i := range w {
				if g[i].Client != w[i].Client || g[i].EndReason != w[i].EndReason ||
					!bytes.Equal(g[i].ClientHandshake, w[i].ClientHandshake) || !bytes.Equal(g[i].ServerHandshake, w[i].ServerHandshake) {
					t.Errorf("flow %d skewed: client %v, %v, hellos %d/%d bytes; in order: %v, %v, %d/%d",
						i, g[i].Client, g[i].EndReason, len(g[i].ClientHandshake), len(g[i].ServerHandshake),
						w[i].Client, w[i].EndReason, len(w[i].ClientHandshake), len(w[i].ServerHandshake))
				}
			}
		})
	}
}

// TestTCPDirectionsMergedOutOfOrder: connections whose server's packets
// are stamped earlier (its answers then come before the client bytes
// they acknowledge) give the flows they give in order: the same prefix,
// the sides interleaved as the endpoints sent them, the same handshakes
// and end. The captures open with what comes before TLS (STARTTLS in
// SMTP, IMAP, XMPP and LDAP, PostgreSQL's upgrade, a SOCKS
// request, an HTTP CONNECT) or with an answer to a short client turn.
func TestTCPDirectionsMergedOutOfOrder(t *testing.T) {
	dir := sharedpcaps.PcapDir(t)
	for _, name := range []string{"zeek/smtp-starttls.pcap", "zeek/imap-starttls.pcap", "zeek/xmpp-starttls.pcap",
		"suricata-verify/ldap-starttls_input.pcap", "suricata-verify/pgsql_pgsql-upgrade-tls_input.pcap",
		"ja4/socks4-https.pcap", "ja4/https-connect.pcap", "ndpi/http_connect.pcap"} {
		for _, by := range []time.Duration{20 * time.Millisecond, 300 * time.Millisecond} {
			t.Run(name+"/"+by.String(), func(t *testing.T) {
				path := filepath.Join(dir, name)
				want, _ := readCapture(t, path)
				got, _ := readCapture(t, skewed(t, path, by))
				spoke := func(f *flow.Flow) bool { return f.Transport == flow.TransportTCP && len(f.Prefix) > 0 }
				w, g := byClientPort(want, spoke), byClientPort(got, spoke)
				if len(w) == 0 || len(g) != len(w) {
					t.Fatalf("%d TCP flows skewed, %d in order", len(g), len(w))
				}
				for i := range w {
					if g[i].Client != w[i].Client || g[i].EndReason != w[i].EndReason || !bytes.Equal(g[i].Prefix, w[i].Prefix) ||
						!slices.Equal(g[i].PrefixRuns, w[i].PrefixRuns) ||
						!bytes.Equal(g[i].ClientHandshake, w[i].ClientHandshake) || !bytes.Equal(g[i].ServerHandshake, w[i].ServerHandshake) {
						t.Errorf("flow %d skewed: client %v, %v, runs %v, hellos %d/%d bytes; in order: %v, %v, runs %v, %d/%d",
							i, g[i].Client, g[i].EndReason, g[i].PrefixRuns, len(g[i].ClientHandshake), len(g[i].ServerHandshake),
							w[i].Client, w[i].EndReason, w[i].PrefixRuns, len(w[i].ClientHandshake), len(w[i].ServerHandshake))
					}
				}
			})
		}
	}
}
