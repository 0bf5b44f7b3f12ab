//go:build linux

package bpf

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/sys/unix"

	"github.com/tlsentry/tlsentry/internal/capgen"
)

// reference classifies a frame by the rules filter.c implements, written
// over a byte slice: pass stands for "a TCP segment or UDP datagram with a
// watched port", which the kernel program then passes or holds over
// budget.
func reference(frame []byte, watched func(uint16) bool) (verdict int, flags uint8) {
	be16 := func(b []byte) uint32 { return uint32(binary.BigEndian.Uint16(b)) }
	if len(frame) < 14 {
		return malformed, 0
	}
	et, off := be16(frame[12:]), uint32(14)
	for i := 0; i < 2 && (et == 0x8100 || et == 0x88a8 || et == 0x9100); i++ {
		if uint32(len(frame)) < off+4 {
			return malformed, 0
		}
		et, off = be16(frame[off+2:]), off+4
	}
	var l4, l4len uint32
	var proto byte
	switch et {
	case 0x0800:
		if uint32(len(frame)) < off+20 || frame[off]>>4 != 4 {
			return malformed, 0
		}
		ihl, total := uint32(frame[off]&0xf)*4, be16(frame[off+2:])
		if ihl < 20 || total < ihl || off+total > uint32(len(frame)) {
			return malformed, 0
		}
		if be16(frame[off+6:])&0x3fff != 0 {
			return fragment, 0
		}
		if frame[off+9] != 6 && frame[off+9] != 17 {
			return notWatched, 0
		}
		proto = frame[off+9]
		l4, l4len = off+ihl, total-ihl
	case 0x86dd:
		if uint32(len(frame)) < off+40 || frame[off]>>4 != 6 {
			return malformed, 0
		}
		l4, l4len = off+40, be16(frame[off+4:])
		if l4+l4len > uint32(len(frame)) {
			return malformed, 0
		}
		next := frame[off+6]
		for i := 0; i < 4 && next != 6 && next != 17; i++ {
			switch next {
			case 44: // TCP and UDP fragments pass, ports or not
				if l4len < 8 {
					return malformed, 0
				}
				if frame[l4] != 6 && frame[l4] != 17 {
					return notWatched, 0
				}
				return pass, 0
			case 0, 43, 60:
			default:
				return notWatched, 0
			}
			if uint32(len(frame)) < l4+2 {
				return malformed, 0
			}
			n := (uint32(frame[l4+1]) + 1) * 8
			if n > l4len {
				return malformed, 0
			}
			next, l4, l4len = frame[l4], l4+n, l4len-n
		}
		if next != 6 && next != 17 {
			return malformed, 0
		}
		proto = next
	default:
		return notWatched, 0
	}
	if proto == 17 {
		if l4len < 8 {
			return malformed, 0
		}
		ulen := be16(frame[l4+4:])
		if ulen == 0 {
			ulen = l4len
		}
		if ulen < 8 || ulen > l4len {
			return malformed, 0
		}
		if !watched(uint16(be16(frame[l4:]))) && !watched(uint16(be16(frame[l4+2:]))) {
			return notWatched, 0
		}
		return pass, 0
	}
	if l4len < 20 {
		return malformed, 0
	}
	tcp := frame[l4:]
	doff := uint32(tcp[12]>>4) * 4
	if doff < 20 || doff > l4len {
		return malformed, 0
	}
	if !watched(uint16(be16(tcp[0:]))) && !watched(uint16(be16(tcp[2:]))) {
		return notWatched, 0
	}
	return pass, tcp[13]
}

// FuzzFilter checks the kernel program against reference on any frame:
// the same drop reason, SYN/FIN/RST of watched connections always pass,
// and a pass keeps the whole frame.
func FuzzFilter(f *testing.F) {
	filter := loadForTest(f, Config{Ports: []uint16{443, 8443}, MapEntries: 4096, ClientBudget: 3000, ServerBudget: 3000, UDPPackets: 4})
	watched := func(p uint16) bool { return p == 443 || p == 8443 }
	for _, fr := range []tcpFrame{
		{src: clientIP, dst: serverIP, sport: 40000, dport: 443, seq: 1, flags: "S"},
		{src: serverIP, dst: clientIP, sport: 443, dport: 40000, seq: 9, flags: "PA", payload: 100, vlans: 1},
		{src: client6, dst: server6, sport: 40000, dport: 8443, seq: 5000, flags: "PA", payload: 40, vlans: 2},
		{src: client6, dst: server6, sport: 40000, dport: 443, seq: 7, flags: "F", ipv6Ext: append(ipv6Option(layers.IPProtocolIPv6Destination), ipv6Option(layers.IPProtocolTCP)...), ipv6ExtType: layers.IPProtocolIPv6HopByHop},
		{src: clientIP, dst: serverIP, sport: 40000, dport: 80, seq: 1, flags: "R"},
	} {
		f.Add(fr.bytes(f))
	}
	f.Add(udpFrame(f, 40000, 443))
	f.Add(udpFrameBetween(f, client6, server6, 40000, 8443, 1200))
	f.Add(arpFrame(f))
	f.Add(ipv4Fragment(f, 443, 0, true))
	for _, frag := range capgen.FragmentFrame(tcpFrame{src: client6, dst: server6, sport: 40000, dport: 443, seq: 1, flags: "PA", payload: 300}.bytes(f), 128, 9) {
		f.Add(frag)
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		frame = frame[:min(len(frame), maxTestRunFrame)]
		before, err := filter.Stats()
		if err != nil {
			t.Fatal(err)
		}
		got := run(t, filter, frame)
		after, err := filter.Stats()
		if err != nil {
			t.Fatal(err)
		}
		verdict := pass
		switch {
		case after.NotWatched > before.NotWatched:
			verdict = notWatched
		case after.Fragment > before.Fragment:
			verdict = fragment
		case after.Malformed > before.Malformed:
			verdict = malformed
		case after.OverBudget > before.OverBudget:
			verdict = overBudget
		}
		if (verdict == pass && got != uint32(len(frame))) || (verdict != pass && got != 0) {
			t.Fatalf("returned %d for a %d-byte frame, counted as %s", got, len(frame), verdictNames[verdict])
		}
		want, flags := reference(frame, watched)
		switch {
		case want == pass && verdict == overBudget && flags&(0x01|0x02|0x04) == 0:
		case want != verdict:
			t.Fatalf("filter: %s, reference: %s (frame % x)", verdictNames[verdict], verdictNames[want], frame)
		}
	})
}

// mirror returns the frame with its IP addresses swapped and, for an
// unfragmented IPv4 TCP or UDP packet, its ports: the other direction of
// the same connection, as the fanout program reads it. ok is false for
// frames it reads no addresses of.
func mirror(frame []byte) (_ []byte, ok bool) {
	m := append([]byte{}, frame...)
	if len(m) < 14 {
		return nil, false
	}
	et, off := binary.BigEndian.Uint16(m[12:]), 14
	for i := 0; i < 2 && (et == 0x8100 || et == 0x88a8 || et == 0x9100); i++ {
		if len(m) < off+4 {
			return nil, false
		}
		et, off = binary.BigEndian.Uint16(m[off+2:]), off+4
	}
	swap := func(a, b, n int) {
		for i := range n {
			m[a+i], m[b+i] = m[b+i], m[a+i]
		}
	}
	switch et {
	case 0x0800:
		if len(m) < off+20 {
			return nil, false
		}
		swap(off+12, off+16, 4)
		ihl := int(m[off]&0xf) * 4
		fragment := binary.BigEndian.Uint16(m[off+6:])&0x3fff != 0
		if (m[off+9] == 6 || m[off+9] == 17) && !fragment && ihl >= 20 && len(m) >= off+ihl+4 {
			swap(off+ihl, off+ihl+2, 2)
		}
	case 0x86dd:
		if len(m) < off+40 {
			return nil, false
		}
		swap(off+8, off+24, 16)
	default:
		return nil, false
	}
	return m, true
}

// FuzzFanout runs the fanout program on any frame: it never fails, and a
// frame and its mirror (the other direction) hash the same.
func FuzzFanout(f *testing.F) {
	fan := loadFanoutForTest(f)
	for _, fr := range []tcpFrame{
		{src: clientIP, dst: serverIP, sport: 40000, dport: 443, seq: 1, flags: "S"},
		{src: serverIP, dst: clientIP, sport: 443, dport: 40000, seq: 9, flags: "PA", payload: 100, vlans: 1},
		{src: client6, dst: server6, sport: 40000, dport: 8443, seq: 5000, flags: "PA", payload: 40, vlans: 2},
	} {
		f.Add(fr.bytes(f))
	}
	f.Add(arpFrame(f))
	f.Add(ipv4Fragment(f, 443, 8, false))
	for _, frag := range capgen.FragmentFrame(tcpFrame{src: client6, dst: server6, sport: 40000, dport: 443, seq: 1, flags: "PA", payload: 300}.bytes(f), 128, 9) {
		f.Add(frag)
	}
	hash := func(t *testing.T, frame []byte) (uint32, bool) {
		ret, err := fan.objs.TlsentryFanout.Run(&ebpf.RunOptions{Data: frame})
		if errors.Is(err, unix.EINVAL) {
			return 0, false // a test run refuses short frames and cut IP headers
		}
		if err != nil {
			t.Fatalf("test run: %v", err)
		}
		return ret, true
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		frame = frame[:min(len(frame), maxTestRunFrame)]
		h, ok := hash(t, frame)
		if !ok {
			return
		}
		m, ok := mirror(frame)
		if !ok {
			return
		}
		if hm, ok := hash(t, m); ok && hm != h {
			t.Fatalf("hash %#x, of the mirrored frame %#x (frame % x)", h, hm, frame)
		}
	})
}
