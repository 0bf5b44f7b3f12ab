//go:build linux

package main

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/sys/unix"

	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/netnstest"
	"github.com/tlsentry/tlsentry/internal/testkit"
)

// TestIPv6FragmentedHelloLiveInNetns: the oldest way past a sensor, over
// IPv6. Six TCP connections to a real Go TLS server; on each, the
// ClientHello is sent in IPv6 fragments of 64 bytes through a raw socket
// (Linux's TCP never fragments), and the server's kernel reassembles it
// and the server answers it. The live daemon, four capture workers on the
// client's side of the link (the client's packets are ones the host
// sends, the server's ones it receives), logs each connection's tls
// record with the hello's server name: the eBPF filter passes the
// fragments, the fanout program sends them to the worker of their
// connection, which reassembles them. Fragments of 64 bytes are smaller
// than any link needs: each connection alerts 8100015.
func TestIPv6FragmentedHelloLiveInNetns(t *testing.T) {
	const conns = 6
	p := netnstest.NewVethPair(t)
	cert, err := capgen.SelfSignedCert(capgen.CertOptions{Key: capgen.ECDSAP256, CommonName: "frag.tlsentry.test", DNSNames: []string{"frag.tlsentry.test"}, Seed: 15})
	if err != nil {
		t.Fatal(err)
	}
	serverCfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	server := testkit.ServeTLS(t, p.B, netip.AddrPortFrom(p.B.Addr6, 443), serverCfg, nil)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, map[string]string{
		"capture":  "  interfaces: [veth-a]\n  ports: [443]\n  workers: 4\n  ring_size_mb: 4\n  block_size_kb: 32\n",
		"detector": "  batch_timeout: 10ms\n",
		"output":   "  alert_log: alerts.json\n  tls_log: tls.json\n  log: tlsentry.log\n",
	})
	startNotifiedDaemon(t, p.A.NS, dir, cfg, filepath.Join(dir, "tlsentry.log"))

	// The hello: a Go client's to frag.tlsentry.test, one record.
	conv, err := capgen.TLSConversation(context.Background(), &tls.Config{InsecureSkipVerify: true, ServerName: "frag.tlsentry.test", CurvePreferences: []tls.CurveID{tls.X25519}},
		serverCfg, capgen.TLSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hello := conv[0].Data
	ports := map[uint16]bool{}
	for i := range conns {
		err := p.A.NS.Do(func() error {
			c, err := net.DialTimeout("tcp", server.String(), 5*time.Second)
			if err != nil {
				return err
			}
			defer c.Close()
			tc := c.(*net.TCPConn)
			local := tc.LocalAddr().(*net.TCPAddr).AddrPort()
			seq, ack, err := nextSeqs(tc)
			if err != nil {
				return fmt.Errorf("reading the socket's sequence numbers: %w", err)
			}
			// The socket takes the hello as sent (so that it accepts the
			// server's acknowledgement and answer), the wire gets fragments.
			if err := queueAsSent(tc, hello); err != nil {
				return fmt.Errorf("queueing the hello as sent: %w", err)
			}
			if err := sendFragments6(local, server, seq, ack, hello, 64); err != nil {
				return fmt.Errorf("sending the hello in fragments: %w", err)
			}
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			answer := make([]byte, 5)
			if _, err := c.Read(answer); err != nil {
				return fmt.Errorf("the server did not answer the fragmented hello: %w", err)
			}
			if answer[0] != 0x16 {
				return fmt.Errorf("the server answered % x, not a handshake record", answer)
			}
			ports[local.Port()] = true
			return nil
		})
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
	}

	seen, alerted := map[uint16]string{}, map[uint16]bool{}
	deadline := time.Now().Add(30 * time.Second)
	for (len(seen) < conns || len(alerted) < conns) && time.Now().Before(deadline) {
		for _, l := range testkit.ReadEve(t, filepath.Join(dir, "tls.json")) {
			if l.EventType == "tls" && ports[l.SrcPort] && l.TLS != nil {
				seen[l.SrcPort] = l.TLS.SNI
			}
		}
		for _, l := range testkit.ReadEve(t, filepath.Join(dir, "alerts.json")) {
			if l.EventType == "alert" && ports[l.SrcPort] && l.Alert != nil && l.Alert.SignatureID == 8100015 {
				alerted[l.SrcPort] = true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	for port := range ports {
		sni, ok := seen[port]
		switch {
		case !ok:
			t.Errorf("client port %d: no tls record within 30 s", port)
		case sni != "frag.tlsentry.test":
			t.Errorf("client port %d: server name %q, want the fragmented hello's", port, sni)
		}
		if !alerted[port] {
			t.Errorf("client port %d: no alert 8100015 within 30 s for its hello in tiny fragments", port)
		}
	}
}

// queueAsSent puts data in a connected socket's send queue as already
// sent, through TCP repair mode (CAP_NET_ADMIN): the kernel advances its
// next sequence number without transmitting, and retransmits only if no
// acknowledgement comes before its retransmission timeout.
func queueAsSent(c *net.TCPConn, data []byte) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	cerr := rc.Control(func(fd uintptr) {
		s := int(fd)
		if err = unix.SetsockoptInt(s, unix.IPPROTO_TCP, unix.TCP_REPAIR, 1); err != nil {
			return
		}
		defer unix.SetsockoptInt(s, unix.IPPROTO_TCP, unix.TCP_REPAIR, 0)
		if err = unix.SetsockoptInt(s, unix.IPPROTO_TCP, unix.TCP_REPAIR_QUEUE, tcpSendQueue); err != nil {
			return
		}
		var n int
		if n, err = unix.Write(s, data); err == nil && n != len(data) {
			err = fmt.Errorf("queued %d of %d bytes", n, len(data))
		}
	})
	if cerr != nil {
		return cerr
	}
	return err
}

// sendFragments6 sends one TCP segment from src to dst carrying payload
// at seq, as IPv6 fragments of at most size bytes (a multiple of 8)
// through a raw socket.
func sendFragments6(src, dst netip.AddrPort, seq, ack uint32, payload []byte, size int) error {
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(src.Port()), DstPort: layers.TCPPort(dst.Port()), Seq: seq, Ack: ack, ACK: true, PSH: true, Window: 502}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		return err
	}
	buf := gopacket.NewSerializeBuffer()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv6}
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp, gopacket.Payload(payload)); err != nil {
		return err
	}
	frags := capgen.FragmentFrame(buf.Bytes(), size, binary.BigEndian.Uint32(src.Addr().AsSlice()[12:])^seq)
	if len(frags) < 2 {
		return fmt.Errorf("a %d-byte payload was not cut", len(payload))
	}
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_RAW, unix.IPPROTO_RAW) // IPv6 header included
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	to := &unix.SockaddrInet6{Addr: dst.Addr().As16()}
	for _, f := range frags {
		if err := unix.Sendto(fd, f[14:], 0, to); err != nil {
			return err
		}
	}
	return nil
}
