package pcapdump

import (
	"bytes"
	"net"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/tlsentry/tlsentry/flow"
)

// segmentSize is the payload of each synthesised segment.
const segmentSize = 1400

// packet is one synthesised frame.
type packet struct {
	t    time.Time
	data []byte
}

// synth builds the frames of a flow: handshake, then the prefix's runs in
// order, then each direction's handshake bytes past the prefix.
type synth struct {
	f          *flow.Flow
	seq        [2]uint32 // next sequence number: [0] client, [1] server
	out        []packet
	buf        gopacket.SerializeBuffer
	start, end time.Time
	n          int // frames so far, to spread their times
}

func side(fromClient bool) int {
	if fromClient {
		return 0
	}
	return 1
}

func packets(f *flow.Flow) ([]packet, error) {
	s := &synth{f: f, seq: [2]uint32{1000, 5000}, buf: gopacket.NewSerializeBuffer(), start: f.Start, end: f.End}
	if !f.Midstream {
		// The client's SYN only where the capture saw it: a flow seen
		// from the server's SYN-ACK reads back as one.
		if f.ClientSYN {
			if err := s.emit(true, layers.TCP{SYN: true}, nil); err != nil {
				return nil, err
			}
		}
		s.seq[0]++
		if err := s.emit(false, layers.TCP{SYN: true, ACK: true}, nil); err != nil {
			return nil, err
		}
		s.seq[1]++
		if err := s.emit(true, layers.TCP{ACK: true}, nil); err != nil {
			return nil, err
		}
	}
	// The prefix, turn by turn; what each side sent of it.
	var sent [2][]byte
	off := 0
	for _, r := range f.PrefixRuns {
		end := min(off+r.Len, len(f.Prefix))
		if r.Mixed {
			break // bytes of both sides in an order not recorded
		}
		data := f.Prefix[off:end]
		if err := s.data(r.FromClient, data); err != nil {
			return nil, err
		}
		sent[side(r.FromClient)] = append(sent[side(r.FromClient)], data...)
		off = end
	}
	// A handshake that starts where the stream starts continues past the
	// prefix: its remaining bytes follow what the prefix held of that side.
	for _, d := range []struct {
		client bool
		hs     []byte
	}{{true, f.ClientHandshake}, {false, f.ServerHandshake}} {
		got := sent[side(d.client)]
		if len(d.hs) > len(got) && bytes.HasPrefix(d.hs, got) {
			if err := s.data(d.client, d.hs[len(got):]); err != nil {
				return nil, err
			}
		}
	}
	return s.out, nil
}

// data sends b from one side in segments, each acknowledged.
func (s *synth) data(fromClient bool, b []byte) error {
	for len(b) > 0 {
		n := min(len(b), segmentSize)
		if err := s.emit(fromClient, layers.TCP{ACK: true, PSH: n == len(b)}, b[:n]); err != nil {
			return err
		}
		s.seq[side(fromClient)] += uint32(n)
		b = b[n:]
	}
	return nil
}

// emit serialises one frame from one side, its time spread between the
// flow's first and last packet.
func (s *synth) emit(fromClient bool, tcp layers.TCP, payload []byte) error {
	src, dst := s.f.Client.AddrPort(), s.f.Server.AddrPort()
	me := side(fromClient)
	if !fromClient {
		src, dst = dst, src
	}
	tcp.SrcPort, tcp.DstPort = layers.TCPPort(src.Port()), layers.TCPPort(dst.Port())
	tcp.Seq, tcp.Window = s.seq[me], 65535
	if tcp.ACK {
		tcp.Ack = s.seq[1-me]
	}
	eth := layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}}
	var ip gopacket.SerializableLayer
	if src.Addr().Is4() {
		eth.EthernetType = layers.EthernetTypeIPv4
		v4 := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
		tcp.SetNetworkLayerForChecksum(v4)
		ip = v4
	} else {
		eth.EthernetType = layers.EthernetTypeIPv6
		v6 := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
		tcp.SetNetworkLayerForChecksum(v6)
		ip = v6
	}
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(s.buf, opts, &eth, ip, &tcp, gopacket.Payload(payload)); err != nil {
		return err
	}
	s.out = append(s.out, packet{t: s.at(), data: append([]byte(nil), s.buf.Bytes()...)})
	return nil
}

// at spreads frame times: each frame a microsecond after the one before,
// from the flow's start, never past its end unless the flow was shorter.
func (s *synth) at() time.Time {
	t := s.start.Add(time.Duration(s.n) * time.Microsecond)
	s.n++
	if t.After(s.end) && s.end.After(s.start) {
		return s.end
	}
	return t
}
