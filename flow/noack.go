package flow

// Once a connection is open, every TCP drops a segment without the ACK
// flag (RFC 9293 3.10.7.4); before, only a SYN carries data. Data on a
// segment with none of ACK, SYN and RST reaches no endpoint: DPI-evasion
// tools send their decoys so (zapret's "datanoack"), for monitors alone.
// The table does as the endpoints do, leaving such data out of the
// stream, and reports it.

// NoACK is what one side's data segments without the ACK flag showed.
type NoACK struct {
	// Offset is the stream offset the first one claimed (0 when the side
	// had sent nothing yet that the table saw).
	Offset int
	// Data is its first bytes, up to ConflictShow.
	Data []byte
	// Segments counts them; Bytes is their payload bytes together.
	Segments, Bytes int
}

// noACKData reports a segment whose data no endpoint takes: payload on a
// segment with none of ACK, SYN and RST.
func noACKData(s *Segment) bool {
	return s.PayloadLen > 0 && s.Flags&(FlagACK|FlagSYN|FlagRST) == 0
}

// noACK records such a segment of half d at seq.
func (c *conn) noACK(d int, seq uint32, s *Segment) {
	if c.conflicts == nil {
		c.conflicts = new(conflicts)
	}
	if k := c.conflicts.noACK[d]; k != nil {
		k.Segments++
		k.Bytes += s.PayloadLen
		return
	}
	off := 0
	if h := &c.halves[d]; h.started {
		off = max(0, h.streamed+int(seqDiff(seq, h.next)))
	}
	c.conflicts.noACK[d] = &NoACK{Offset: off, Segments: 1, Bytes: s.PayloadLen,
		Data: append([]byte(nil), s.Payload[:min(len(s.Payload), ConflictShow)]...)}
}
