package capgen

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Packet is one captured frame.
type Packet struct {
	Time time.Time
	Data []byte
}

// CloseKind says how a generated flow ends.
type CloseKind int

const (
	CloseNone CloseKind = iota // the capture ends while the flow is open
	CloseFIN                   // client FIN, server FIN, client ACK
	CloseRST                   // the client resets the connection
)

// FlowSpec describes how one conversation is put on the wire. Zero values get
// defaults noted per field, so a spec with only the endpoints set works.
type FlowSpec struct {
	Client, Server       netip.AddrPort   // both IPv4 or both IPv6
	ClientMAC, ServerMAC net.HardwareAddr // nil: 02:00:00:00:00:01 and :02
	VLAN                 uint16           // 802.1Q VLAN ID (1..4094); 0: untagged

	Start time.Time     // time of the first packet; zero: 2024-01-01 00:00 UTC
	Step  time.Duration // between consecutive packets; zero: 1ms (pcap keeps µs)

	// Initial sequence numbers. The first data byte of each direction has
	// sequence number ISN+1, with or without a handshake; values near 2^32
	// make the sequence space wrap inside the flow.
	ClientISN, ServerISN uint32
	MSS                  int // largest payload per segment; zero: 1460

	Handshake bool      // SYN, SYN-ACK, ACK first; false: the capture starts mid-stream
	Close     CloseKind // how the flow ends
	ACKs      bool      // after each flight the receiver sends a pure ACK

	ClientImpair, ServerImpair Impairments // per direction, data segments only
	Seed                       uint64      // for the impairments' random choices
}

// Gap is a range of one direction's stream that the capture never saw.
type Gap struct {
	FromClient bool
	Offset     int // from the direction's first data byte
	Len        int
}

// segment is a piece of one write, at most MSS bytes.
type segment struct {
	off  int // stream offset of data[0]
	data []byte
	psh  bool // last segment of a write
	gap  bool // never captured
}

type flight struct {
	fromClient bool
	segs       []segment
}

const maxMSS = 32000 // an overlapping retransmission (< 2*MSS) must fit an IP packet

func (s FlowSpec) withDefaults() (FlowSpec, error) {
	if !s.Client.IsValid() || !s.Server.IsValid() {
		return s, errors.New("capgen: FlowSpec needs client and server addresses")
	}
	s.Client = netip.AddrPortFrom(s.Client.Addr().Unmap(), s.Client.Port())
	s.Server = netip.AddrPortFrom(s.Server.Addr().Unmap(), s.Server.Port())
	if s.Client.Addr().Is4() != s.Server.Addr().Is4() {
		return s, errors.New("capgen: client and server must both be IPv4 or both IPv6")
	}
	if s.Client.Port() == 0 || s.Server.Port() == 0 {
		return s, errors.New("capgen: port 0")
	}
	if s.VLAN > 4094 {
		return s, fmt.Errorf("capgen: VLAN %d out of range", s.VLAN)
	}
	if s.MSS == 0 {
		s.MSS = 1460
	}
	if s.MSS < 0 || s.MSS > maxMSS {
		return s, fmt.Errorf("capgen: MSS %d not in 1..%d", s.MSS, maxMSS)
	}
	if s.Start.IsZero() {
		s.Start = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if s.Step < 0 {
		return s, fmt.Errorf("capgen: negative Step %v", s.Step)
	}
	if s.Step == 0 {
		s.Step = time.Millisecond
	}
	if s.ClientMAC == nil {
		s.ClientMAC = net.HardwareAddr{2, 0, 0, 0, 0, 1}
	}
	if s.ServerMAC == nil {
		s.ServerMAC = net.HardwareAddr{2, 0, 0, 0, 0, 2}
	}
	if err := s.ClientImpair.check("ClientImpair"); err != nil {
		return s, err
	}
	return s, s.ServerImpair.check("ServerImpair")
}

// flights cuts conv into segments grouped by flight, flagging gap segments.
func (s FlowSpec) flights(conv Conversation) ([]flight, error) {
	var fl []flight
	var off, count [2]int
	for _, w := range conv {
		d := dirIndex(w.FromClient)
		if len(w.Data) == 0 {
			continue
		}
		if len(fl) == 0 || fl[len(fl)-1].fromClient != w.FromClient {
			fl = append(fl, flight{fromClient: w.FromClient})
		}
		f := &fl[len(fl)-1]
		gapAt := s.ServerImpair.Gap
		if w.FromClient {
			gapAt = s.ClientImpair.Gap
		}
		for i := 0; i < len(w.Data); i += s.MSS {
			end := min(i+s.MSS, len(w.Data))
			count[d]++
			f.segs = append(f.segs, segment{off: off[d] + i, data: w.Data[i:end], psh: end == len(w.Data), gap: count[d] == gapAt})
		}
		off[d] += len(w.Data)
	}
	if g := s.ClientImpair.Gap; g > count[1] {
		return nil, fmt.Errorf("capgen: ClientImpair.Gap = %d but the client sends %d segments", g, count[1])
	}
	if g := s.ServerImpair.Gap; g > count[0] {
		return nil, fmt.Errorf("capgen: ServerImpair.Gap = %d but the server sends %d segments", g, count[0])
	}
	return fl, nil
}

// Gaps returns the stream ranges that Impairments.Gap hides in conv's
// packets, client first.
func (s FlowSpec) Gaps(conv Conversation) ([]Gap, error) {
	s, err := s.withDefaults()
	if err != nil {
		return nil, err
	}
	fl, err := s.flights(conv)
	if err != nil {
		return nil, err
	}
	var gaps []Gap
	for _, fromClient := range []bool{true, false} {
		for _, f := range fl {
			for _, sg := range f.segs {
				if f.fromClient == fromClient && sg.gap {
					gaps = append(gaps, Gap{FromClient: fromClient, Offset: sg.off, Len: len(sg.data)})
				}
			}
		}
	}
	return gaps, nil
}

// Packets puts conv on the wire as s describes: Ethernet (+ 802.1Q) + IPv4 or
// IPv6 + TCP with correct lengths and checksums. Frames shorter than 60 bytes
// are zero-padded as on a real wire, so readers must trust the IP length.
// Each write starts a new segment (PSH on its last); data segments acknowledge
// everything the other side has sent.
func (s FlowSpec) Packets(conv Conversation) ([]Packet, error) {
	s, err := s.withDefaults()
	if err != nil {
		return nil, err
	}
	fl, err := s.flights(conv)
	if err != nil {
		return nil, err
	}
	b := &builder{spec: s}
	b.next[1], b.next[0] = s.ClientISN+1, s.ServerISN+1
	r := rand.New(rand.NewPCG(s.Seed, 0x74637067656e))

	if s.Handshake {
		mss := []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4,
			OptionData: []byte{byte(s.MSS >> 8), byte(s.MSS)}}}
		b.emit(true, s.ClientISN, 0, flags{syn: true}, nil, mss)
		b.emit(false, s.ServerISN, s.ClientISN+1, flags{syn: true, ack: true}, nil, mss)
		b.emit(true, s.ClientISN+1, s.ServerISN+1, flags{ack: true}, nil, nil)
	}
	for _, f := range fl {
		d := dirIndex(f.fromClient)
		isn := s.ServerISN
		im := s.ServerImpair
		if f.fromClient {
			isn, im = s.ClientISN, s.ClientImpair
		}
		ack := b.next[1-d]
		txs := im.apply(r, f.segs)
		sent := make([][]byte, len(txs))
		decoy := func(t transmission, after bool) {
			if dc := im.Decoy; len(dc.Data) > 0 && dc.After == after && t.copyOf < 0 && t.off == dc.Offset {
				var opts []layers.TCPOption
				if dc.Signed {
					opts = []layers.TCPOption{{OptionType: 19, OptionLength: 18, OptionData: make([]byte, 16)}} // RFC 2385's MD5 digest
				}
				b.emit(f.fromClient, isn+1+uint32(dc.Offset-dc.Back), ack, flags{ack: !dc.NoACK, psh: true}, dc.Data, opts)
				im.Decoy.Data = nil // once
			}
		}
		for i, t := range txs {
			if t.copyOf >= 0 { // same bytes, IP ID included, but not the same slice
				sent[i] = slices.Clone(sent[t.copyOf])
				b.add(sent[i])
				continue
			}
			decoy(t, false)
			sent[i] = b.emit(f.fromClient, isn+1+uint32(t.off), ack, flags{ack: true, psh: t.psh}, t.data, nil)
			decoy(t, true)
		}
		last := f.segs[len(f.segs)-1]
		b.next[d] = isn + 1 + uint32(last.off+len(last.data))
		if s.ACKs {
			b.emit(!f.fromClient, b.next[1-d], b.next[d], flags{ack: true}, nil, nil)
		}
	}
	c, sv := b.next[1], b.next[0]
	switch s.Close {
	case CloseFIN:
		b.emit(true, c, sv, flags{fin: true, ack: true}, nil, nil)
		b.emit(false, sv, c+1, flags{fin: true, ack: true}, nil, nil)
		b.emit(true, c+1, sv+1, flags{ack: true}, nil, nil)
	case CloseRST:
		b.emit(true, c, sv, flags{rst: true, ack: true}, nil, nil)
	}
	return b.pkts, b.err
}

type flags struct{ syn, ack, psh, fin, rst bool }

// builder serialises frames and stamps them Step apart.
type builder struct {
	spec FlowSpec
	next [2]uint32 // next sequence number to send, per direction (0 server, 1 client)
	ipID [2]uint16
	pkts []Packet
	err  error
}

func (b *builder) add(data []byte) {
	b.pkts = append(b.pkts, Packet{Time: b.spec.Start.Add(time.Duration(len(b.pkts)) * b.spec.Step), Data: data})
}

func (b *builder) emit(fromClient bool, seq, ack uint32, f flags, payload []byte, opts []layers.TCPOption) []byte {
	if b.err != nil {
		return nil
	}
	s := b.spec
	src, dst := s.Client, s.Server
	srcMAC, dstMAC := s.ClientMAC, s.ServerMAC
	if !fromClient {
		src, dst, srcMAC, dstMAC = dst, src, dstMAC, srcMAC
	}
	tcp := &layers.TCP{
		SrcPort: layers.TCPPort(src.Port()), DstPort: layers.TCPPort(dst.Port()),
		Seq: seq, Ack: ack, Window: 64240, Options: opts,
		SYN: f.syn, ACK: f.ack, PSH: f.psh, FIN: f.fin, RST: f.rst,
	}
	if !f.ack {
		tcp.Ack = 0
	}
	var ip gopacket.NetworkLayer
	ipType := layers.EthernetTypeIPv4
	if src.Addr().Is4() {
		d := dirIndex(fromClient)
		b.ipID[d]++
		ip = &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: b.ipID[d], Flags: layers.IPv4DontFragment,
			Protocol: layers.IPProtocolTCP, SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
	} else {
		ipType = layers.EthernetTypeIPv6
		ip = &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP,
			SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
	}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		b.err = err
		return nil
	}
	eth := &layers.Ethernet{SrcMAC: srcMAC, DstMAC: dstMAC, EthernetType: ipType}
	stack := []gopacket.SerializableLayer{eth}
	if s.VLAN != 0 {
		eth.EthernetType = layers.EthernetTypeDot1Q
		stack = append(stack, &layers.Dot1Q{VLANIdentifier: s.VLAN, Type: ipType})
	}
	stack = append(stack, ip.(gopacket.SerializableLayer), tcp, gopacket.Payload(payload))
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, stack...); err != nil {
		b.err = fmt.Errorf("capgen: serialize: %w", err)
		return nil
	}
	data := buf.Bytes()
	b.add(data)
	return data
}

// IPPacket is the IP packet (from the IP header on, without Ethernet
// padding) of one TCP segment from client to server carrying payload, as
// FlowSpec makes it: for tests of what lies under a flow.
func IPPacket(client, server netip.AddrPort, payload []byte) ([]byte, error) {
	pkts, err := FlowSpec{Client: client, Server: server}.Packets(Conversation{ClientWrite(payload)})
	if err != nil {
		return nil, err
	}
	ip := pkts[0].Data[14:]
	if ip[0]>>4 == 6 {
		return ip[:40+int(binary.BigEndian.Uint16(ip[4:6]))], nil
	}
	return ip[:binary.BigEndian.Uint16(ip[2:4])], nil
}
