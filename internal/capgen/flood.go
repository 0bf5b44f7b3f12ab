package capgen

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"
)

// FloodKind is what each flow of a Flood sends.
type FloodKind int

const (
	// FloodSYN: a single SYN, never answered (a SYN flood from spoofed
	// sources).
	FloodSYN FloodKind = iota
	// FloodOneSegment: handshake, one data segment from the client, an
	// RST: a flow the sensor can score from one segment.
	FloodOneSegment
	// FloodOutOfOrder: handshake, then Segments segments each way that
	// all follow a hole (the first segment of each direction is never
	// sent), so a reassembler buffers every byte until the flow ends. The
	// flows are interleaved, all open at once: the handshakes of all of
	// them, then each one's first segments each way, and so on.
	FloodOutOfOrder
	// FloodDataRST: one data segment and an RST, no handshake: the
	// fewest packets a flow the sensor scores can take (a mid-stream
	// flow closed at once), for the highest flow rate a replay reaches.
	FloodDataRST
)

// Flood describes many small flows from distinct clients to one server,
// for load and memory tests: flow i comes from the i-th address of
// Clients (port 1024 + i%60000), its first packet Interval after flow
// i-1's, its packets a microsecond apart (FloodOutOfOrder: each round of
// packets Interval after the previous flow's).
type Flood struct {
	Kind     FloodKind
	Flows    int
	Clients  netip.Prefix // IPv4; large enough for Flows addresses / 60000
	Server   netip.AddrPort
	Start    time.Time     // zero: 2024-01-01 00:00 UTC
	Interval time.Duration // zero: 10µs
	// Segments (FloodOutOfOrder: per direction, after the hole) and
	// SegmentLen (payload bytes per data segment; zero: 1400).
	Segments, SegmentLen int
	Seed                 uint64 // payload bytes and ISNs
}

// Each calls fn with every packet of the flood in time order; fn may keep
// the packet. It stops at fn's first error.
func (f Flood) Each(fn func(Packet) error) error {
	if !f.Clients.Addr().Is4() || !f.Server.Addr().Is4() {
		return errors.New("capgen: Flood needs IPv4 clients and server")
	}
	if f.Flows < 0 || f.Segments < 0 || f.SegmentLen < 0 || f.SegmentLen > maxMSS {
		return fmt.Errorf("capgen: Flood of %d flows, %d segments of %d bytes", f.Flows, f.Segments, f.SegmentLen)
	}
	if hosts := uint64(1) << (32 - f.Clients.Bits()); uint64(f.Flows) > hosts*60000 {
		return fmt.Errorf("capgen: %d flows do not fit %s", f.Flows, f.Clients)
	}
	if f.Start.IsZero() {
		f.Start = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if f.Interval == 0 {
		f.Interval = 10 * time.Microsecond
	}
	if f.SegmentLen == 0 {
		f.SegmentLen = 1400
	}
	r := rand.New(rand.NewPCG(f.Seed, 0x666c6f6f64))
	payload := make([]byte, f.SegmentLen)
	for i := range payload {
		payload[i] = byte(r.Uint32())
	}
	base := f.Clients.Masked().Addr().As4()
	baseN := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	rounds := 1
	if f.Kind == FloodOutOfOrder {
		rounds += f.Segments
	}
	for round := range rounds {
		for i := range f.Flows {
			n := baseN + uint32(i/60000)
			client := netip.AddrPortFrom(netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), uint16(1024+i%60000))
			isn := rand.New(rand.NewPCG(f.Seed, uint64(i)))
			spec := FlowSpec{Client: client, Server: f.Server, Start: f.Start.Add(time.Duration(round*f.Flows+i) * f.Interval), Step: time.Microsecond,
				ClientISN: isn.Uint32(), ServerISN: isn.Uint32(), MSS: f.SegmentLen}
			spec, err := spec.withDefaults()
			if err != nil {
				return err
			}
			b := &builder{spec: spec}
			f.round(b, round, payload)
			if b.err != nil {
				return b.err
			}
			for _, p := range b.pkts {
				if err := fn(p); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// round builds one flow's packets of a round: 0 is the flow's start (all
// of it but for out-of-order flows), k > 0 an out-of-order flow's k-th
// segments after the hole.
func (f Flood) round(b *builder, k int, payload []byte) {
	c, s := b.spec.ClientISN, b.spec.ServerISN
	n := uint32(len(payload))
	if k > 0 {
		off := uint32(k) * n // the hole is the segment at offset 0
		b.emit(true, c+1+off, s+1, flags{ack: true}, payload, nil)
		b.emit(false, s+1+off, c+1, flags{ack: true}, payload, nil)
		return
	}
	if f.Kind == FloodDataRST {
		b.emit(true, c+1, s+1, flags{ack: true, psh: true}, payload, nil)
		b.emit(true, c+1+n, s+1, flags{rst: true, ack: true}, nil, nil)
		return
	}
	b.emit(true, c, 0, flags{syn: true}, nil, nil)
	if f.Kind == FloodSYN {
		return
	}
	b.emit(false, s, c+1, flags{syn: true, ack: true}, nil, nil)
	b.emit(true, c+1, s+1, flags{ack: true}, nil, nil)
	if f.Kind == FloodOneSegment {
		b.emit(true, c+1, s+1, flags{ack: true, psh: true}, payload, nil)
		b.emit(true, c+1+n, s+1, flags{rst: true, ack: true}, nil, nil)
	}
}
