package quic_test

import (
	"bufio"
	"bytes"
	"io"
	"net/netip"
	"os"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tlsentry/tlsentry/flow/quic"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// endpoint is one side of a UDP flow.
type endpoint struct {
	addr netip.Addr
	port uint16
}

func (e endpoint) String() string { return netip.AddrPortFrom(e.addr, e.port).String() }

// udpFlow is a UDP flow of a capture fed to a quic.Conn the way the flow table
// will: the client is the sender of the first datagram, and the flow gets
// a quic.Conn only when that datagram passes quic.LooksLikeQUIC.
type udpFlow struct {
	client, server endpoint
	first          []byte     // the first datagram, kept for reporting
	conn           *quic.Conn // nil: the first datagram did not look like QUIC
	datagrams      int
}

// readUDPFlows reads a pcap or pcapng file and feeds every UDP datagram to
// its flow's quic.Conn, in capture order. Flows come back in order of first
// appearance.
func readUDPFlows(tb testing.TB, path string, limit int) []*udpFlow {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	next, linkType := packetReader(tb, bufio.NewReader(f))

	type key struct{ a, b endpoint }
	flows := map[key]*udpFlow{}
	var order []*udpFlow
	for {
		data, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Logf("%s: stops: %v", path, err)
			break
		}
		src, dst, payload, ok := udpOf(data, linkType)
		if !ok {
			continue
		}
		k := key{src, dst}
		if fl := flows[key{dst, src}]; fl != nil {
			k = key{dst, src}
		}
		fl := flows[k]
		if fl == nil {
			fl = &udpFlow{client: src, server: dst, first: append([]byte(nil), payload...)}
			if quic.LooksLikeQUIC(payload) {
				fl.conn = quic.NewConn(limit)
			}
			flows[k] = fl
			order = append(order, fl)
		}
		fl.datagrams++
		if fl.conn != nil {
			fl.conn.Datagram(payload, src == fl.client)
		}
	}
	return order
}

// packetReader opens a pcap or pcapng stream.
func packetReader(tb testing.TB, r *bufio.Reader) (next func() ([]byte, error), lt layers.LinkType) {
	tb.Helper()
	magic, err := r.Peek(4)
	if err != nil {
		tb.Fatal(err)
	}
	if bytes.Equal(magic, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		ng, err := pcapgo.NewNgReader(r, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			tb.Fatal(err)
		}
		return func() ([]byte, error) {
			data, _, err := ng.ReadPacketData()
			return data, err
		}, ng.LinkType()
	}
	pr, err := pcapgo.NewReader(r)
	if err != nil {
		tb.Fatal(err)
	}
	return func() ([]byte, error) {
		data, _, err := pr.ReadPacketData()
		return data, err
	}, pr.LinkType()
}

// udpOf decodes a frame down to its innermost UDP datagram; IP fragments
// are skipped.
func udpOf(data []byte, lt layers.LinkType) (src, dst endpoint, payload []byte, ok bool) {
	pkt := gopacket.NewPacket(data, lt, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
	var srcIP, dstIP netip.Addr
	var udp *layers.UDP
	for _, l := range pkt.Layers() {
		switch l := l.(type) {
		case *layers.IPv4:
			if l.Flags&layers.IPv4MoreFragments != 0 || l.FragOffset != 0 {
				return src, dst, nil, false
			}
			srcIP, _ = netip.AddrFromSlice(l.SrcIP.To4())
			dstIP, _ = netip.AddrFromSlice(l.DstIP.To4())
		case *layers.IPv6:
			srcIP, _ = netip.AddrFromSlice(l.SrcIP)
			dstIP, _ = netip.AddrFromSlice(l.DstIP)
		case *layers.IPv6Fragment:
			return src, dst, nil, false
		case *layers.UDP:
			udp = l
		}
	}
	if udp == nil || !srcIP.IsValid() {
		return src, dst, nil, false
	}
	return endpoint{srcIP, uint16(udp.SrcPort)}, endpoint{dstIP, uint16(udp.DstPort)}, udp.Payload, true
}

// clientHellos parses every ClientHello in a client CRYPTO stream: the
// first, and a second one after a HelloRetryRequest.
func clientHellos(stream []byte) []*tlsparse.ClientHello {
	var out []*tlsparse.ClientHello
	for len(stream) >= 4 {
		n := 4 + (int(stream[1])<<16 | int(stream[2])<<8 | int(stream[3]))
		if n > len(stream) {
			break
		}
		if stream[0] == 1 {
			// A hello with a malformed extension still counts, as it
			// does for Wireshark.
			if ch, _ := tlsparse.ParseClientHelloMessage(stream[:n]); ch != nil {
				out = append(out, ch)
			}
		}
		stream = stream[n:]
	}
	return out
}
