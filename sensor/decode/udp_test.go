package decode

import (
	"encoding/binary"
	"testing"

	"github.com/tlsentry/tlsentry/flow"
)

// ipv4UDP builds an IPv4 packet from 10.1.2.3:sport to 10.9.8.7:dport
// carrying payload; ulen overrides the UDP length field when not 0.
func ipv4UDP(sport, dport uint16, payload []byte, ulen int) []byte {
	if ulen == 0 {
		ulen = 8 + len(payload)
	}
	ip := []byte{0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 1, 2, 3, 10, 9, 8, 7}
	binary.BigEndian.PutUint16(ip[2:], uint16(20+8+len(payload)))
	return cat(ip, be16(sport), be16(dport), be16(uint16(ulen)), be16(0), payload)
}

// TestDecodeUDP: a datagram to or from a watched UDP port is a UDP
// segment (inside tunnels too); others are skipped; the tunnel ports keep
// their meaning; a TCP segment decoded into the same Segment afterwards is
// TCP again.
func TestDecodeUDP(t *testing.T) {
	quic := []byte{0xc0, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0}
	eth := func(p []byte) []byte { return cat(make([]byte, 12), be16(0x0800), p) }
	d := NewDecoder()
	d.UDPPorts = NewPortSet([]uint16{443, 784})
	var s flow.Segment
	for _, tc := range []struct {
		name         string
		frame        []byte
		sport, dport uint16
	}{
		{"to a watched port", eth(ipv4UDP(50000, 443, quic, 0)), 50000, 443},
		{"from a watched port", eth(ipv4UDP(784, 50000, quic, 0)), 784, 50000},
		{"inside VXLAN", eth(ipv4UDP(1234, 4789, cat([]byte{0x08, 0, 0, 0, 0, 0, 1, 0}, eth(ipv4UDP(50000, 443, quic, 0))), 0)), 50000, 443},
	} {
		s = flow.Segment{Transport: flow.TransportTCP, Seq: 7, Flags: flow.FlagSYN}
		if why := d.Decode(LinkEthernet, tc.frame, &s); why != SkipNone {
			t.Errorf("%s: skipped (%v)", tc.name, why)
			continue
		}
		if s.Transport != flow.TransportUDP || s.Src.Port != tc.sport || s.Dst.Port != tc.dport || string(s.Payload) != string(quic) ||
			s.PayloadLen != len(quic) || s.Seq != 0 || s.Flags != 0 || s.WireLen != len(tc.frame) {
			t.Errorf("%s: segment %+v", tc.name, s)
		}
	}
	// Cut short by the capture: the UDP length still says what was sent.
	cut := ipv4UDP(50000, 443, quic, 0)
	if why := d.Decode(LinkRaw, cut[:len(cut)-5], &s); why != SkipNone || len(s.Payload) != len(quic)-5 || s.PayloadLen != len(quic) {
		t.Errorf("cut: %v, %d of %d bytes", why, len(s.Payload), s.PayloadLen)
	}
	for _, tc := range []struct {
		name  string
		frame []byte
		want  SkipReason
	}{
		{"unwatched port", ipv4UDP(50000, 53, quic, 0), SkipNotTCP},
		{"UDP length beyond the IP packet", ipv4UDP(50000, 443, quic, 8+len(quic)+1), SkipMalformed},
		{"UDP length below its header", ipv4UDP(50000, 443, quic, 7), SkipMalformed},
		{"truncated header", ipv4UDP(50000, 443, nil, 0)[:25], SkipTruncated},
	} {
		if got := d.Decode(LinkRaw, tc.frame, &s); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	if why := d.Decode(LinkRaw, ipv4TCP(t, false), &s); why != SkipNone || s.Transport != flow.TransportTCP {
		t.Errorf("TCP after UDP: %v, transport %v", why, s.Transport)
	}
	// Without a port set every UDP port is watched.
	if why := NewDecoder().Decode(LinkRaw, ipv4UDP(50000, 53, quic, 0), &s); why != SkipNone || s.Transport != flow.TransportUDP {
		t.Errorf("every port: %v", why)
	}
}

func TestPortSet(t *testing.T) {
	var none *PortSet
	s := NewPortSet([]uint16{443, 65535, 0})
	if !none.Has(1) || !none.Either(1, 2) || NewPortSet(nil) != nil {
		t.Error("a nil set holds every port")
	}
	if !s.Has(443) || !s.Has(65535) || !s.Has(0) || s.Has(444) || !s.Either(50000, 443) || s.Either(50000, 444) {
		t.Error("membership")
	}
}
