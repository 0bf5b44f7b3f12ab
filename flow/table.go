package flow

import (
	"fmt"
	"slices"
	"time"
)

// Table tracks connections and hands out one Flow per connection through
// its emit function. It is not safe for concurrent use.
type Table struct {
	cfg  Config
	emit func(*Flow)
	// budget is the memory budget this table shares with the other shards;
	// memLists the connections holding out-of-order data and handshake
	// bytes, oldest first: what it gives up when over budget.
	budget   *Budget
	memLists [numMemLists]memList
	conns    map[Key]*conn
	// The TCP connections still collecting bytes are on three lists, each
	// least recently seen first, so that expiry and eviction only look at
	// their heads: active (no payload yet: idle timeout), speaking (payload
	// seen: verdict timeout), notTLS (a client that does not speak TLS to
	// a TLS port: handed out once its first flight is over), closing (a
	// reset acknowledged bytes not seen yet: resetahead.go). Handed-out
	// TCP connections leave the table for rem.
	active, speaking, notTLS, closing connList
	rem                               remembered
	tlsPorts                          *portBits
	// udp holds the UDP flows' lists, which have their own idle timeout.
	udp  udpLists
	free []*conn

	now       int64 // network time (clock.go)
	lastSweep int64
	stats     Stats

	sinkScratch connSink // reused by every delivery: no allocation per segment
}

// NewTable returns an empty table that hands flows to emit, with a
// memory budget of its own.
func NewTable(cfg Config, emit func(*Flow)) (*Table, error) { return newTable(cfg, emit, nil) }

// newTable makes a table charging budget (nil: a budget of its own).
func newTable(cfg Config, emit func(*Flow), budget *Budget) (*Table, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if emit == nil {
		return nil, fmt.Errorf("%w: nil emit function", ErrConfig)
	}
	if budget == nil {
		budget = NewBudget(cfg.BudgetBytes())
	}
	t := &Table{cfg: cfg, emit: emit, budget: budget, conns: make(map[Key]*conn, min(cfg.MaxFlows, initialConns))}
	t.tlsPorts = defaultTLSPortSet
	if !slices.Equal(cfg.TLSPorts, defaultTLSPorts) {
		t.tlsPorts = newPortBits(cfg.TLSPorts)
	}
	t.rem = newRemembered(cfg.remembered())
	return t, nil
}

// initialConns sizes a new table's map; it grows as flows come. A table
// per shard made room for 65,536 flows each: 256 shards took 800 MB and
// seconds before the first packet.
const initialConns = 1 << 8

// Len is the number of connections in the table now: those collecting
// bytes, and QUIC flows handed out but not idle yet (what MaxFlows bounds).
func (t *Table) Len() int { return len(t.conns) }

// Tracked is Len plus the TCP connections handed out and remembered until
// they close or idle out (what MaxRemembered bounds).
func (t *Table) Tracked() int { return len(t.conns) + t.rem.live }

// Stats returns a copy of the counters.
func (t *Table) Stats() Stats { return t.stats }

// Process takes one segment. Segments should come in capture order; a
// segment whose time goes backwards happens at network time (clock.go).
func (t *Table) Process(s *Segment) {
	if s.Transport == TransportUDP {
		t.datagram(s)
		return
	}
	t.stats.Segments++
	t.tick(max(s.Time, s.Now))
	key, srcIsLo := KeyOf(s.Src, s.Dst)
	c := t.conns[key]
	if c != nil && t.overdue(c) && t.releaseOverdue(c) {
		c = nil // complete or decided once it gave up holding, before this packet (ackorder.go)
	}
	if c != nil && t.now-c.seen > shortestTimeout && t.lapse(c) {
		c = nil // it ended before this packet: the packet goes where it would after a sweep
	}
	var prev uint64
	if c != nil && c.isNewConnection(s, srcIsLo) {
		prev = c.id
		t.end(c, EndReused)
		c = nil
	}
	if c != nil {
		t.touch(c)
		c.process(t, s, srcIsLo)
		if c.charged > 0 && t.budget.over() {
			t.relieve()
		}
		return
	}
	h := key.Hash()
	pickup := false
	if i := t.rem.find(&key, h); i >= 0 && !t.lapsedRem(i) {
		e := &t.rem.slab[i]
		if !e.isNewConnection(s, srcIsLo) {
			t.stats.LateSegments++
			t.rem.late(i, s, srcIsLo, t.now)
			return
		}
		prev = e.id
		t.rem.remove(i)
	} else if s.Flags&FlagSYN == 0 {
		pickup = t.rem.pickedUp(h)
	}
	c = t.open(key, s, prev)
	c.pickup = pickup
	c.process(t, s, srcIsLo)
	if c.charged > 0 && t.budget.over() {
		t.relieve()
	}
}

// Advance moves network time forward without a packet (a live sensor
// calls it on a ticker so idle flows end while the wire is quiet; the
// Dispatcher, so that a shard that saw none of the latest packets frees
// its idle flows too). Idle flows end on the same once-a-second sweep as
// with packets, with the times their own packets give (clock.go).
func (t *Table) Advance(now time.Time) { t.tick(now.UnixNano()) }

// Flush hands out every connection still collecting bytes (EndFlush, or
// EndIdle, EndVerdictTimeout or EndDecided for those whose silence by the
// latest packet time ends them) and
// empties the table: the end of a capture file or a shutdown.
func (t *Table) Flush() {
	t.expire() // flows already idle (or past their verdict timeout) at the end of input end so
	for _, l := range []*connList{&t.active, &t.speaking, &t.notTLS, &t.closing, &t.udp.active} {
		for c := l.head; c != nil; c = l.head {
			t.end(c, EndFlush)
		}
	}
	for c := t.udp.finished.head; c != nil; c = t.udp.finished.head {
		t.remove(c)
	}
	t.rem.reset()
}

func (t *Table) open(key Key, s *Segment, prev uint64) *conn {
	if len(t.conns) >= t.cfg.MaxFlows {
		t.expire() // what has timed out makes room first, whenever the last sweep ran
		if len(t.conns) >= t.cfg.MaxFlows {
			t.evict()
		}
	}
	var c *conn
	if n := len(t.free); n > 0 {
		c = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		c = new(conn)
	}
	c.init(key, s, prev)
	c.seen = t.now
	t.conns[key] = c
	t.activeList(key.Transport).pushBack(c)
	t.stats.FlowsOpened++
	return c
}

func (t *Table) evict() {
	if c := t.udp.finished.head; c != nil {
		t.stats.EvictedFinished++
		t.remove(c)
		return
	}
	if c := t.leastRecentActive(); c != nil {
		t.stats.EvictedActive++
		t.end(c, EndEvicted)
	}
}

// expire ends connections idle for longer than the idle timeout, and
// hands out those whose silence decides their verdict (verdict timeout;
// a non-TLS client's first flight over), each at the time its own silence
// reached the timeout (lapse decides each). Every list is in recency
// order (network time of the last packet), so only their heads need
// looking at. Bytes held back for a peer's past heldQuiet go on first
// (ackorder.go): a hold began at or before its connection's last packet,
// so its end comes before any timeout of silence.
func (t *Table) expire() {
	t.expireHeld()
	for _, l := range [...]*connList{&t.active, &t.notTLS, &t.speaking, &t.closing} {
		t.expireList(l)
	}
	t.rem.expire(t.now, int64(t.cfg.IdleTimeout), int64(t.cfg.ClosedTimeout))
	t.expireUDP()
}

// expireList ends the connections of l that lapse (silent past l's
// timeout): l is in recency order, so only its head needs looking at.
func (t *Table) expireList(l *connList) {
	for l.head != nil && t.lapse(l.head) {
	}
}

// firstFlightQuiet is how long a client that does not speak TLS to a TLS
// port holds still before its first flight counts as over: its verdict
// then comes within about two seconds (the sweep runs once a second), and
// its record says when the bytes decided it.
const firstFlightQuiet = time.Second

func (t *Table) touch(c *conn) { c.list.moveToBack(c) }

// end hands out the connection if it has not been already, then forgets
// it; a TCP connection cut short by a full table is remembered, so that
// the rest of it is not reborn as a new flow.
func (t *Table) end(c *conn, why EndReason) { t.endAt(c, why, t.now) }

// endAt is end for a connection decided at packet time at.
func (t *Table) endAt(c *conn, why EndReason, at int64) {
	if !c.emitted {
		t.handOut(c, why, at)
	}
	if why == EndEvicted && c.key.Transport == TransportTCP {
		t.remember(c)
	}
	t.remove(c)
}

// finish hands out a connection that is complete (or too old) and keeps
// it in mind so that its later packets are not taken for a new flow: a
// TCP connection in rem, a UDP flow on its finished list.
func (t *Table) finish(c *conn, why EndReason) { t.finishAt(c, why, t.now) }

// finishAt is finish for a connection decided at packet time at.
func (t *Table) finishAt(c *conn, why EndReason, at int64) {
	t.handOut(c, why, at)
	if c.key.Transport == TransportUDP {
		c.list.remove(c)
		t.udp.finished.pushBack(c)
		return
	}
	t.remember(c)
	t.remove(c)
}

// close hands out a TCP connection closed by FIN or RST, if it was not
// yet, and remembers it for the closed timeout.
func (t *Table) close(c *conn, why EndReason) { t.closeAt(c, why, t.now) }

// closeAt is close for a connection decided at packet time at.
func (t *Table) closeAt(c *conn, why EndReason, at int64) {
	if !c.emitted {
		t.handOut(c, why, at)
	}
	c.closed = true
	t.remember(c)
	t.remove(c)
}

// remember moves a handed-out TCP connection's key and state to rem.
func (t *Table) remember(c *conn) {
	e := remEntry{key: c.key, hash: uint32(c.hash), id: c.id, seen: c.seen}
	if c.closed {
		e.state |= remClosed
	}
	for d := range c.halves {
		h := &c.halves[d]
		if h.finSeen {
			e.state |= remFinLo << d
		}
		if h.synSeen {
			e.state |= remSynLo << d
			e.isn[d] = h.isn
		}
	}
	if t.rem.live == t.rem.bound {
		// Timed-out entries make room first, whenever the last sweep ran.
		t.rem.expire(t.now, int64(t.cfg.IdleTimeout), int64(t.cfg.ClosedTimeout))
	}
	if t.rem.add(e) {
		t.stats.EvictedFinished++
	}
}

func (t *Table) handOut(c *conn, why EndReason, at int64) {
	f := c.toFlow(t, why)
	f.Decided = time.Unix(0, min(at, t.now)).UTC()
	t.release(c) // its buffers are the flow's now
	c.emitted = true
	t.stats.Emitted[why]++
	if f.PrefixGap {
		t.stats.Gaps++
	}
	t.emit(f)
}

func (t *Table) remove(c *conn) {
	c.list.remove(c)
	delete(t.conns, c.key)
	t.release(c)
	c.release()
	if len(t.free) < 1024 {
		t.free = append(t.free, c)
	}
}
