package flow

import (
	"encoding/binary"
	"testing"
)

// floodOutOfOrder sends n flows into tab, each a handshake then segs segments
// of 1000 bytes each way after a hole (all buffered), and returns the
// most the budget held after any segment.
func floodOutOfOrder(tab interface{ Process(*Segment) }, budget *Budget, n, segs int) (peak int64) {
	payload := string(make([]byte, 1000))
	for i := range n {
		at := i * 100
		port := uint16(1024 + i)
		for _, s := range []Segment{seg(true, at, 1000, syn, ""), seg(false, at+1, 5000, synack, "")} {
			if s.Src == cliEP {
				s.Src.Port = port
			} else {
				s.Dst.Port = port
			}
			tab.Process(&s)
		}
		for k := range segs {
			c := seg(true, at+2+k, 1001+uint32(k+1)*1000, ack, payload)
			c.Src.Port = port
			tab.Process(&c)
			sv := seg(false, at+2+k, 5001+uint32(k+1)*1000, ack, payload)
			sv.Dst.Port = port
			tab.Process(&sv)
			peak = max(peak, budget.Used())
		}
	}
	return peak
}

// TestBudgetGivesUpOldestOutOfOrder: 100 flows each holding 2 x 30 KB
// out of order against a 1 MiB budget: the budget holds (give or take a
// segment), the oldest flows' data is the one given up, each counted,
// and every byte charged comes back when the flows end.
func TestBudgetGivesUpOldestOutOfOrder(t *testing.T) {
	var out []*Flow
	tab, err := NewTable(Config{MemoryBudgetMB: 1}, func(f *Flow) { out = append(out, f) })
	if err != nil {
		t.Fatal(err)
	}
	peak := floodOutOfOrder(tab, tab.budget, 100, 30)
	if limit := tab.budget.Limit(); peak > limit+2*(1000+pendingOverhead) || peak < limit/2 {
		t.Errorf("peak %d for a budget of %d", peak, limit)
	}
	st := tab.Stats()
	if st.MemcapGiveUps == 0 || st.PendingOverflows != 0 {
		t.Errorf("memcap give-ups %d, pending overflows %d", st.MemcapGiveUps, st.PendingOverflows)
	}
	tab.Flush()
	if u := tab.budget.Used(); u != 0 {
		t.Errorf("%d bytes still charged after Flush", u)
	}
	if len(out) != 100 {
		t.Fatalf("%d flows", len(out))
	}
	// The first flow's data was given up (a gap at its start, then
	// nothing); the last one's was still buffered and delivered at the end.
	if f := out[0]; !f.PrefixGap || len(f.Prefix) != 0 {
		t.Errorf("oldest flow: gap %v, prefix %d bytes; want its data given up", f.PrefixGap, len(f.Prefix))
	}
	if f := out[len(out)-1]; len(f.Prefix) != PrefixSize {
		t.Errorf("newest flow: prefix %d bytes; want its buffered data", len(f.Prefix))
	}
}

// TestBudgetSharedByShards: the shards of a Sharded charge one budget,
// which holds for all of them together and is all returned at the end.
func TestBudgetSharedByShards(t *testing.T) {
	s, err := NewSharded(4, Config{MemoryBudgetMB: 1}, func(int) func(*Flow) { return func(*Flow) {} })
	if err != nil {
		t.Fatal(err)
	}
	peak := floodOutOfOrder(s, s.Budget(), 200, 30)
	if limit := s.Budget().Limit(); peak > limit+4*2*(1000+pendingOverhead) {
		t.Errorf("peak %d for a budget of %d over 4 shards", peak, limit)
	}
	if st := s.Stats(); st.MemcapGiveUps == 0 {
		t.Error("no memcap give-ups")
	}
	s.Flush()
	if u := s.Budget().Used(); u != 0 {
		t.Errorf("%d bytes still charged after Flush", u)
	}
}

// TestBudgetEvictsHandshakeHolders: flows that open a 16 KiB ClientHello
// record and never finish it hold handshake bytes, not out-of-order data:
// over budget, the oldest of them are handed out early (EndEvicted).
func TestBudgetEvictsHandshakeHolders(t *testing.T) {
	var out []*Flow
	tab, _ := NewTable(Config{MemoryBudgetMB: 1}, func(f *Flow) { out = append(out, f) })
	hello := make([]byte, 200)
	copy(hello, []byte{0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0x00, 0x3f, 0xfc, 0x03, 0x03})
	for i := range 200 {
		s := seg(true, i, 1000, syn, "")
		s.Src.Port = uint16(1024 + i)
		tab.Process(&s)
		d := seg(true, i, 1001, ack, string(hello))
		d.Src.Port = s.Src.Port
		tab.Process(&d)
		if u, limit := tab.budget.Used(), tab.budget.Limit(); u > limit+(16<<10)+64 {
			t.Fatalf("flow %d: %d bytes charged for a budget of %d", i, u, limit)
		}
	}
	st := tab.Stats()
	if st.MemcapEvictions == 0 || st.Emitted[EndEvicted] != st.MemcapEvictions {
		t.Fatalf("memcap evictions %d, evicted %d", st.MemcapEvictions, st.Emitted[EndEvicted])
	}
	if len(out) == 0 || binary.BigEndian.Uint16(out[0].ClientHandshake[3:5]) != 0x4000 {
		t.Fatalf("the first flow out should be the oldest, its hello cut short")
	}
	tab.Flush()
	if u := tab.budget.Used(); u != 0 {
		t.Errorf("%d bytes still charged after Flush", u)
	}
}

func TestDefaultBudget(t *testing.T) {
	b := DefaultBudgetBytes()
	if b < 16<<20 || b > 64<<20 {
		t.Errorf("default budget %d", b)
	}
	if got := (Config{MemoryBudgetMB: 3}).BudgetBytes(); got != 3<<20 {
		t.Errorf("3 MiB gives %d", got)
	}
}

// TestBudgetConcurrentShards: shards owned by their own goroutines, as
// the live sensor runs them, charge the one budget safely (run with
// -race) and return every byte.
func TestBudgetConcurrentShards(t *testing.T) {
	const n = 4
	s, err := NewSharded(n, Config{MemoryBudgetMB: 1}, func(int) func(*Flow) { return func(*Flow) {} })
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	for i := range n {
		go func() {
			defer func() { done <- struct{}{} }()
			floodOutOfOrder(shardFilter{s.Shard(i), s, i}, s.Budget(), 200, 10)
		}()
	}
	for range n {
		<-done
	}
	s.Flush()
	if u := s.Budget().Used(); u != 0 {
		t.Errorf("%d bytes still charged", u)
	}
}

// shardFilter processes only the segments of shard i.
type shardFilter struct {
	tab *Table
	s   *Sharded
	i   int
}

func (f shardFilter) Process(seg *Segment) {
	if f.s.ShardOf(seg) == f.i {
		f.tab.Process(seg)
	}
}
