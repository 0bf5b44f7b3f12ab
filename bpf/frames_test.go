//go:build linux

package bpf

import (
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// tcpFrame describes one TCP segment to serialise as an Ethernet frame.
type tcpFrame struct {
	src, dst     string // IP addresses; IPv6 when they contain ':'
	sport, dport uint16
	seq, ack     uint32
	flags        string // any of "SAFRP"; ACK is implied unless the flags are "S" alone
	payload      int    // bytes of payload
	vlans        int    // 0, 1 (802.1Q) or 2 (802.1ad outer, 802.1Q inner)
	ipv6Ext      []byte // raw IPv6 extension headers before TCP; their first byte is patched
	ipv6ExtType  layers.IPProtocol
}

const (
	clientIP = "192.0.2.10"
	serverIP = "198.51.100.20"
	client6  = "2001:db8::10"
	server6  = "2001:db8::20"
)

func (f tcpFrame) tcp() *layers.TCP {
	t := &layers.TCP{SrcPort: layers.TCPPort(f.sport), DstPort: layers.TCPPort(f.dport), Seq: f.seq, Ack: f.ack, Window: 65535}
	for _, c := range f.flags {
		switch c {
		case 'S':
			t.SYN = true
		case 'A':
			t.ACK = true
		case 'F':
			t.FIN = true
		case 'R':
			t.RST = true
		case 'P':
			t.PSH = true
		}
	}
	if f.flags != "S" {
		t.ACK = true
	}
	return t
}

// bytes serialises the frame with correct lengths and checksums.
func (f tcpFrame) bytes(t testing.TB) []byte {
	t.Helper()
	tcp := f.tcp()
	payload := gopacket.Payload(make([]byte, f.payload))
	for i := range payload {
		payload[i] = byte(i)
	}
	var ip gopacket.SerializableLayer
	var etherType layers.EthernetType
	if net.ParseIP(f.src).To4() != nil {
		v4 := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: net.ParseIP(f.src), DstIP: net.ParseIP(f.dst)}
		if err := tcp.SetNetworkLayerForChecksum(v4); err != nil {
			t.Fatal(err)
		}
		ip, etherType = v4, layers.EthernetTypeIPv4
	} else {
		v6 := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: net.ParseIP(f.src), DstIP: net.ParseIP(f.dst)}
		if err := tcp.SetNetworkLayerForChecksum(v6); err != nil {
			t.Fatal(err)
		}
		ip, etherType = v6, layers.EthernetTypeIPv6
		if len(f.ipv6Ext) > 0 {
			// Extension headers go between IPv6 and TCP as raw bytes.
			seg := serialize(t, tcp, payload)
			v6.NextHeader = f.ipv6ExtType
			return ethernet(t, f.vlans, etherType, v6, gopacket.Payload(append(append([]byte{}, f.ipv6Ext...), seg...)))
		}
	}
	return ethernet(t, f.vlans, etherType, ip, tcp, payload)
}

// ethernet prefixes the layers with an Ethernet header and vlans tags.
func ethernet(t testing.TB, vlans int, inner layers.EthernetType, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: inner}
	all := []gopacket.SerializableLayer{eth}
	switch vlans {
	case 1:
		eth.EthernetType = layers.EthernetTypeDot1Q
		all = append(all, &layers.Dot1Q{VLANIdentifier: 100, Type: inner})
	case 2:
		eth.EthernetType = layers.EthernetTypeQinQ
		all = append(all, &layers.Dot1Q{VLANIdentifier: 200, Type: layers.EthernetTypeDot1Q}, &layers.Dot1Q{VLANIdentifier: 100, Type: inner})
	}
	return serialize(t, append(all, ls...)...)
}

func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatalf("serialising a test frame: %v", err)
	}
	return append([]byte{}, buf.Bytes()...)
}

// ipv6Option is an extension header of 8 bytes (hop-by-hop, routing or
// destination options) whose next header is next.
func ipv6Option(next layers.IPProtocol) []byte {
	return []byte{byte(next), 0, 1, 4, 0, 0, 0, 0} // PadN option filling the header
}

func udpFrame(t testing.TB, sport, dport uint16) []byte {
	return udpFrameBetween(t, clientIP, serverIP, sport, dport, 100)
}

// udpFrameBetween is a UDP datagram of n payload bytes, IPv4 or IPv6 as
// the addresses are.
func udpFrameBetween(t testing.TB, src, dst string, sport, dport uint16, n int) []byte {
	udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	payload := gopacket.Payload(make([]byte, n))
	if net.ParseIP(src).To4() == nil {
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolUDP, SrcIP: net.ParseIP(src), DstIP: net.ParseIP(dst)}
		if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
			t.Fatal(err)
		}
		return ethernet(t, 0, layers.EthernetTypeIPv6, ip, udp, payload)
	}
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.ParseIP(src), DstIP: net.ParseIP(dst)}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	return ethernet(t, 0, layers.EthernetTypeIPv4, ip, udp, payload)
}

// udpLength sets the UDP length field of an untagged IPv4 UDP frame.
func udpLength(frame []byte, n uint16) []byte {
	frame = append([]byte{}, frame...)
	frame[14+20+4], frame[14+20+5] = byte(n>>8), byte(n)
	return frame
}

func icmpFrame(t testing.TB) []byte {
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolICMPv4, SrcIP: net.ParseIP(clientIP), DstIP: net.ParseIP(serverIP)}
	icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 1, Seq: 1}
	return ethernet(t, 0, layers.EthernetTypeIPv4, ip, icmp, gopacket.Payload(make([]byte, 56)))
}

func arpFrame(t testing.TB) []byte {
	arp := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: layers.ARPRequest, SourceHwAddress: []byte{2, 0, 0, 0, 0, 1}, SourceProtAddress: net.ParseIP(clientIP).To4(),
		DstHwAddress: []byte{0, 0, 0, 0, 0, 0}, DstProtAddress: net.ParseIP(serverIP).To4()}
	return ethernet(t, 0, layers.EthernetTypeARP, arp)
}

// ipv4Fragment is a TCP packet to a watched port, cut as the fragment at
// offset (in 8-byte units) with more-fragments set as told.
func ipv4Fragment(t testing.TB, dport uint16, offset uint16, more bool) []byte {
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: net.ParseIP(clientIP), DstIP: net.ParseIP(serverIP), FragOffset: offset}
	if more {
		ip.Flags = layers.IPv4MoreFragments
	}
	tcp := &layers.TCP{SrcPort: 40000, DstPort: layers.TCPPort(dport), Seq: 1, ACK: true, Window: 100}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	return ethernet(t, 0, layers.EthernetTypeIPv4, ip, tcp, gopacket.Payload(make([]byte, 200)))
}
