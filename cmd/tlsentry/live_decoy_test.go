//go:build linux

package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/sys/unix"

	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/netnstest"
	"github.com/tlsentry/tlsentry/internal/testkit"
)

// TestDecoyHelloLiveInNetns: the desynchronisation tricks of DPI-evasion
// tools: on a connected socket, a decoy ClientHello naming another server
// is sent first, then the real TLS handshake runs (it could not complete
// had the server taken the decoy). Two decoys, one connection each:
//   - at the sequence numbers of the real hello with a bad TCP checksum
//     (zapret's "fake" with "badsum", GoodbyeDPI's --wrong-chksum), which
//     the server's kernel drops while a monitor may keep it: the live
//     daemon alerts 8100014, saying which bytes the two versions disagree
//     on;
//   - with a good checksum at sequence numbers 10,000 in the past
//     (zapret's "badseq", GoodbyeDPI's --wrong-seq), outside any receive
//     window: the daemon alerts 8100014 for data before the stream's start
//     and keeps the real hello (its server name is the flow's);
//   - at the real hello's sequence numbers with a TCP MD5 signature option
//     (zapret's "md5sig", its default for TLS), which the server's kernel
//     drops, having no key for the connection: 8100014 for the signature,
//     and the real hello is the flow's.
func TestDecoyHelloLiveInNetns(t *testing.T) {
	p := netnstest.NewVethPair(t)
	cert, err := capgen.SelfSignedCert(capgen.CertOptions{Key: capgen.ECDSAP256, CommonName: "www.tlsentry.test", DNSNames: []string{"www.tlsentry.test"}, Seed: 14})
	if err != nil {
		t.Fatal(err)
	}
	server := testkit.ServeTLS(t, p.B, netip.AddrPortFrom(p.B.Addr4, 443), &tls.Config{Certificates: []tls.Certificate{cert}}, nil)
	alertPath := startDefaultOn443(t, p)
	// The decoy: a Go client's hello to another name, one packet (no
	// post-quantum key share).
	other, err := capgen.TLSConversation(context.Background(), &tls.Config{InsecureSkipVerify: true, ServerName: "www.example.org", CurvePreferences: []tls.CurveID{tls.X25519}},
		&tls.Config{Certificates: []tls.Certificate{cert}}, capgen.TLSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	decoy := other[0].Data
	for _, tc := range []struct {
		name           string
		back           uint32 // sequence numbers before the real hello
		badSum, signed bool
		finding        string
	}{
		{"badsum", 0, true, false, "twice, different"},
		{"badseq", 10000, false, false, "before its first byte"},
		{"md5sig", 0, false, true, "TCP MD5 signature"},
	} {
		var local netip.AddrPort
		err = p.A.NS.Do(func() error {
			c, err := net.DialTimeout("tcp", server.String(), 5*time.Second)
			if err != nil {
				return err
			}
			defer c.Close()
			local = c.LocalAddr().(*net.TCPAddr).AddrPort()
			seq, ack, err := nextSeqs(c.(*net.TCPConn))
			if err != nil {
				return fmt.Errorf("reading the socket's sequence numbers: %w", err)
			}
			if err := sendRaw(local, server, seq-tc.back, ack, decoy, tc.badSum, tc.signed); err != nil {
				return fmt.Errorf("sending the decoy: %w", err)
			}
			tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, ServerName: "www.tlsentry.test"})
			tc.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := tc.Write([]byte("hello")); err != nil {
				return fmt.Errorf("the real handshake after the decoy: %w", err)
			}
			_, err = io.ReadFull(tc, make([]byte, 5))
			return err
		})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		a := firstAlertFrom(t, alertPath, local.Port(), "after a "+tc.name+" decoy hello")
		t.Logf("%s: alert %d, %q", tc.name, a.Alert.SignatureID, a.Verdict().Finding)
		if a.Alert.SignatureID != 8100014 || !strings.Contains(a.Verdict().Finding, tc.finding) {
			t.Errorf("%s: alert %d (want 8100014), finding %q (want %q in it)", tc.name, a.Alert.SignatureID, a.Verdict().Finding, tc.finding)
		}
		if !tc.badSum && (a.TLS == nil || a.TLS.SNI != "www.tlsentry.test") {
			t.Errorf("%s: the flow's hello is not the real one: %+v", tc.name, a.TLS)
		}
	}
}

// Linux's TCP repair queues (linux/tcp.h), which x/sys/unix does not name.
const (
	tcpRecvQueue = 1
	tcpSendQueue = 2
)

// nextSeqs reads a connected socket's next sequence number to send and
// the next it expects (its acknowledgement number) through TCP repair
// mode, in and out again (CAP_NET_ADMIN).
func nextSeqs(c *net.TCPConn) (seq, ack uint32, err error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, 0, err
	}
	cerr := rc.Control(func(fd uintptr) {
		s := int(fd)
		if err = unix.SetsockoptInt(s, unix.IPPROTO_TCP, unix.TCP_REPAIR, 1); err != nil {
			return
		}
		defer unix.SetsockoptInt(s, unix.IPPROTO_TCP, unix.TCP_REPAIR, 0)
		for _, q := range []struct {
			queue int
			to    *uint32
		}{{tcpSendQueue, &seq}, {tcpRecvQueue, &ack}} {
			if err = unix.SetsockoptInt(s, unix.IPPROTO_TCP, unix.TCP_REPAIR_QUEUE, q.queue); err != nil {
				return
			}
			var v int
			if v, err = unix.GetsockoptInt(s, unix.IPPROTO_TCP, unix.TCP_QUEUE_SEQ); err != nil {
				return
			}
			*q.to = uint32(v)
		}
	})
	if cerr != nil {
		return 0, 0, cerr
	}
	return seq, ack, err
}

// sendRaw sends one TCP segment from src to dst carrying payload at seq
// through a raw IPv4 socket, its checksum wrong when badSum, with a TCP
// MD5 signature option (a digest of zeros) when signed.
func sendRaw(src, dst netip.AddrPort, seq, ack uint32, payload []byte, badSum, signed bool) error {
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(src.Port()), DstPort: layers.TCPPort(dst.Port()), Seq: seq, Ack: ack, ACK: true, PSH: true, Window: 502}
	if signed {
		tcp.Options = []layers.TCPOption{{OptionType: 19, OptionLength: 18, OptionData: make([]byte, 16)}, {OptionType: layers.TCPOptionKindNop}, {OptionType: layers.TCPOptionKindNop}}
	}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		return err
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ip, tcp, gopacket.Payload(payload)); err != nil {
		return err
	}
	pkt := buf.Bytes()
	if badSum {
		pkt[20+16] ^= 0x5a // the TCP checksum's first byte (no IP options)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_RAW)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return unix.Sendto(fd, pkt, 0, &unix.SockaddrInet4{Addr: dst.Addr().As4()})
}
