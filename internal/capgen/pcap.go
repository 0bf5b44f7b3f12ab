package capgen

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Snaplen is the snapshot length written in pcap headers; no generated packet
// comes near it.
const Snaplen = 262144

// WritePcap writes pkts as a classic (microsecond) pcap stream with the given
// link type; FlowSpec's packets are layers.LinkTypeEthernet.
func WritePcap(w io.Writer, linkType layers.LinkType, pkts []Packet) error {
	pw := pcapgo.NewWriter(w)
	if err := pw.WriteFileHeader(Snaplen, linkType); err != nil {
		return fmt.Errorf("capgen: pcap header: %w", err)
	}
	for i, p := range pkts {
		ci := gopacket.CaptureInfo{Timestamp: p.Time, CaptureLength: len(p.Data), Length: len(p.Data)}
		if err := pw.WritePacket(ci, p.Data); err != nil {
			return fmt.Errorf("capgen: pcap packet %d: %w", i, err)
		}
	}
	return nil
}

// WriteFile writes Ethernet packets to a pcap file at path.
func WriteFile(path string, pkts []Packet) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	bw := bufio.NewWriter(f)
	if err := WritePcap(bw, layers.LinkTypeEthernet, pkts); err != nil {
		return err
	}
	return bw.Flush()
}

// Merge interleaves several flows' packets by time. It is stable: at equal
// times earlier flows go first, and each flow keeps its own order even if its
// times are not sorted.
func Merge(flows ...[]Packet) []Packet {
	n := 0
	for _, f := range flows {
		n += len(f)
	}
	out := make([]Packet, 0, n)
	heads := make([]int, len(flows))
	for len(out) < n {
		best := -1
		for i, f := range flows {
			if heads[i] == len(f) {
				continue
			}
			if best < 0 || f[heads[i]].Time.Before(flows[best][heads[best]].Time) {
				best = i
			}
		}
		out = append(out, flows[best][heads[best]])
		heads[best]++
	}
	return out
}
