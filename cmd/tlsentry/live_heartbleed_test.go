//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/netnstest"
	"github.com/tlsentry/tlsentry/internal/sharedpcaps"
	"github.com/tlsentry/tlsentry/internal/testkit"
	"github.com/tlsentry/tlsentry/sensor/capture"
	"github.com/tlsentry/tlsentry/sensor/decode"
)

// turn is one side's consecutive bytes of a TCP conversation.
type turn struct {
	fromClient bool
	data       []byte
}

// conversation reads the turns of a capture's one TCP connection to
// port: each side's in-order payload, retransmissions dropped.
func conversation(t *testing.T, path string, port uint16) []turn {
	t.Helper()
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var (
		d     = decode.NewDecoder()
		turns []turn
		next  = map[bool]uint32{}
	)
	for {
		fr, err := src.Next()
		if errors.Is(err, io.EOF) {
			return turns
		}
		if err != nil {
			t.Fatal(err)
		}
		var s flow.Segment
		if d.Decode(fr.LinkType, fr.Data, &s) != decode.SkipNone || s.Transport != flow.TransportTCP {
			continue
		}
		client := s.Dst.Port == port
		if s.Flags&flow.FlagSYN != 0 {
			next[client] = s.Seq + 1
			continue
		}
		if len(s.Payload) == 0 || s.Seq != next[client] {
			continue // no data, or a retransmission
		}
		next[client] += uint32(len(s.Payload))
		if k := len(turns) - 1; k >= 0 && turns[k].fromClient == client {
			turns[k].data = append(turns[k].data, s.Payload...)
		} else {
			turns = append(turns, turn{client, slices.Clone(s.Payload)})
		}
	}
}

// play is one side of a replayed conversation over c: it sends its own
// turns and reads the other side's, in order, then closes.
func play(c net.Conn, turns []turn, client bool) error {
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	for i, tr := range turns {
		if tr.fromClient == client {
			if _, err := c.Write(tr.data); err != nil {
				return fmt.Errorf("turn %d: %w", i, err)
			}
			continue
		}
		got := make([]byte, len(tr.data))
		if _, err := io.ReadFull(c, got); err != nil {
			return fmt.Errorf("turn %d: %w", i, err)
		}
		if !bytes.Equal(got, tr.data) {
			return fmt.Errorf("turn %d: other bytes than the capture's", i)
		}
	}
	return nil
}

// TestHeartbleedLiveInNetns: the bytes of a real encrypted Heartbleed
// exploit (Zeek's heartbleed-encrypted-success trace: a TLS 1.2 handshake,
// a 32-byte encrypted heartbeat request, 16 KiB answers) replayed over a
// real TCP connection between two namespaces, watched by the live daemon
// through its eBPF filter: the request and the first answer lie within
// the bytes the filter passes, the heartbeat watch follows the
// connection past its handshake, and the daemon alerts with the
// Heartbleed signature.
func TestHeartbleedLiveInNetns(t *testing.T) {
	trace := filepath.Join(sharedpcaps.PcapDir(t), "zeek", "heartbleed-encrypted-success.pcap")
	turns := conversation(t, trace, 443)
	if len(turns) < 6 {
		t.Fatalf("%d turns read from %s", len(turns), trace)
	}
	p := netnstest.NewVethPair(t)
	served := make(chan error, 1)
	server := testkit.ServeTCP(t, p.B, netip.AddrPortFrom(p.B.Addr4, 443), func(c net.Conn) { served <- play(c, turns, false) })
	alertPath := startDefaultOn443(t, p)

	c := dialFrom(t, p.A, server)
	port := c.LocalAddr().(*net.TCPAddr).AddrPort().Port()
	if err := play(c, turns, true); err != nil {
		t.Fatalf("client: %v", err)
	}
	if err := <-served; err != nil {
		t.Fatalf("server: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range testkit.ReadEve(t, alertPath) {
			if l.EventType != "alert" || l.SrcPort != port || l.Alert == nil || l.Alert.SignatureID != 8100050 {
				continue
			}
			v := l.Verdict()
			t.Logf("alert %d (%s), %s: %.1f bits of %.1f; %q", l.Alert.SignatureID, l.Alert.Signature, l.Flow.Reason, v.Score, v.Threshold, v.Reasons)
			if l.Alert.Severity != 1 || len(v.Reasons) == 0 {
				t.Errorf("severity %d, reasons %q", l.Alert.Severity, v.Reasons)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no Heartbleed alert in 30 s; alerts: %d lines", len(testkit.ReadEve(t, alertPath)))
}
