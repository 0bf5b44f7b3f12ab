package flow

import "fmt"

// Sharded splits the flow bound across independent tables. Both directions
// of a connection go to the same shard (the key hash is symmetric, as the
// kernel's PACKET_FANOUT_HASH is), so each shard can be owned by its own
// worker with no locking: the live sensor gives shard i to fanout socket
// i's goroutine; offline, one goroutine may route every segment itself.
type Sharded struct {
	shards []*Table
	budget *Budget  // one memory budget for all the shards
	clock  NetClock // network time of what Process routed (clock.go)
}

// Budget is the memory budget the shards share.
func (s *Sharded) Budget() *Budget { return s.budget }

// NewSharded makes n tables, each bounded to cfg.MaxFlows/n flows (at
// least 1; MaxRemembered alike), handing flows to emit(i) for shard i.
func NewSharded(n int, cfg Config, emit func(shard int) func(*Flow)) (*Sharded, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: %d shards: need at least 1", ErrConfig, n)
	}
	if cfg.MaxFlows == 0 {
		cfg.MaxFlows = DefaultConfig().MaxFlows
	}
	per := cfg
	per.MaxFlows = max(1, cfg.MaxFlows/n)
	if cfg.MaxRemembered > 0 {
		per.MaxRemembered = max(1, cfg.MaxRemembered/n)
	}
	s := &Sharded{shards: make([]*Table, n), budget: NewBudget(cfg.BudgetBytes())}
	for i := range s.shards {
		t, err := newTable(per, emit(i), s.budget)
		if err != nil {
			return nil, err
		}
		s.shards[i] = t
	}
	return s, nil
}

// ShardOf returns the shard that owns a segment's connection.
func (s *Sharded) ShardOf(seg *Segment) int {
	if len(s.shards) == 1 {
		return 0
	}
	k, _ := SegmentKey(seg)
	return int(k.Hash() % uint64(len(s.shards)))
}

// Shard returns table i; only its owner may call its methods.
func (s *Sharded) Shard(i int) *Table { return s.shards[i] }

// Shards is the number of shards.
func (s *Sharded) Shards() int { return len(s.shards) }

// Process routes a segment to its shard and processes it there: for a
// single goroutine that owns every shard. With several shards it stamps
// seg.Now with the network time of all it routed, so that each shard
// judges silence on the one clock (clock.go).
func (s *Sharded) Process(seg *Segment) {
	if len(s.shards) == 1 {
		s.shards[0].Process(seg)
		return
	}
	s.clock.Stamp(seg)
	s.shards[s.ShardOf(seg)].Process(seg)
}

// Flush flushes every shard (single owner only), each at the network time
// of all Process routed, so that flows silent by then end as timed out in
// whichever shard holds them.
func (s *Sharded) Flush() {
	for _, t := range s.shards {
		t.tick(s.clock.Now())
		t.Flush()
	}
}

// Len is the number of connections tracked in all shards.
func (s *Sharded) Len() int {
	n := 0
	for _, t := range s.shards {
		n += t.Len()
	}
	return n
}

// Stats sums the shards' counters.
func (s *Sharded) Stats() Stats {
	var st Stats
	for _, t := range s.shards {
		ts := t.Stats()
		st.Add(&ts)
	}
	return st
}
