package defrag

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/inetsum"
)

// tcpFrame is a real IPv4 or IPv6 TCP packet with a 300-byte payload,
// as an Ethernet frame, and its IP packet.
func tcpFrame(t testing.TB, v6 bool) (frame, ip []byte) {
	t.Helper()
	client, server := netip.MustParseAddrPort("10.1.2.3:40000"), netip.MustParseAddrPort("10.9.8.7:443")
	if v6 {
		client, server = netip.MustParseAddrPort("[2001:db8::3]:40000"), netip.MustParseAddrPort("[2001:db8::7]:443")
	}
	ip, err := capgen.IPPacket(client, server, bytes.Repeat([]byte("0123456789"), 30))
	if err != nil {
		t.Fatal(err)
	}
	return append(make([]byte, 14), ip...), ip
}

// fragments are capgen.FragmentFrame's fragments as IP packets; with
// hopByHop, IPv6 ones get a hop-by-hop options header before their
// fragment header (where RFC 8200 puts it).
func fragments(frame []byte, size int, id uint32, withHopByHop bool) [][]byte {
	var out [][]byte
	for _, f := range capgen.FragmentFrame(frame, size, id) {
		ip := f[14:]
		if withHopByHop {
			hbh := []byte{ip[6], 0, 1, 4, 0, 0, 0, 0}
			ip = bytes.Join([][]byte{ip[:40], hbh, ip[40:]}, nil)
			ip[6] = hopByHop
			binary.BigEndian.PutUint16(ip[4:6], binary.BigEndian.Uint16(ip[4:6])+8)
		}
		out = append(out, ip)
	}
	return out
}

// TestReassemble: fragments in any order, with duplicates, give the
// packet back: IPv4 with its fragmentation cleared and its checksum
// right; IPv6 without the fragment header, its hop-by-hop header kept.
func TestReassemble(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	f4, p4 := tcpFrame(t, false)
	f6, p6 := tcpFrame(t, true)
	want6 := bytes.Join([][]byte{p6[:40], {p6[6], 0, 1, 4, 0, 0, 0, 0}, p6[40:]}, nil)
	want6[6] = hopByHop
	binary.BigEndian.PutUint16(want6[4:6], uint16(len(want6)-40))
	for _, c := range []struct {
		name  string
		frags [][]byte
		want  []byte
	}{
		{"ipv4", fragments(f4, 64, 7, false), p4},
		{"ipv6", fragments(f6, 96, 7, false), p6},
		{"ipv6 behind hop-by-hop options", fragments(f6, 96, 7, true), want6},
	} {
		for round := range 5 {
			frags := append([][]byte(nil), c.frags...)
			r.Shuffle(len(frags), func(i, j int) { frags[i], frags[j] = frags[j], frags[i] })
			frags = append(frags[:2:2], append([][]byte{frags[0]}, frags[2:]...)...) // a duplicate
			tb := New(Config{})
			var got []byte
			for i, f := range frags {
				whole, ok := tb.Add(f, int64(i))
				if ok != (i == len(frags)-1) {
					t.Fatalf("%s round %d: fragment %d of %d: complete %v", c.name, round, i+1, len(frags), ok)
				}
				got = whole
			}
			if got[0]>>4 == 4 {
				if binary.BigEndian.Uint16(got[6:8]) != 0 || inetsum.Checksum(got[:20]) != 0 {
					t.Errorf("ipv4: flags and offset %#x, header checksum does not verify", binary.BigEndian.Uint16(got[6:8]))
				}
				got = bytes.Clone(got)
				copy(got[4:8], c.want[4:8]) // the id the fragments were given, the flags
				copy(got[10:12], c.want[10:12])
			}
			if !bytes.Equal(got, c.want) {
				t.Errorf("%s round %d: reassembled %d bytes differ from the packet's %d", c.name, round, len(got), len(c.want))
			}
			if s := tb.Stats(); s.Reassembled != 1 || tb.Len() != 0 || s.Fragments != uint64(len(frags)) {
				t.Errorf("%s: stats %+v, %d left", c.name, s, tb.Len())
			}
		}
	}
}

// TestReassembleRefuses: overlapping fragments discard their datagram, a
// datagram waits no longer than the timeout, the oldest gives way when
// the table is full, and packets that are not fragments are not taken.
func TestReassembleRefuses(t *testing.T) {
	f4, p4 := tcpFrame(t, false)
	frags := fragments(f4, 64, 9, false)

	tb := New(Config{})
	bent := bytes.Clone(frags[1])
	bent[len(bent)-1] ^= 0xff
	tb.Add(frags[1], 0)
	if _, ok := tb.Add(bent, 1); ok || tb.Stats().Overlaps != 1 || tb.Len() != 0 {
		t.Errorf("an overlap that differs: stats %+v, %d left", tb.Stats(), tb.Len())
	}
	for _, f := range frags {
		if _, ok := tb.Add(f, 2); ok != (f[6]&0x20 == 0) { // whole again from scratch
			t.Fatalf("after the discard: a fragment completes %v", ok)
		}
	}

	tb = New(Config{Timeout: time.Second})
	for i, f := range frags {
		if _, ok := tb.Add(f, int64(i)*int64(600*time.Millisecond)); ok {
			t.Fatal("completed across the timeout")
		}
	}
	if tb.Stats().TimedOut == 0 {
		t.Errorf("no datagram timed out: %+v", tb.Stats())
	}

	tb = New(Config{MaxDatagrams: 2})
	for id := range uint16(3) {
		tb.Add(fragments(f4, 64, uint32(id), false)[0], 0)
	}
	if s := tb.Stats(); s.Evicted != 1 || tb.Len() != 2 {
		t.Errorf("full table: %+v, %d held", s, tb.Len())
	}

	// The ping of death: seven fragments of 8,192 bytes, then a last one
	// that ends past offset 65535, or that makes a datagram whose length,
	// its 20-byte header counted, IPv4's length field cannot say.
	for _, c := range []struct {
		name string
		last int
	}{{"past offset 65535", 8200}, {"past 65535 bytes whole", 8176}} {
		tb = New(Config{MaxBytes: 1 << 20})
		var ok bool
		for i := range 8 {
			n, fo := 8192, uint16(i*8192/8)|0x2000
			if i == 7 {
				n, fo = c.last, uint16(i*8192/8)
			}
			h := bytes.Clone(frags[0][:20])
			binary.BigEndian.PutUint16(h[2:4], uint16(20+n))
			binary.BigEndian.PutUint16(h[6:8], fo)
			_, ok = tb.Add(append(h, make([]byte, n)...), 0)
		}
		if ok || tb.Stats().Invalid != 1 || tb.Len() != 0 {
			t.Errorf("%s: taken %v, stats %+v, %d held", c.name, ok, tb.Stats(), tb.Len())
		}
	}

	tb = New(Config{})
	odd := fragments(f4, 64, 3, false)[0] // a fragment not the last whose payload is no multiple of 8
	odd = odd[:len(odd)-4]
	binary.BigEndian.PutUint16(odd[2:4], uint16(len(odd)))
	for name, pkt := range map[string][]byte{"whole packet": p4, "empty": nil, "cut": p4[:30], "odd length": odd} {
		if _, ok := tb.Add(pkt, 0); ok {
			t.Errorf("%s: taken", name)
		}
	}
	if s := tb.Stats(); s.Invalid != 4 || tb.Len() != 0 {
		t.Errorf("stats %+v, %d held", s, tb.Len())
	}
}

// FuzzAdd feeds fragments made of the input: a packet Add returns holds
// together (its IP length is its length) and the table keeps its bounds.
func FuzzAdd(f *testing.F) {
	f4, _ := tcpFrame(f, false)
	f6, _ := tcpFrame(f, true)
	f.Add(bytes.Join(fragments(f4, 64, 1, false), []byte("|")))
	f.Add(bytes.Join(fragments(f6, 96, 1, true), []byte("|")))
	f.Fuzz(func(t *testing.T, in []byte) {
		tb := New(Config{MaxDatagrams: 4, MaxBytes: 4096})
		for i, pkt := range bytes.Split(in, []byte("|")) {
			whole, ok := tb.Add(pkt, int64(i))
			if ok {
				var n int
				if whole[0]>>4 == 4 {
					n = int(binary.BigEndian.Uint16(whole[2:4]))
				} else {
					n = 40 + int(binary.BigEndian.Uint16(whole[4:6]))
				}
				if n != len(whole) {
					t.Fatalf("a %d-byte packet says %d", len(whole), n)
				}
				least := MinIPv4Fragment
				if whole[0]>>4 == 6 {
					least = MinIPv6Fragment
				}
				if tb.Tiny() < 0 || tb.Tiny() >= least {
					t.Fatalf("tiny %d for a datagram whose fragments must be under %d to be", tb.Tiny(), least)
				}
			}
			if tb.Len() > 4 || tb.bytes < 0 {
				t.Fatalf("%d datagrams, %d bytes", tb.Len(), tb.bytes)
			}
		}
	})
}
