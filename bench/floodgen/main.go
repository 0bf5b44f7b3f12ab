// Command floodgen writes a flood capture for the pressure benches: many
// small flows from distinct clients (capgen.Flood), as a pcap, for
// `tlsentry flows`/`score` offline or tcpreplay live.
//
//	go run ./bench/floodgen -kind outoforder -flows 66000 -segments 22 -w ooo.pcap
//
// Kinds: syn (a SYN each), onesegment (handshake, one ClientHello-sized
// data segment, RST), outoforder (handshake, then -segments segments each
// way after a hole, so every byte waits in the reassembler), datarst (one
// data segment and an RST, no handshake: the most flows per packet).
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/tlsentry/tlsentry/internal/capgen"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "floodgen:", err)
		os.Exit(1)
	}
}

func run() error {
	kind := flag.String("kind", "syn", "syn, onesegment, outoforder or datarst")
	flows := flag.Int("flows", 100000, "number of flows")
	segments := flag.Int("segments", 22, "outoforder: segments per direction after the hole")
	segLen := flag.Int("seglen", 1400, "payload bytes per data segment")
	interval := flag.Duration("interval", 10*time.Microsecond, "between flows' first packets (packet time)")
	clients := flag.String("clients", "10.64.0.0/10", "client addresses (IPv4 prefix)")
	server := flag.String("server", "192.0.2.1:443", "server address and port")
	start := flag.String("start", "2024-01-01T00:00:00Z", "time of the first packet (RFC 3339)")
	seed := flag.Uint64("seed", 1, "payload bytes and ISNs")
	out := flag.String("w", "", "output pcap file (required)")
	flag.Parse()
	if *out == "" {
		return errors.New("-w is required")
	}
	kinds := map[string]capgen.FloodKind{"syn": capgen.FloodSYN, "onesegment": capgen.FloodOneSegment, "outoforder": capgen.FloodOutOfOrder, "datarst": capgen.FloodDataRST}
	k, ok := kinds[*kind]
	if !ok {
		return fmt.Errorf("-kind %q: want syn, onesegment, outoforder or datarst", *kind)
	}
	pfx, err := netip.ParsePrefix(*clients)
	if err != nil {
		return fmt.Errorf("-clients: %w", err)
	}
	srv, err := netip.ParseAddrPort(*server)
	if err != nil {
		return fmt.Errorf("-server: %w", err)
	}
	t0, err := time.Parse(time.RFC3339, *start)
	if err != nil {
		return fmt.Errorf("-start: %w", err)
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w := pcapgo.NewWriter(bw)
	if err := w.WriteFileHeader(capgen.Snaplen, layers.LinkTypeEthernet); err != nil {
		return err
	}
	n := 0
	err = capgen.Flood{Kind: k, Flows: *flows, Clients: pfx, Server: srv, Start: t0, Interval: *interval,
		Segments: *segments, SegmentLen: *segLen, Seed: *seed}.Each(func(p capgen.Packet) error {
		n++
		return w.WritePacket(gopacket.CaptureInfo{Timestamp: p.Time, CaptureLength: len(p.Data), Length: len(p.Data)}, p.Data)
	})
	if err := errors.Join(err, bw.Flush(), f.Close()); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "floodgen: %s: %d flows, %d packets\n", *out, *flows, n)
	return nil
}
