package flow

import "time"

// Packet time. A table's clock is network time, as Zeek's: the latest
// time of a clocked segment (Segment.Clocked) read so far, which never
// goes backwards; a segment older than network time (capture files not
// in time order, a clock stepped back) happens at network time. Every
// timeout is a connection's silence in network time: from the network
// time of its last packet (conn.seen) to now.
//
// A connection's end must not depend on when the table happens to look:
// the sweep (expire) runs about once a second of packet time, at moments
// that differ with the input's sharding (each shard sees its own share
// of the packets) and the file boundaries. So:
//   - a connection the sweep finds silent past its timeout ends with the
//     time and reason its own last packet gives (Decided is seen plus the
//     timeout), not the sweep's;
//   - a packet that comes for a connection silent past its timeout first
//     ends it so (lapse), as a sweep just before the packet would have,
//     and then goes where it would have gone: to the memory of handed-out
//     connections, or to a new flow;
//   - a handed-out connection's memory (remembered) is asked the same
//     way (remembered.lapsed);
//   - a reader that spreads the input over several tables stamps each
//     segment with the network time of the whole input (Segment.Now), so
//     that every shard measures silence on the one clock.
//
// The sweep then only frees memory early, and the records (the same
// flows, end reasons, counters and times) are the same whatever the
// number of shards and whenever the sweeps run. Only what bounds memory
// (MaxFlows, MaxRemembered, the memory budget: a shard has its share)
// still depends on the sharding.
//
// After a backward jump in time, packets older than network time are
// processed at network time until their own time passes it: their
// connections see no silence among them, and time out only when network
// time moves on (or end at the end of the input). A connection's record
// keeps its packets' own times (Start, End); its MaxAge is counted in
// them too.

// shortestTimeout is the shortest silence that ends a connection (the
// first flight's quiet, Config's least timeout): a packet after less
// costs one comparison.
const shortestTimeout = int64(min(firstFlightQuiet, MinTimeout))

// tick moves network time to ts (never back) and, once a second of it,
// ends the idle connections.
func (t *Table) tick(ts int64) {
	if ts > t.now {
		t.now = ts
	}
	if t.now-t.lastSweep >= int64(time.Second) {
		t.expire()
		t.lastSweep = t.now
	}
}

// lapse ends connection c, about to take a packet at network time t.now,
// if it has been silent past the timeout of its list, as the sweep would
// have had it run just before; it reports whether c left the table (or,
// a handed-out UDP flow, was forgotten).
func (t *Table) lapse(c *conn) bool {
	quiet := t.now - c.seen
	switch c.list {
	case &t.active:
		if idle := int64(t.cfg.IdleTimeout); quiet > idle {
			t.endAt(c, EndIdle, c.seen+idle)
			return true
		}
	case &t.speaking:
		if vt := int64(t.cfg.VerdictTimeout); quiet > vt {
			t.finishAt(c, EndVerdictTimeout, c.seen+vt)
			return true
		}
	case &t.notTLS:
		if quiet > int64(firstFlightQuiet) {
			t.finishAt(c, EndDecided, c.judgedAt)
			return true
		}
	case &t.closing:
		if quiet > int64(resetQuiet) {
			t.closeAt(c, EndRST, c.seen+int64(resetQuiet))
			return true
		}
	case &t.udp.active:
		if idle := int64(t.cfg.UDPIdleTimeout); quiet > idle {
			t.endAt(c, EndIdle, c.seen+idle)
			return true
		}
	case &t.udp.finished:
		if quiet > int64(t.cfg.UDPIdleTimeout) {
			t.remove(c)
			return true
		}
	}
	return false
}

// lapsedRem reports whether remembered slot i has been silent past its
// timeout, and forgets it if so.
func (t *Table) lapsedRem(i int32) bool {
	if !t.rem.lapsed(i, t.now, int64(t.cfg.IdleTimeout), int64(t.cfg.ClosedTimeout)) {
		return false
	}
	t.rem.remove(i)
	return true
}

// NetClock is the network time of a reader that spreads segments over
// several tables: the latest clocked packet time (Segment.Clocked) it
// read. Stamp gives each segment that time (Segment.Now), so that every
// table judges a connection's silence on the clock of the whole input,
// not of its share of it. Not safe for concurrent use.
type NetClock struct{ latest int64 }

// Stamp moves the clock to s's time when s is clocked and sets s.Now to
// the network time (never back from what s.Now held).
func (k *NetClock) Stamp(s *Segment) {
	if s.Clocked() {
		k.latest = max(k.latest, s.Time)
	}
	s.Now = max(s.Now, k.latest)
}

// Now is the network time so far (Unix nanoseconds; 0 before the first
// clocked segment).
func (k *NetClock) Now() int64 { return k.latest }
