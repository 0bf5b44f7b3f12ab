// Command droppackets copies a capture (pcap or pcapng) as a classic pcap
// without some of its packets: a span port that loses them. Each packet
// longer than -keep bytes is dropped with probability -p, drawn from a
// generator seeded by the input's name, so that a run repeats; shorter
// ones (bare SYNs, ACKs) stay, as losses fall mostly on full frames.
// With -snap N it also keeps only each packet's first N bytes, as a
// capture made with that snap length (tcpdump -s N) does. With -skew D
// the packets of each connection's server (the lower TCP or UDP port)
// are stamped D earlier and all are merged again in time order, each
// direction in its own order: a tap whose two directions are merged with
// clocks apart, which puts a server's answers before what they answer.
//
//	go run ./bench/droppackets -p 0.02 -i in.pcapng -o out.pcap
//	go run ./bench/droppackets -p 0 -snap 128 -i in.pcapng -o out.pcap
//	go run ./bench/droppackets -p 0 -skew 20ms -i in.pcapng -o out.pcap
package main

import (
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"os"
	"slices"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "droppackets:", err)
		os.Exit(1)
	}
}

type packetSource interface {
	ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

func run() error {
	p := flag.Float64("p", 0.02, "probability of dropping a packet longer than -keep bytes (0-1)")
	keep := flag.Int("keep", 80, "packets of at most this many bytes are never dropped")
	in := flag.String("i", "", "capture to read (pcap or pcapng)")
	out := flag.String("o", "", "pcap to write")
	snap := flag.Int("snap", 0, "keep at most this many bytes of each packet, as a capture with this snap length does (0: all of them)")
	skew := flag.Duration("skew", 0, "stamp the servers' packets (the lower port) this much earlier and merge again in time order (0: none)")
	flag.Parse()
	if *in == "" || *out == "" || *p < 0 || *p > 1 || *snap < 0 || *skew < 0 {
		return errors.New("usage: droppackets [-p 0.02] [-keep 80] [-snap N] [-skew D] -i IN -o OUT.pcap")
	}
	snaplen := uint32(262144)
	if *snap > 0 {
		snaplen = uint32(*snap)
	}
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer f.Close()
	src, link, err := open(f)
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	h := fnv.New64a()
	h.Write([]byte(*in))
	rng := rand.New(rand.NewPCG(h.Sum64(), 1))
	o, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := pcapgo.NewWriterNanos(o)
	if err := w.WriteFileHeader(snaplen, link); err != nil {
		o.Close()
		return err
	}
	kept, dropped := 0, 0
	var held []packet // with -skew: written once all are read
	for {
		data, ci, err := src.ReadPacketData()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break // a truncated capture: what came before it is kept
		}
		if err != nil {
			o.Close()
			return fmt.Errorf("%s: packet %d: %w", *in, kept+dropped+1, err)
		}
		if len(data) > *keep && rng.Float64() < *p {
			dropped++
			continue
		}
		ci.Length = max(ci.Length, len(data)) // the packet's length on the wire
		if *snap > 0 && len(data) > *snap {
			data = data[:*snap]
		}
		ci.CaptureLength = len(data)
		kept++
		if *skew > 0 {
			if fromServer(data, link) {
				ci.Timestamp = ci.Timestamp.Add(-*skew)
			}
			held = append(held, packet{ci, slices.Clone(data)})
			continue
		}
		if err := w.WritePacket(ci, data); err != nil {
			o.Close()
			return err
		}
	}
	slices.SortStableFunc(held, func(a, b packet) int { return a.ci.Timestamp.Compare(b.ci.Timestamp) })
	for _, pk := range held {
		if err := w.WritePacket(pk.ci, pk.data); err != nil {
			o.Close()
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "droppackets: %s: kept %d, dropped %d\n", *in, kept, dropped)
	return o.Close()
}

// open reads a pcapng, else a classic pcap.
func open(f *os.File) (packetSource, layers.LinkType, error) {
	if ng, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions); err == nil {
		return ng, ng.LinkType(), nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, 0, err
	}
	r, err := pcapgo.NewReader(f)
	if err != nil {
		return nil, 0, err
	}
	return r, r.LinkType(), nil
}

type packet struct {
	ci   gopacket.CaptureInfo
	data []byte
}

// fromServer reports whether a packet is a TCP segment or UDP datagram
// from the lower port of its two: a server's, as servers listen on the
// lower, well-known ports.
func fromServer(data []byte, link layers.LinkType) bool {
	pk := gopacket.NewPacket(data, link, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
	switch l := pk.TransportLayer().(type) {
	case *layers.TCP:
		return l.SrcPort < l.DstPort
	case *layers.UDP:
		return l.SrcPort < l.DstPort
	}
	return false
}
