package capgen

import (
	"fmt"
	"math/rand/v2"
)

// Impairments distort the data segments of one direction, each within its
// flight, the way a real network (or a lossy capture) does. Probabilities are
// in [0, 1]; the choices come from FlowSpec.Seed.
type Impairments struct {
	// Reorder is the probability that a flight's segments are sent in a
	// random order.
	Reorder float64
	// Duplicate is the probability that a segment is seen again, an exact
	// copy, later in its flight (a spurious retransmission, or a span port
	// seeing a packet twice).
	Duplicate float64
	// Retransmit is the probability that a segment's first transmission is
	// lost before the capture point and its retransmission follows the
	// rest of the flight.
	Retransmit float64
	// Overlap is the probability that a segment is sent as a retransmission
	// that also covers the tail (1 byte up to all) of the segment before it,
	// with the same bytes.
	Overlap float64
	// Gap is the 1-based index, counted over this direction's data segments
	// in stream order, of one segment the capture never sees and that is
	// never retransmitted (the receiver got it, the sensor did not). 0: none.
	// See FlowSpec.Gaps and Conversation.ContiguousPrefix.
	Gap int
	// Decoy, when its Data is set, is a segment with other bytes at the
	// sequence numbers of this direction's data, as DPI-evasion tools
	// send (with a TTL too short to reach the receiver, a bad checksum,
	// or no ACK flag): the capture sees it, the receiver never does.
	Decoy Decoy
}

// Decoy is a segment that claims stream bytes it does not carry.
type Decoy struct {
	Data   []byte
	Offset int  // the stream offset it claims; sent with the real segment that starts there
	After  bool // sent right after that segment instead of right before it
	NoACK  bool // sent without the ACK flag (which every receiver drops), not with a bad checksum
	// Back sends it that many sequence numbers before Offset (zapret's
	// badseq: 10,000): before the stream's first byte, where no receive
	// window was, when Back > Offset.
	Back int
	// Signed sends it with a TCP MD5 signature option (zapret's md5sig),
	// which a TCP without a key for the connection drops.
	Signed bool
}

func (im Impairments) check(name string) error {
	for _, p := range []struct {
		what string
		v    float64
	}{{"Reorder", im.Reorder}, {"Duplicate", im.Duplicate}, {"Retransmit", im.Retransmit}, {"Overlap", im.Overlap}} {
		if !(p.v >= 0 && p.v <= 1) {
			return fmt.Errorf("capgen: %s.%s = %v, want a probability in [0, 1]", name, p.what, p.v)
		}
	}
	if im.Gap < 0 {
		return fmt.Errorf("capgen: %s.Gap = %d, want >= 0", name, im.Gap)
	}
	return nil
}

// transmission is one data packet to emit: a stream range, or an exact copy of
// an earlier transmission of the same flight.
type transmission struct {
	off    int
	data   []byte
	psh    bool
	copyOf int // index of the original in the flight's list; -1: not a copy
}

// apply turns a flight's segments (contiguous, in stream order, the gap
// segment flagged) into the transmissions seen by the capture, in order.
func (im Impairments) apply(r *rand.Rand, segs []segment) []transmission {
	txs := make([]transmission, 0, len(segs))
	for i, s := range segs {
		if s.gap {
			continue
		}
		t := transmission{off: s.off, data: s.data, psh: s.psh, copyOf: -1}
		// Extend backwards over the previous segment, but only when it is
		// the one right before: never over the gap's bytes.
		if i > 0 && chance(r, im.Overlap) {
			if prev := segs[i-1]; !prev.gap && prev.off+len(prev.data) == s.off {
				k := 1 + r.IntN(len(prev.data))
				t.off -= k
				t.data = append(append([]byte(nil), prev.data[len(prev.data)-k:]...), s.data...)
			}
		}
		txs = append(txs, t)
	}
	if len(txs) > 1 && chance(r, im.Reorder) {
		r.Shuffle(len(txs), func(i, j int) { txs[i], txs[j] = txs[j], txs[i] })
	}
	// Lost first copies: not captured; the retransmissions come last.
	kept, late := txs[:0:0], []transmission(nil)
	for _, t := range txs {
		if chance(r, im.Retransmit) {
			late = append(late, t)
		} else {
			kept = append(kept, t)
		}
	}
	txs = append(kept, late...)
	// Exact copies go somewhere after their original. Walking backwards
	// keeps the indices of the originals not yet visited valid.
	for i := len(txs) - 1; i >= 0; i-- {
		if txs[i].copyOf >= 0 || !chance(r, im.Duplicate) {
			continue
		}
		pos := i + 1 + r.IntN(len(txs)-i)
		cp := transmission{off: txs[i].off, data: txs[i].data, psh: txs[i].psh, copyOf: i}
		txs = append(txs[:pos], append([]transmission{cp}, txs[pos:]...)...)
		// Copies inserted earlier (at larger indices) may point past pos.
		for j := pos + 1; j < len(txs); j++ {
			if txs[j].copyOf >= pos {
				txs[j].copyOf++
			}
		}
	}
	return txs
}

func chance(r *rand.Rand, p float64) bool {
	return p > 0 && r.Float64() < p
}
