package flow

// Stats counts what a Table did. All counters only grow.
type Stats struct {
	Segments    uint64 // TCP segments processed
	FlowsOpened uint64
	Emitted     [numEndReasons]uint64 // flows handed out, by end reason
	// EvictedActive counts flows handed out early because the table was
	// full (EndEvicted). EvictedFinished counts connections already handed
	// out that were forgotten for want of room (the memory of handed-out
	// TCP connections, Config.MaxRemembered, or a full table's finished
	// QUIC flows): a later packet of one opens a new mid-stream flow,
	// marked PickupAfterEviction.
	EvictedActive, EvictedFinished uint64
	Retransmits                    uint64 // segments wholly before the stream position
	Overlaps                       uint64 // segments partly before it (trimmed: first data wins)
	OverlapConflicts               uint64 // segments that disagreed with bytes already received at their sequence numbers (conflict.go)
	NoACKData                      uint64 // data segments without ACK, SYN or RST, left out of the stream (stray.go)
	DataBeforeStart                uint64 // data segments that start before their stream's first byte (stray.go)
	UnexpectedSignature            uint64 // data segments with a signature option their side's SYN lacked (stray.go)
	OutOfOrder                     uint64 // segments buffered until their predecessors arrived
	PendingOverflows               uint64 // holes skipped because the out-of-order buffer was full
	Gaps                           uint64 // flows handed out with bytes missing in the prefix
	LateSegments                   uint64 // segments of flows already handed out (counted only)
	// AheadOfPeer counts the times a side's bytes were held back because
	// their segment acknowledged peer bytes the capture had not shown yet
	// (directions merged out of order: ackorder.go); AheadGivenUp the holds
	// that waited heldQuiet in vain, those bytes going on in capture order.
	AheadOfPeer, AheadGivenUp uint64
	// Datagrams counts the UDP datagrams processed; NotQUIC those of them
	// that belonged to no tracked flow and did not look like the start of
	// a QUIC connection, so opened none (UDP flows are tracked only for
	// QUIC).
	Datagrams, NotQUIC uint64
	// MemcapGiveUps counts the times a table over the memory budget gave
	// up a flow's buffered out-of-order data (the flow goes on with a
	// gap); MemcapEvictions the flows it handed out early (EndEvicted)
	// for the handshake bytes they held.
	MemcapGiveUps, MemcapEvictions uint64
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
	s.OverlapConflicts += o.OverlapConflicts
	s.NoACKData += o.NoACKData
	s.DataBeforeStart += o.DataBeforeStart
	s.UnexpectedSignature += o.UnexpectedSignature
	s.OutOfOrder += o.OutOfOrder
	s.PendingOverflows += o.PendingOverflows
	s.Gaps += o.Gaps
	s.LateSegments += o.LateSegments
	s.AheadOfPeer += o.AheadOfPeer
	s.AheadGivenUp += o.AheadGivenUp
	s.Datagrams += o.Datagrams
	s.NotQUIC += o.NotQUIC
	s.MemcapGiveUps += o.MemcapGiveUps
	s.MemcapEvictions += o.MemcapEvictions
}
