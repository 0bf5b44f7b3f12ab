package flow

// Stats counts what a Table did. All counters only grow.
type Stats struct {
	Segments    uint64 // TCP segments processed
	FlowsOpened uint64
	Emitted     [numEndReasons]uint64 // flows handed out, by end reason
	// Evictions counts flows removed because the table was full: Active
	// ones were handed out early (EndEvicted); Finished ones had already
	// been handed out and only their trailing packet counts were lost.
	EvictedActive, EvictedFinished uint64
	Retransmits                    uint64 // segments wholly before the stream position
	Overlaps                       uint64 // segments partly before it (trimmed: first data wins)
	OutOfOrder                     uint64 // segments buffered until their predecessors arrived
	PendingOverflows               uint64 // holes skipped because the out-of-order buffer was full
	Gaps                           uint64 // flows handed out with bytes missing in the prefix
	LateSegments                   uint64 // segments of flows already handed out
	// Datagrams counts the UDP datagrams processed; NotQUIC those of them
	// that belonged to no tracked flow and did not look like the start of
	// a QUIC connection, so opened none (UDP flows are tracked only for
	// QUIC).
	Datagrams, NotQUIC uint64
}

// Add adds o's counters to s (to sum the shards of a sensor).
func (s *Stats) Add(o *Stats) {
	s.Segments += o.Segments
	s.FlowsOpened += o.FlowsOpened
	for i := range s.Emitted {
		s.Emitted[i] += o.Emitted[i]
	}
	s.EvictedActive += o.EvictedActive
	s.EvictedFinished += o.EvictedFinished
	s.Retransmits += o.Retransmits
	s.Overlaps += o.Overlaps
	s.OutOfOrder += o.OutOfOrder
	s.PendingOverflows += o.PendingOverflows
	s.Gaps += o.Gaps
	s.LateSegments += o.LateSegments
	s.Datagrams += o.Datagrams
	s.NotQUIC += o.NotQUIC
}
