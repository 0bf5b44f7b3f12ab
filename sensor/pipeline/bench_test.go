package pipeline

import (
	"context"
	"crypto/tls"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/tlsentry/tlsentry/internal/capgen"
)

// BenchmarkFlows measures the offline packet path (read, decode, flow
// table, batches to a sink that drops them) on a generated capture of 2,000 TLS connections with data after
// the handshake. Reported per packet.
func BenchmarkFlows(b *testing.B) {
	conv := tlsConversationB(b)
	var all [][]capgen.Packet
	for i := range 2000 {
		spec := capgen.FlowSpec{
			Client: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), uint16(20000+i)),
			Server: netip.MustParseAddrPort("192.0.2.1:443"), MSS: 1400, Handshake: true, Close: capgen.CloseFIN, ACKs: true,
		}
		pkts, err := spec.Packets(conv)
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, pkts)
	}
	path := filepath.Join(b.TempDir(), "bench.pcap")
	merged := capgen.Merge(all...)
	if err := capgen.WriteFile(path, merged); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		p, err := New(Config{Shards: 1, Tuning: DefaultTuning(), EmptyFlows: true, Sink: discard{}})
		if err != nil {
			b.Fatal(err)
		}
		if err := p.Run(context.Background(), &FileInput{Paths: []string{path}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(merged)*b.N)/b.Elapsed().Seconds(), "packets/s")
}

func tlsConversationB(b *testing.B) capgen.Conversation {
	cert, err := capgen.SelfSignedCert(capgen.CertOptions{CommonName: "bench.example", DNSNames: []string{"bench.example"}})
	if err != nil {
		b.Fatal(err)
	}
	cc, sc := capgen.TLSConfigs(cert, "bench.example")
	cc.MaxVersion = tls.VersionTLS12
	body := make([]byte, 20000)
	conv, err := capgen.TLSConversation(context.Background(), cc, sc, capgen.TLSOptions{ClientData: []byte("GET / HTTP/1.1\r\n\r\n"), ServerData: body})
	if err != nil {
		b.Fatal(err)
	}
	return conv
}

// discard is a sink that drops every batch.
type discard struct{}

func (discard) Encode(*Batch) error { return nil }
func (discard) Commit(*Batch) error { return nil }
