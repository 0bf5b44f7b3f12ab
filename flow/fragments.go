package flow

// Fragmented describes a side's segments (a UDP flow's datagrams) whose
// IP packets came in fragments smaller than any link needs (Segment.TinyFragment): how tools
// cut a handshake so that a monitor that does not reassemble misses it
// (fragroute, nmap -f). The table reassembled them; this is a record of
// how they came.
type Fragmented struct {
	Segments int // the side's segments (datagrams) that came so
	Smallest int // the IP length of the smallest such fragment
}

// tinyFragments records that segment s of half d came in tiny fragments.
func (c *conn) tinyFragments(d int, s *Segment) {
	r := c.record()
	f := r.tiny[d]
	if f == nil {
		f = &Fragmented{Smallest: s.TinyFragment}
		r.tiny[d] = f
	}
	f.Segments++
	f.Smallest = min(f.Smallest, s.TinyFragment)
}
