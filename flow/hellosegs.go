package flow

import "github.com/tlsentry/tlsentry/flow/tlsrecord"

// HelloSegments says how the TCP segments a client sent carried its first
// TLS record (its ClientHello), when it took more than one. A TCP sender
// with the whole record in its buffer fills its first segment up to the
// path's MSS, so the first segment is the largest: a hello larger than
// one segment comes as full segments and a shorter last one, on any link.
// DPI-evasion tools (GoodbyeDPI, zapret's split, ByeDPI) cut it after a
// few bytes or just before the server name instead, so that a monitor
// that reads one segment misses the name; segments that arrived out of
// order and were delivered together count as one.
type HelloSegments struct {
	Record   int // the record's length, header included
	Segments int // segments that carried its bytes
	First    int // payload bytes of the first
	Largest  int // payload bytes of the largest
}

// maxHelloSegments bounds the segments followed: a record cut finer is
// cut, and counting further says nothing more.
const maxHelloSegments = 255

// helloSegs follows the client's first record as its segments are
// delivered in order, when the client's stream starts with a handshake
// record at byte 0.
type helloSegs struct {
	done, whole bool
	n           uint8 // segments so far
	hdrN        uint8
	hdr         [tlsrecord.HeaderLen]byte // the record header, as it arrives
	end         int32                     // stream offset where the record ends; 0 until the header is whole
	first, big  int32
}

// note takes the delivery of data at stream offset off (gap: bytes before
// it went missing).
func (s *helloSegs) note(off int, data []byte, gap bool) {
	if s.done {
		return
	}
	if gap || off == 0 && data[0] != tlsrecord.Handshake {
		*s = helloSegs{done: true} // no hello at byte 0, or a hole in it: nothing to say
		return
	}
	if s.n == 0 {
		s.first = int32(len(data))
	}
	s.n++
	s.big = max(s.big, int32(len(data)))
	for i := 0; int(s.hdrN) < len(s.hdr) && i < len(data); i++ {
		s.hdr[s.hdrN] = data[i]
		s.hdrN++
	}
	if s.end == 0 && int(s.hdrN) == len(s.hdr) {
		if !tlsrecord.ValidHeader(s.hdr[:]) {
			*s = helloSegs{done: true} // not a TLS record
			return
		}
		s.end = tlsrecord.HeaderLen + int32(s.hdr[3])<<8 | int32(s.hdr[4])
	}
	switch {
	case s.end > 0 && off+len(data) >= int(s.end):
		s.done, s.whole = true, true
	case s.n == maxHelloSegments:
		s.done = true
	}
}

// result is the record's segmentation when the whole record came, in
// more than one segment.
func (s *helloSegs) result() *HelloSegments {
	if !s.whole || s.n < 2 {
		return nil
	}
	return &HelloSegments{Record: int(s.end), Segments: int(s.n), First: int(s.first), Largest: int(s.big)}
}
