package flow

// Stray data: segments whose bytes no endpoint takes, which DPI-evasion
// tools send for monitors alone (a decoy hello before the real one). The
// table does as the endpoints do, leaving such data out of the stream,
// and reports it:
//   - data on a segment with none of ACK, SYN and RST: once a connection
//     is open every TCP drops a segment without the ACK flag (RFC 9293
//     3.10.7.4), and before, only a SYN carries data (zapret's
//     "datanoack");
//   - data before the stream's first byte, the sequence number after the
//     side's SYN: no receive window ever held it (RFC 9293 3.10.7.4, the
//     acceptability test), so the receiver answers with an ACK and drops
//     it (zapret's "badseq", GoodbyeDPI's --wrong-seq: sequence numbers
//     10,000 in the past). Only a connection whose SYN was seen has a
//     known start;
//   - data on a segment with a TCP MD5 signature (RFC 2385) or TCP-AO
//     (RFC 5925) option when the side's SYN had none: a connection signs
//     every segment from its SYN on, with a key set out of band, and a TCP
//     without a key for it drops signed segments (Linux counts them as
//     TCPMD5Unexpected; zapret's "md5sig", its default fooling for TLS).

// Stray is what one side's segments of one kind of stray data showed.
type Stray struct {
	// Offset is the stream offset the first one claimed: negative before
	// the stream's first byte; for data without ACK, 0 when the side had
	// sent nothing yet that the table saw.
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

// noACK records and counts a segment of half d at seq without the ACK
// flag.
func (c *conn) noACK(t *Table, d int, seq uint32, s *Segment) {
	t.stats.NoACKData++
	k := c.record()
	k.noACK[d] = addStray(k.noACK[d], c.claimed(d, seq), s)
}

// signedData records and counts a segment of half d at seq with a
// signature option its SYN lacked.
func (c *conn) signedData(t *Table, d int, seq uint32, s *Segment) {
	t.stats.UnexpectedSignature++
	k := c.record()
	k.signed[d] = addStray(k.signed[d], c.claimed(d, seq), s)
}

// claimed is the stream offset a segment of half d at seq claims, 0 when
// the side had sent nothing yet that the table saw (or before that).
func (c *conn) claimed(d int, seq uint32) int {
	if h := &c.halves[d]; h.started {
		return max(0, h.streamed+int(seqDiff(seq, h.next)))
	}
	return 0
}

// whollyBeforeStart records and counts a data segment of half d at seq
// that starts before the stream's first byte (known when the side's SYN
// was seen; a keep-alive probe of a side that has sent nothing yet, one
// byte at the ISN, is no data), and reports whether all of it lies
// there: then none of its bytes is a stream byte. (A segment that runs
// on into the stream has its later bytes taken, as a receiver trims it.)
func (c *conn) whollyBeforeStart(t *Table, d int, seq uint32, s *Segment) bool {
	h := &c.halves[d]
	if !h.synSeen {
		return false
	}
	off := seqDiff(seq, h.isn+1)
	if off >= 0 || keepAlive(s.PayloadLen, off) {
		return false
	}
	t.stats.DataBeforeStart++
	k := c.record()
	k.before[d] = addStray(k.before[d], int(off), s)
	return int(off)+s.PayloadLen <= 0
}

// addStray counts segment s into k, or starts k with it at offset off.
func addStray(k *Stray, off int, s *Segment) *Stray {
	if k != nil {
		k.Segments++
		k.Bytes += s.PayloadLen
		return k
	}
	return &Stray{Offset: off, Segments: 1, Bytes: s.PayloadLen,
		Data: append([]byte(nil), s.Payload[:min(len(s.Payload), ConflictShow)]...)}
}
