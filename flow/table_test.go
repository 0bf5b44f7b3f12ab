package flow

import (
	"encoding/binary"
	"testing"
	"time"
)

// TestTableStaysBounded opens ten times more connections than the table
// holds: it never tracks more than MaxFlows, every connection is handed
// out exactly once, and evictions are counted by kind.
func TestTableStaysBounded(t *testing.T) {
	const maxFlows = 1000
	emitted := 0
	tab, err := NewTable(Config{MaxFlows: maxFlows}, func(f *Flow) { emitted++ })
	if err != nil {
		t.Fatal(err)
	}
	open := 0
	for i := range 10 * maxFlows {
		s := seg(true, i, 1000, syn, "")
		s.Src.Port = uint16(1024 + i%60000)
		s.Src.Addr[13] = byte(i >> 16)
		tab.Process(&s)
		d := seg(true, i, 1001, ack, "payload that never completes a prefix")
		d.Src = s.Src
		tab.Process(&d)
		open++
		if tab.Len() > maxFlows {
			t.Fatalf("after %d connections the table holds %d > %d", open, tab.Len(), maxFlows)
		}
	}
	st := tab.Stats()
	if st.EvictedActive != 9*maxFlows {
		t.Errorf("evicted active %d, want %d", st.EvictedActive, 9*maxFlows)
	}
	tab.Flush()
	if emitted != open || tab.Len() != 0 {
		t.Errorf("emitted %d of %d connections; %d left", emitted, open, tab.Len())
	}
}

// TestHandedOutFlowsLeaveTheTable: a connection handed out takes no
// room in the table, and its later packets are counted, not reborn.
func TestHandedOutFlowsLeaveTheTable(t *testing.T) {
	var out []*Flow
	tab, _ := NewTable(Config{MaxFlows: 2}, func(f *Flow) { out = append(out, f) })
	a := seg(true, 0, 1000, syn, "")
	tab.Process(&a)
	r := seg(true, 1, 1001, rst, "")
	tab.Process(&r) // closed: handed out, remembered
	if tab.Len() != 0 || len(out) != 1 {
		t.Fatalf("after RST: %d in the table, %d flows out", tab.Len(), len(out))
	}
	late := seg(false, 2, 5001, ack, "late bytes")
	tab.Process(&late)
	for port := uint16(2); port <= 3; port++ {
		b := seg(true, int(port), 1, syn, "")
		b.Src.Port = port
		tab.Process(&b)
	}
	st := tab.Stats()
	if st.EvictedFinished != 0 || st.EvictedActive != 0 || st.LateSegments != 1 || len(out) != 1 {
		t.Fatalf("evicted finished %d active %d, late %d, %d flows out; want no eviction, 1 late segment, 1 flow",
			st.EvictedFinished, st.EvictedActive, st.LateSegments, len(out))
	}
}

// TestEvictedFlowNotReborn: a connection cut short by a full table gives
// one record; the rest of it is counted, not a second, mid-stream flow.
func TestEvictedFlowNotReborn(t *testing.T) {
	var out []*Flow
	tab, _ := NewTable(Config{MaxFlows: 1}, func(f *Flow) { out = append(out, f) })
	for _, s := range []Segment{seg(true, 0, 1000, syn, ""), seg(false, 1, 5000, synack, ""), seg(true, 2, 1001, ack, "hello")} {
		tab.Process(&s)
	}
	other := seg(true, 3, 1, syn, "")
	other.Src.Port = 2
	tab.Process(&other) // evicts the first
	more := seg(true, 4, 1006, ack, " world")
	tab.Process(&more)
	tab.Flush()
	if len(out) != 2 || out[0].EndReason != EndEvicted || string(out[0].Prefix) != "hello" {
		t.Fatalf("%d flows; want the evicted one (prefix hello) and the other", len(out))
	}
	if st := tab.Stats(); st.LateSegments != 1 || st.EvictedActive != 1 {
		t.Errorf("late %d evicted %d, want 1 and 1", st.LateSegments, st.EvictedActive)
	}
}

// TestRememberedGivesUpLeastRecentlySeen: when the memory of handed-out
// connections is full, the one least recently seen is given up (counted),
// and a flow that opens mid-stream on its key says so.
func TestRememberedGivesUpLeastRecentlySeen(t *testing.T) {
	for _, tc := range []struct {
		name      string
		touch     bool // a late packet on the first connection before the third comes
		givenUp   uint16
		remaining uint16
	}{
		{"oldest", false, 40001, 40002},
		{"second chance", true, 40002, 40001},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out []*Flow
			tab, _ := NewTable(Config{MaxFlows: 1, MaxRemembered: 2}, func(f *Flow) { out = append(out, f) })
			closeConn := func(port uint16, at int) {
				for _, s := range []Segment{seg(true, at, 1000, syn, ""), seg(true, at+1, 1001, rst, "")} {
					s.Src.Port = port
					tab.Process(&s)
				}
			}
			data := func(port uint16, at int) {
				s := seg(false, at, 5001, ack, "data")
				s.Dst.Port = port
				tab.Process(&s)
			}
			closeConn(40001, 0)
			closeConn(40002, 10)
			if tc.touch {
				data(40001, 15)
			}
			closeConn(40003, 20)
			if st := tab.Stats(); st.EvictedFinished != 1 {
				t.Fatalf("given up %d, want 1", st.EvictedFinished)
			}
			n := len(out)
			data(tc.remaining, 30) // still remembered: counted
			data(40003, 31)
			if len(out) != n || tab.Len() != 0 {
				t.Fatalf("a remembered connection opened a flow")
			}
			data(tc.givenUp, 40)
			tab.Flush()
			last := out[len(out)-1]
			if len(out) != n+1 || !last.Midstream || !last.PickupAfterEviction || last.Client.Port != tc.givenUp {
				t.Fatalf("after the given-up connection's data: %d flows, last %+v", len(out)-n, last)
			}
			for _, f := range out[:n] {
				if f.PickupAfterEviction {
					t.Errorf("flow %d marked picked up", f.Client.Port)
				}
			}
		})
	}
}

// TestRememberedTimesOut: a remembered connection is forgotten after the
// closed timeout (FIN or RST) or the idle timeout (handed out open): its
// later packets then open a new flow, not marked as a pickup.
func TestRememberedTimesOut(t *testing.T) {
	var out []*Flow
	cfg := Config{ClosedTimeout: time.Second, IdleTimeout: 5 * time.Second}
	tab, _ := NewTable(cfg, func(f *Flow) { out = append(out, f) })
	for _, s := range []Segment{seg(true, 0, 1000, syn, ""), seg(true, 1, 1001, rst, "")} {
		tab.Process(&s)
	}
	late := seg(false, 900, 5001, ack, "x")
	tab.Process(&late) // within the closed timeout: counted
	if len(out) != 1 || tab.Len() != 0 {
		t.Fatalf("%d flows, %d tracked", len(out), tab.Len())
	}
	tick := seg(true, 3000, 1, syn, "")
	tick.Src.Port = 9
	tab.Process(&tick) // a sweep after the timeout
	again := seg(false, 3100, 5002, ack, "y")
	tab.Process(&again)
	tab.Flush()
	if len(out) != 3 || out[2].PickupAfterEviction || !out[2].Midstream {
		t.Fatalf("%d flows; want the late packet after the timeout to open a plain mid-stream flow", len(out))
	}
}

func TestConfigValidation(t *testing.T) {
	for _, c := range []Config{{MaxFlows: -1}, {IdleTimeout: -time.Second}, {HandshakeLimit: 10}, {MaxPending: 10}, {MaxRemembered: -1}, {MaxRemembered: MaxMaxRemembered + 1}, {MemoryBudgetMB: -1}} {
		if _, err := NewTable(c, func(*Flow) {}); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if _, err := NewTable(Config{}, nil); err == nil {
		t.Error("nil emit accepted")
	}
}

// FuzzTable feeds arbitrary segment sequences (few endpoints, so they
// collide; a tiny table, so it evicts) and checks the invariants. A
// record whose flags byte has 0x40 set is a UDP datagram, whose length
// byte counts in eights (a QUIC Initial is at least 1200 bytes).
func FuzzTable(f *testing.F) {
	f.Add([]byte("\x02\x00\x00\x00\x00\x00\x12\x10\x01\x00\x00\x00\x01hello\x10\x01\x00\x00\x10\x00world"))
	f.Add([]byte("\x10\x00\x00\x00\x05\x00\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00\x10\x01\x00\x00\x00\x00\x16\x03\x03\x00\x04\x02\x00\x00\x00"))
	// The RFC 9001 client and server Initials, then a TCP connection on
	// the same ports.
	vec := rfcPackets(f, "rfc9001")
	quicSeed := append([]byte{0x40, 0, 0, 0, byte(len(vec["client_packet"]) / 8)}, vec["client_packet"]...)
	server := vec["server_packet"]
	server = append(server, make([]byte, 8-len(server)%8)...)
	quicSeed = append(quicSeed, 0x40, 0x24, 0, 0, byte(len(server)/8))
	quicSeed = append(append(quicSeed, server...), "\x02\x00\x00\x00\x00"...)
	f.Add(quicSeed)
	// The same Initials, the server's first (directions merged out of
	// order: the roles turn).
	turned := append([]byte{0x40, 0x24, 0, 0, byte(len(server) / 8)}, server...)
	turned = append(turned, 0x40, 0, 0, 0, byte(len(vec["client_packet"])/8))
	f.Add(append(turned, vec["client_packet"]...))
	// A client's SYN, then its server's answer acknowledging client bytes
	// not seen yet (held back), then the client's bytes (ackorder.go).
	f.Add([]byte("\x02\x00\x00\x00\x00" + "\x38\x14\x01\x00\x06\x00\x01answer" + "\x38\x10\x00\x01\x04\x01\x00ask!"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const maxFlows = 4
		// A memory budget of 3000 bytes (below what a configuration
		// allows) makes the budget give data up and hand flows out early.
		const budget = 3000
		tab, err := newTable(Config{MaxFlows: maxFlows, MaxRemembered: 3, HandshakeLimit: 600, MaxPending: 2000, ScanLimit: 300, IdleTimeout: time.Second}, func(fl *Flow) {
			if len(fl.Prefix) > PrefixSize || len(fl.ClientHandshake) > 600 || len(fl.ServerHandshake) > 600 {
				t.Fatalf("flow over its bounds: prefix %d handshakes %d/%d", len(fl.Prefix), len(fl.ClientHandshake), len(fl.ServerHandshake))
			}
			if fl.ClientIntact < 0 || fl.ClientIntact > len(fl.Prefix) || fl.ServerIntact < 0 || fl.ServerIntact > len(fl.Prefix) ||
				!fl.ClientHoled && fl.ClientIntact != 0 || !fl.ServerHoled && fl.ServerIntact != 0 {
				t.Fatalf("intact bytes out of the prefix: client %v %d, server %v %d of %d", fl.ClientHoled, fl.ClientIntact, fl.ServerHoled, fl.ServerIntact, len(fl.Prefix))
			}
		}, NewBudget(budget))
		if err != nil {
			t.Fatal(err)
		}
		now := int64(0)
		// Each record: flags (0x40: UDP; 0x80: a signed TCP segment; URG,
		// which the table ignores, says that an acknowledgement number
		// follows), endpoint selector, seq (2 bytes, scaled; its top bit
		// also says that a TCP segment came in tiny IP fragments), payload
		// length, the acknowledgement (2 bytes, scaled as seq, plus the
		// SYN's one), payload.
		for len(data) >= 5 {
			flags, who, signed := data[0]&0x3f, data[1], data[0]&0x80 != 0
			seq := uint32(binary.BigEndian.Uint16(data[2:4])) * 97
			n := int(data[4])
			tr := TransportTCP
			head, ackNo := 5, uint32(0)
			if data[0]&0x40 != 0 {
				tr, flags, seq, n = TransportUDP, 0, 0, 8*n
			} else if flags&FlagURG != 0 && len(data) >= 7 {
				flags &^= FlagURG
				head, ackNo = 7, 0xffff0001+uint32(binary.BigEndian.Uint16(data[5:7]))*97
			}
			n = min(n, len(data)-head)
			payload := data[head : head+n]
			data = data[head+n:]
			now += int64(who&0xf0) * int64(time.Millisecond) * 10
			s := Segment{Time: now, Transport: tr, Flags: flags, Seq: 0xffff0000 + seq, Ack: ackNo, Payload: payload, PayloadLen: n, WireLen: 60 + n,
				Signed: tr == TransportTCP && signed}
			if tr == TransportTCP && seq >= 0x8000*97 {
				s.TinyFragment = 68
			}
			a, b := cliEP, srvEP
			a.Port += uint16(who & 3)
			if who&4 != 0 {
				a, b = b, a
			}
			s.Src, s.Dst = a, b
			if who&8 != 0 && n > 0 {
				s.PayloadLen = n + 7 // snaplen cut
			}
			tab.Process(&s)
			if tab.Len() > maxFlows {
				t.Fatalf("table holds %d > %d", tab.Len(), maxFlows)
			}
			if u := tab.budget.Used(); u > budget+2*(600+2000+pendingOverhead) {
				t.Fatalf("%d bytes charged against a budget of %d", u, budget)
			}
		}
		tab.Flush()
		if tab.Len() != 0 {
			t.Fatalf("%d connections left after Flush", tab.Len())
		}
		if u := tab.budget.Used(); u != 0 {
			t.Fatalf("%d bytes still charged after Flush", u)
		}
	})
}

// TestShardedRoutesBothDirectionsTogether: a connection's two directions
// land in one shard, the bound is split across shards and holds, and the
// counters add up.
func TestShardedRoutesBothDirectionsTogether(t *testing.T) {
	const n, maxFlows = 4, 400
	var emitted [n]int
	s, err := NewSharded(n, Config{MaxFlows: maxFlows}, func(i int) func(*Flow) { return func(*Flow) { emitted[i]++ } })
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 * maxFlows {
		a := seg(true, i, 1000, syn, "")
		a.Src.Port = uint16(1024 + i)
		b := seg(false, i, 5000, synack, "")
		b.Dst.Port = a.Src.Port
		if s.ShardOf(&a) != s.ShardOf(&b) {
			t.Fatalf("connection %d: directions in shards %d and %d", i, s.ShardOf(&a), s.ShardOf(&b))
		}
		s.Process(&a)
		s.Process(&b)
		for j := range n {
			if s.Shard(j).Len() > maxFlows/n {
				t.Fatalf("shard %d holds %d > %d", j, s.Shard(j).Len(), maxFlows/n)
			}
		}
	}
	s.Flush()
	total := 0
	for j, e := range emitted {
		if e == 0 {
			t.Errorf("shard %d got no connection", j)
		}
		total += e
	}
	if st := s.Stats(); total != 10*maxFlows || st.FlowsOpened != uint64(total) {
		t.Errorf("emitted %d, opened %d, want %d", total, st.FlowsOpened, 10*maxFlows)
	}
	if _, err := NewSharded(0, Config{}, nil); err == nil {
		t.Error("0 shards accepted")
	}
}

// TestTrackedCountsRemembered: a connection handed out but still open
// leaves the table (Len) and stays tracked (Tracked) until it times out.
func TestTrackedCountsRemembered(t *testing.T) {
	tab, _ := NewTable(Config{ClosedTimeout: time.Second}, func(*Flow) {})
	for _, s := range []Segment{seg(true, 0, 1000, syn, ""), seg(true, 1, 1001, rst, "")} {
		tab.Process(&s)
	}
	if tab.Len() != 0 || tab.Tracked() != 1 {
		t.Fatalf("after RST: Len %d Tracked %d, want 0 and 1", tab.Len(), tab.Tracked())
	}
	tick := seg(true, 5000, 1, syn, "")
	tick.Src.Port = 9
	tab.Process(&tick)
	if tab.Len() != 1 || tab.Tracked() != 1 {
		t.Fatalf("after the closed timeout: Len %d Tracked %d, want 1 and 1", tab.Len(), tab.Tracked())
	}
}
