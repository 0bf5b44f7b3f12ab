package capgen

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

func baseSpec() FlowSpec {
	return FlowSpec{
		Client:    netip.MustParseAddrPort("10.0.0.1:51000"),
		Server:    netip.MustParseAddrPort("10.0.0.2:443"),
		Handshake: true,
		Close:     CloseFIN,
	}
}

// checkFlow decodes pkts and checks everything a flow must satisfy, returning
// the decoded frames and the reference reassembler's output.
func checkFlow(t *testing.T, s FlowSpec, conv Conversation, pkts []Packet) ([]decoded, *refReassembler) {
	t.Helper()
	ds := decodeAll(t, s, pkts)
	ref := newRef(t, s, conv)
	step := s.Step
	if step == 0 {
		step = time.Millisecond
	}
	for i, d := range ds {
		if i > 0 && pkts[i].Time.Sub(pkts[i-1].Time) != step {
			t.Fatalf("packet %d: %v after the previous, want %v", i, pkts[i].Time.Sub(pkts[i-1].Time), step)
		}
		if d.syn && i > 1 || d.syn != (s.Handshake && i < 2) {
			t.Fatalf("packet %d: SYN=%v", i, d.syn)
		}
		ref.add(i, d)
	}
	if s.Handshake {
		mss := s.MSS
		if mss == 0 {
			mss = 1460
		}
		syn, synack, ack := ds[0], ds[1], ds[2]
		if !syn.fromClient || syn.ackf || syn.seq != s.ClientISN || syn.mss != mss ||
			synack.fromClient || !synack.ackf || synack.seq != s.ServerISN || synack.ack != s.ClientISN+1 ||
			!ack.fromClient || !ack.ackf || ack.syn || ack.seq != s.ClientISN+1 || ack.ack != s.ServerISN+1 {
			t.Fatalf("bad handshake: %+v %+v %+v", syn, synack, ack)
		}
	}
	cEnd := s.ClientISN + 1 + uint32(len(conv.ClientStream()))
	sEnd := s.ServerISN + 1 + uint32(len(conv.ServerStream()))
	n := len(ds)
	switch s.Close {
	case CloseFIN:
		f1, f2, a := ds[n-3], ds[n-2], ds[n-1]
		if !f1.fromClient || !f1.fin || f1.seq != cEnd || f1.ack != sEnd ||
			f2.fromClient || !f2.fin || f2.seq != sEnd || f2.ack != cEnd+1 ||
			!a.fromClient || a.fin || a.seq != cEnd+1 || a.ack != sEnd+1 {
			t.Fatalf("bad FIN close: %+v %+v %+v", f1, f2, a)
		}
	case CloseRST:
		if r := ds[n-1]; !r.fromClient || !r.rst || r.seq != cEnd {
			t.Fatalf("bad RST close: %+v", r)
		}
	case CloseNone:
		if l := ds[n-1]; l.fin || l.rst {
			t.Fatalf("flow closed: %+v", l)
		}
	}
	for i, d := range ds {
		if (d.fin || d.rst) && i < n-3 {
			t.Fatalf("packet %d: FIN/RST before the end", i)
		}
	}
	return ds, ref
}

func TestPacketsPlain(t *testing.T) {
	conv := HTTPExchange("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	for _, close := range []CloseKind{CloseFIN, CloseRST, CloseNone} {
		for _, hs := range []bool{true, false} {
			t.Run(fmt.Sprintf("close%d/handshake=%v", close, hs), func(t *testing.T) {
				s := baseSpec()
				s.Close, s.Handshake, s.ACKs = close, hs, true
				pkts, err := s.Packets(conv)
				if err != nil {
					t.Fatal(err)
				}
				ds, ref := checkFlow(t, s, conv, pkts)
				if !bytes.Equal(ref.out, conv.Prefix(1024)) {
					t.Fatalf("prefix\n got %q\nwant %q", ref.out, conv.Prefix(1024))
				}
				// handshake (3) + request + ACK + response + ACK + close
				want := map[CloseKind]int{CloseFIN: 3, CloseRST: 1, CloseNone: 0}[close] + 4
				if hs {
					want += 3
				}
				if len(ds) != want {
					t.Fatalf("%d packets, want %d", len(ds), want)
				}
			})
		}
	}
}

// TestPacketsImpairedPrefix is the package's contract: whatever the
// impairments, in-order delivery per direction reproduces the prefix and both
// streams, and sequence numbers cover each stream without holes.
func TestPacketsImpairedPrefix(t *testing.T) {
	for seed := range uint64(60) {
		r := rand.New(rand.NewPCG(seed, 99))
		conv := RandomConversation(seed, 2+r.IntN(12), 1+r.IntN(3000))
		s := baseSpec()
		if seed%2 == 1 {
			s.Client = netip.MustParseAddrPort("[2001:db8::1]:40000")
			s.Server = netip.MustParseAddrPort("[2001:db8::2]:8443")
		}
		if seed%3 == 0 {
			s.VLAN = 100 + uint16(seed)
		}
		s.Seed = seed
		s.MSS = 40 + r.IntN(1500)
		s.ClientISN = ^uint32(0) - uint32(r.IntN(3000)) // wraps inside the flow
		s.ServerISN = r.Uint32()
		s.Handshake = seed%4 != 0
		s.Close = CloseKind(seed % 3)
		s.ACKs = seed%5 != 0
		rnd := func() Impairments {
			return Impairments{Reorder: r.Float64(), Duplicate: r.Float64() / 2, Retransmit: r.Float64() / 2, Overlap: r.Float64() / 2}
		}
		s.ClientImpair, s.ServerImpair = rnd(), rnd()
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			pkts, err := s.Packets(conv)
			if err != nil {
				t.Fatal(err)
			}
			_, ref := checkFlow(t, s, conv, pkts)
			if want := conv.Prefix(1024); !bytes.Equal(ref.out[:min(len(ref.out), 1024)], want) {
				t.Fatalf("prefix differs (got %d bytes, want %d)", len(ref.out), len(want))
			}
			for k, name := range []string{"server", "client"} {
				if ref.next[k] != len(ref.want[k]) {
					t.Fatalf("%s stream: delivered %d of %d bytes", name, ref.next[k], len(ref.want[k]))
				}
			}
		})
	}
}

// TestImpairmentsHappen makes sure each impairment is really visible in the
// packets, so the prefix test above is not passing on clean flows.
func TestImpairmentsHappen(t *testing.T) {
	conv := Conversation{ClientWrite(bytes.Repeat([]byte("abcdefghij"), 100)), ServerWrite(bytes.Repeat([]byte("0123456789"), 100))}
	s := baseSpec()
	s.MSS = 100
	all := Impairments{Reorder: 1, Duplicate: 0.5, Retransmit: 0.3, Overlap: 0.5}
	s.ClientImpair, s.ServerImpair = all, all
	var dup, late, overlap int
	for seed := range uint64(10) {
		s.Seed = seed
		pkts, err := s.Packets(conv)
		if err != nil {
			t.Fatal(err)
		}
		ds, _ := checkFlow(t, s, conv, pkts)
		seen := map[string]bool{}
		var maxEnd [2]int
		for i, d := range ds {
			if len(d.payload) == 0 {
				continue
			}
			isDup := seen[string(pkts[i].Data)]
			seen[string(pkts[i].Data)] = true
			if isDup {
				dup++
			}
			k := dirIndex(d.fromClient)
			base := s.ServerISN + 1
			if d.fromClient {
				base = s.ClientISN + 1
			}
			off := int(d.seq - base)
			end := off + len(d.payload)
			if off < maxEnd[k] && end > maxEnd[k] {
				overlap++
			}
			if end <= maxEnd[k] && !isDup {
				late++ // reordered or retransmitted after later bytes
			}
			maxEnd[k] = max(maxEnd[k], end)
		}
	}
	if dup == 0 || late == 0 || overlap == 0 {
		t.Fatalf("impairments not visible: %d exact duplicates, %d late segments, %d partial overlaps", dup, late, overlap)
	}
}

func TestPacketsDeterministic(t *testing.T) {
	conv := RandomConversation(7, 10, 2000)
	s := baseSpec()
	s.MSS = 200
	s.ClientImpair = Impairments{Reorder: 0.5, Duplicate: 0.3, Retransmit: 0.3, Overlap: 0.3}
	s.ServerImpair = s.ClientImpair
	gen := func(seed uint64) []Packet {
		s.Seed = seed
		p, err := s.Packets(conv)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	same := func(a, b []Packet) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if !a[i].Time.Equal(b[i].Time) || !bytes.Equal(a[i].Data, b[i].Data) {
				return false
			}
		}
		return true
	}
	if !same(gen(1), gen(1)) {
		t.Fatal("same seed, different packets")
	}
	if same(gen(1), gen(2)) {
		t.Fatal("different seeds, identical packets")
	}
}

func TestPacketsGap(t *testing.T) {
	conv := RandomConversation(3, 6, 900)
	s := baseSpec()
	s.MSS = 100
	s.ClientImpair = Impairments{Gap: 2, Reorder: 1, Overlap: 1, Duplicate: 0.5}
	pkts, err := s.Packets(conv)
	if err != nil {
		t.Fatal(err)
	}
	gaps, err := s.Gaps(conv)
	if err != nil {
		t.Fatal(err)
	}
	first := conv[0].Data // the client writes first, so segment 2 is in this write
	if len(gaps) != 1 || !gaps[0].FromClient || gaps[0].Offset != 100 || gaps[0].Len != min(100, len(first)-100) {
		t.Fatalf("gaps = %+v (first write %d bytes)", gaps, len(first))
	}
	_, ref := checkFlow(t, s, conv, pkts)
	for off := gaps[0].Offset; off < gaps[0].Offset+gaps[0].Len; off++ {
		if ref.covered[1][off] {
			t.Fatalf("gap byte %d was captured", off)
		}
	}
	cp := conv.ContiguousPrefix(1024, gaps)
	if len(cp) != 100 {
		t.Fatalf("contiguous prefix has %d bytes, want 100", len(cp))
	}
	if !bytes.HasPrefix(ref.out, cp) || bytes.Equal(ref.out[:min(len(ref.out), 1024)], conv.Prefix(1024)) {
		t.Fatal("reassembly across the gap is not what the gap promises")
	}

	s.ServerImpair.Gap = 1000
	if _, err := s.Packets(conv); err == nil {
		t.Fatal("out-of-range gap accepted")
	}
}

func TestFlowSpecErrors(t *testing.T) {
	conv := HTTPExchange("a", "b")
	for name, mod := range map[string]func(*FlowSpec){
		"no addresses": func(s *FlowSpec) { s.Client = netip.AddrPort{} },
		"mixed family": func(s *FlowSpec) { s.Server = netip.MustParseAddrPort("[::1]:443") },
		"port 0":       func(s *FlowSpec) { s.Server = netip.MustParseAddrPort("10.0.0.2:0") },
		"vlan":         func(s *FlowSpec) { s.VLAN = 5000 },
		"mss":          func(s *FlowSpec) { s.MSS = -1 },
		"probability":  func(s *FlowSpec) { s.ServerImpair.Reorder = 1.5 },
		"gap":          func(s *FlowSpec) { s.ClientImpair.Gap = -1 },
		"step":         func(s *FlowSpec) { s.Step = -time.Second },
	} {
		s := baseSpec()
		mod(&s)
		if _, err := s.Packets(conv); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// IPv4-mapped IPv6 is IPv4.
	s := baseSpec()
	s.Server = netip.MustParseAddrPort("[::ffff:10.0.0.2]:443")
	if _, err := s.Packets(conv); err != nil {
		t.Fatal(err)
	}
}

// TestApplyBookkeeping checks what the packet tests cannot see: each exact
// copy points at an earlier original with the same range, and every segment
// but the gap is sent at least once.
func TestApplyBookkeeping(t *testing.T) {
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 1))
		n := 1 + r.IntN(12)
		segs := make([]segment, n)
		for i := range segs {
			segs[i] = segment{off: i * 10, data: bytes.Repeat([]byte{byte(i)}, 10)}
		}
		gap := r.IntN(n + 1) // 0: none
		if gap > 0 {
			segs[gap-1].gap = true
		}
		im := Impairments{Reorder: r.Float64(), Duplicate: r.Float64(), Retransmit: r.Float64(), Overlap: r.Float64()}
		txs := im.apply(r, segs)
		ends := map[int]bool{}
		for i, tx := range txs {
			if tx.copyOf >= 0 {
				o := txs[tx.copyOf]
				if tx.copyOf >= i || o.copyOf >= 0 || o.off != tx.off || !bytes.Equal(o.data, tx.data) {
					t.Fatalf("seed %d: copy %d points at %d (%+v vs %+v)", seed, i, tx.copyOf, tx, o)
				}
				continue
			}
			ends[tx.off+len(tx.data)] = true
		}
		for i, s := range segs {
			if ends[s.off+len(s.data)] == s.gap {
				t.Fatalf("seed %d: segment %d (gap %v) sent %v", seed, i, s.gap, ends[s.off+len(s.data)])
			}
		}
	}
}

// TestDecoy: a decoy goes out once, at the sequence numbers it claims
// (or Back before them), right before or right after the real segment
// that starts there.
func TestDecoy(t *testing.T) {
	conv := Conversation{ClientWrite([]byte("hello world")), ServerWrite([]byte("hi"))}
	for _, tc := range []struct {
		name  string
		mss   int
		decoy Decoy
		want  string
	}{
		{"before", 6, Decoy{Data: []byte("WORLD"), Offset: 6}, "0:hello  6:WORLD 6:world"},
		{"after", 6, Decoy{Data: []byte("WORLD"), Offset: 6, After: true}, "0:hello  6:world 6:WORLD"},
		{"10000 back (zapret's badseq)", 0, Decoy{Data: []byte("HELLO"), Back: 10000}, "-10000:HELLO 0:hello world"},
	} {
		s := baseSpec()
		if tc.mss > 0 {
			s.MSS = tc.mss // "hello " and "world"
		}
		s.ClientImpair.Decoy = tc.decoy
		pkts, err := s.Packets(conv)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range decodeAll(t, s, pkts) {
			if d.fromClient && len(d.payload) > 0 {
				got = append(got, fmt.Sprintf("%d:%s", int32(d.seq-s.ClientISN-1), d.payload))
			}
		}
		if g := fmt.Sprint(got); g != "["+tc.want+"]" {
			t.Errorf("%s: client segments %s, want [%s]", tc.name, g, tc.want)
		}
	}
}
