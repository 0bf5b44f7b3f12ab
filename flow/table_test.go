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

// TestFinishedFlowsEvictedFirst: a full table makes room by dropping a
// connection already handed out before cutting an active one short.
func TestFinishedFlowsEvictedFirst(t *testing.T) {
	var out []*Flow
	tab, _ := NewTable(Config{MaxFlows: 2}, func(f *Flow) { out = append(out, f) })
	a := seg(true, 0, 1000, syn, "")
	tab.Process(&a)
	r := seg(true, 1, 1001, rst, "")
	tab.Process(&r) // closed: handed out, remembered
	b := seg(true, 2, 1, syn, "")
	b.Src.Port = 2
	tab.Process(&b)
	c := seg(true, 3, 1, syn, "")
	c.Src.Port = 3
	tab.Process(&c)
	st := tab.Stats()
	if st.EvictedFinished != 1 || st.EvictedActive != 0 || len(out) != 1 {
		t.Fatalf("evicted finished %d active %d, %d flows out; want the closed one evicted", st.EvictedFinished, st.EvictedActive, len(out))
	}
}

func TestConfigValidation(t *testing.T) {
	for _, c := range []Config{{MaxFlows: -1}, {IdleTimeout: -time.Second}, {HandshakeLimit: 10}, {MaxPending: 10}} {
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
	f.Fuzz(func(t *testing.T, data []byte) {
		const maxFlows = 4
		tab, err := NewTable(Config{MaxFlows: maxFlows, HandshakeLimit: 600, MaxPending: 2000, ScanLimit: 300, IdleTimeout: time.Second}, func(fl *Flow) {
			if len(fl.Prefix) > PrefixSize || len(fl.ClientHandshake) > 600 || len(fl.ServerHandshake) > 600 {
				t.Fatalf("flow over its bounds: prefix %d handshakes %d/%d", len(fl.Prefix), len(fl.ClientHandshake), len(fl.ServerHandshake))
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		now := int64(0)
		// Each record: flags, endpoint selector, seq (2 bytes, scaled), payload length, payload.
		for len(data) >= 5 {
			flags, who := data[0]&0x3f, data[1]
			seq := uint32(binary.BigEndian.Uint16(data[2:4])) * 97
			n := int(data[4])
			tr := TransportTCP
			if data[0]&0x40 != 0 {
				tr, flags, seq, n = TransportUDP, 0, 0, 8*n
			}
			n = min(n, len(data)-5)
			payload := data[5 : 5+n]
			data = data[5+n:]
			now += int64(who&0xf0) * int64(time.Millisecond) * 10
			s := Segment{Time: now, Transport: tr, Flags: flags, Seq: 0xffff0000 + seq, Payload: payload, PayloadLen: n, WireLen: 60 + n}
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
		}
		tab.Flush()
		if tab.Len() != 0 {
			t.Fatalf("%d connections left after Flush", tab.Len())
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
