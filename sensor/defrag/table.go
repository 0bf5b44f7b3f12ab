package defrag

import (
	"encoding/binary"
	"slices"
	"time"

	"github.com/tlsentry/tlsentry/internal/inetsum"
)

// Config bounds a Table. Zero fields take the defaults.
type Config struct {
	// MaxDatagrams is how many datagrams are in reassembly at once.
	MaxDatagrams int
	// MaxBytes bounds the payload bytes they hold together.
	MaxBytes int
	// Timeout is how long, in packet time, a datagram waits for its
	// fragments after its first (Linux's ipfrag_time is 30 s).
	Timeout time.Duration
}

// Defaults.
const (
	DefaultMaxDatagrams = 4096
	DefaultMaxBytes     = 16 << 20
	DefaultTimeout      = 30 * time.Second
)

// maxPayload is the most an IP datagram carries (a fragment offset of
// 8191 eighths plus a fragment).
const maxPayload = 65535

// Stats counts what a Table did.
type Stats struct {
	Fragments   uint64 // fragments taken
	Reassembled uint64 // datagrams made whole
	Overlaps    uint64 // datagrams discarded for overlapping fragments
	TimedOut    uint64 // datagrams given up after Timeout
	Evicted     uint64 // datagrams given up for room
	Invalid     uint64 // fragments that contradict themselves or their datagram
}

type key struct {
	src, dst [16]byte
	id       uint32
	proto    uint8 // IPv4's protocol; 0 for IPv6 (its next header is the datagram's)
	v6       bool
}

type span struct{ from, to int }

// datagram is one datagram in reassembly.
type datagram struct {
	first  int64  // packet time of its first fragment (ns)
	seq    uint64 // its place in the table's arrival order
	header []byte // the offset-0 fragment's header (IPv6: up to the fragment header), nil until it comes
	next   uint8  // IPv6: the next header after the fragment header
	nextAt int    // IPv6: where in header the next-header byte that named the fragment header is
	data   []byte // payload, as far as the highest fragment end seen
	have   []span // received payload ranges, sorted and merged
	total  int    // payload length, -1 until the last fragment came
	// smallest is the IP length of its smallest fragment but the last
	// (0 until one came).
	smallest int
}

// Table reassembles fragments. It is not safe for concurrent use: each
// capture reader has its own.
type Table struct {
	cfg   Config
	m     map[key]*datagram
	order []arrival // datagrams in the order they came (entries of ones gone are skipped)
	seq   uint64
	bytes int
	out   []byte
	tiny  int // Tiny's answer for out
	stats Stats
}

// The least a fragment but a datagram's last needs to be for any link of
// today's networks: IPv4's datagram every host must take (RFC 791) and
// IPv6's minimum MTU (RFC 8200). A sender, or a router on its path,
// never needs to cut a datagram smaller; tools that cut a handshake to
// slip past monitors that do not reassemble do (fragroute, nmap -f).
const (
	MinIPv4Fragment = 576
	MinIPv6Fragment = 1280
)

// New returns an empty table.
func New(cfg Config) *Table {
	if cfg.MaxDatagrams <= 0 {
		cfg.MaxDatagrams = DefaultMaxDatagrams
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	return &Table{cfg: cfg, m: map[key]*datagram{}}
}

// Stats returns the counters so far.
func (t *Table) Stats() Stats { return t.stats }

// Tiny is, for the datagram Add made whole last, the IP length of its
// smallest fragment but the last when that is below what any link needs
// (MinIPv4Fragment, MinIPv6Fragment), and 0 otherwise.
func (t *Table) Tiny() int { return t.tiny }

// Len is how many datagrams are in reassembly.
func (t *Table) Len() int { return len(t.m) }

// fragment is what Add reads of a fragment.
type fragment struct {
	key     key
	header  []byte // IPv4: its header; IPv6: everything before the fragment header
	next    uint8  // IPv6: the fragment header's next header
	nextAt  int    // IPv6: the place in header of the next-header byte that names the fragment header
	off     int    // payload offset, bytes
	more    bool
	payload []byte
}

// Add takes one fragment, pkt its IP packet from the IP header on, seen at
// packet time at (Unix ns). When it completes its datagram, Add returns
// the whole packet: the first fragment's header with the fragmentation
// cleared and the lengths set (IPv6: without the fragment header), then
// the payload. The packet is valid until the next Add. A packet that is
// not a fragment is not taken.
func (t *Table) Add(pkt []byte, at int64) ([]byte, bool) {
	f, ok := parse(pkt)
	if !ok {
		t.stats.Invalid++
		return nil, false
	}
	t.stats.Fragments++
	t.expire(at)
	d := t.m[f.key]
	if d == nil {
		d = &datagram{first: at, total: -1, seq: t.seq}
		t.seq++
		t.m[f.key] = d
		t.order = append(t.order, arrival{f.key, d.seq})
	}
	end := f.off + len(f.payload)
	switch {
	case end > maxPayload, !f.more && d.total >= 0 && d.total != end,
		f.more && len(f.payload)%8 != 0, d.total >= 0 && end > d.total, !f.more && end < len(d.data):
		t.stats.Invalid++
		t.remove(f.key, d)
		return nil, false
	}
	if dup, overlap := d.covers(f.off, end, f.payload); overlap {
		t.stats.Overlaps++
		t.remove(f.key, d)
		return nil, false
	} else if dup {
		return nil, false
	}
	if !f.more {
		d.total = end
	}
	if f.off == 0 {
		d.header = append(d.header[:0], f.header...)
		d.next, d.nextAt = f.next, f.nextAt
	}
	if end > len(d.data) {
		t.bytes += end - len(d.data)
		d.data = append(d.data, make([]byte, end-len(d.data))...)
	}
	copy(d.data[f.off:end], f.payload)
	d.add(span{f.off, end})
	if f.more {
		size := len(f.header) + len(f.payload)
		if f.key.v6 {
			size += 8 // the fragment header
		}
		if d.smallest == 0 || size < d.smallest {
			d.smallest = size
		}
	}
	if d.total < 0 || d.header == nil || len(d.have) != 1 || d.have[0] != (span{0, d.total}) {
		t.fit()
		return nil, false
	}
	if d.lengthField(f.key.v6) > maxPayload {
		// Whole, the datagram would be longer than its length field can
		// say (the "ping of death"): no host takes it.
		t.stats.Invalid++
		t.remove(f.key, d)
		return nil, false
	}
	t.out = d.assemble(t.out[:0], f.key.v6)
	least := MinIPv4Fragment
	if f.key.v6 {
		least = MinIPv6Fragment
	}
	t.tiny = 0
	if d.smallest < least {
		t.tiny = d.smallest // 0 for a datagram in one fragment
	}
	t.stats.Reassembled++
	t.remove(f.key, d)
	return t.out, true
}

// covers reports whether [from, to) repeats bytes already received
// exactly (dup), or overlaps them otherwise.
func (d *datagram) covers(from, to int, b []byte) (dup, overlap bool) {
	for _, s := range d.have {
		if s.to <= from || s.from >= to {
			continue
		}
		if s.from <= from && to <= s.to && string(d.data[from:to]) == string(b) {
			return true, false
		}
		return false, true
	}
	return false, false
}

// add merges s into the received ranges.
func (d *datagram) add(s span) {
	i, _ := slices.BinarySearchFunc(d.have, s, func(a, b span) int { return a.from - b.from })
	d.have = slices.Insert(d.have, i, s)
	merged := d.have[:1]
	for _, r := range d.have[1:] {
		last := &merged[len(merged)-1]
		if r.from <= last.to {
			last.to = max(last.to, r.to)
			continue
		}
		merged = append(merged, r)
	}
	d.have = merged
}

// lengthField is what the whole packet's length field says: IPv4's total
// length, IPv6's payload length (extension headers included).
func (d *datagram) lengthField(v6 bool) int {
	if v6 {
		return len(d.header) - 40 + d.total
	}
	return len(d.header) + d.total
}

// assemble appends the whole packet to out.
func (d *datagram) assemble(out []byte, v6 bool) []byte {
	out = append(out, d.header...)
	h := out[:len(d.header)]
	if v6 {
		h[d.nextAt] = d.next
		binary.BigEndian.PutUint16(h[4:6], uint16(d.lengthField(true)))
	} else {
		binary.BigEndian.PutUint16(h[2:4], uint16(d.lengthField(false)))
		binary.BigEndian.PutUint16(h[6:8], 0) // no fragmentation left
		h[10], h[11] = 0, 0
		binary.BigEndian.PutUint16(h[10:12], inetsum.Checksum(h))
	}
	return append(out, d.data[:d.total]...)
}

// arrival is a datagram's place in the table's arrival order: its key,
// and its seq, which tells it from a later datagram with the same key.
type arrival struct {
	k   key
	seq uint64
}

// oldest is the datagram that came first of those in reassembly; the
// entries of datagrams gone before it are dropped on the way.
func (t *Table) oldest() (key, *datagram, bool) {
	for len(t.order) > 0 {
		a := t.order[0]
		if d := t.m[a.k]; d != nil && d.seq == a.seq {
			return a.k, d, true
		}
		t.order = t.order[1:]
	}
	t.order = nil // let the drained backing array go
	return key{}, nil, false
}

// expire gives up datagrams older than the timeout.
func (t *Table) expire(at int64) {
	for k, d, ok := t.oldest(); ok && at-d.first > int64(t.cfg.Timeout); k, d, ok = t.oldest() {
		t.stats.TimedOut++
		t.remove(k, d)
	}
}

// fit gives up the oldest datagrams while the table is over its bounds.
func (t *Table) fit() {
	for len(t.m) > t.cfg.MaxDatagrams || t.bytes > t.cfg.MaxBytes {
		k, d, ok := t.oldest()
		if !ok {
			return
		}
		t.stats.Evicted++
		t.remove(k, d)
	}
}

func (t *Table) remove(k key, d *datagram) {
	t.bytes -= len(d.data)
	delete(t.m, k)
}
