package capture

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// ngInterface is what an interface description block says of the
// packets captured on it.
type ngInterface struct {
	linkType uint32
	snapLen  uint32 // 0: no limit
	units    uint64 // timestamp units per second (if_tsresol; 10^6 unless said)
	offset   int64  // seconds added to every timestamp (if_tsoffset)
}

// Options of an interface description block that the reader uses.
const (
	optEnd      = 0
	optTSResol  = 9
	optTSOffset = 14
)

// iface reads an interface description block.
func (p *pcapngReader) iface(b []byte) error {
	if len(p.ifaces) >= maxInterfaces {
		return malformed("more than %d interfaces in one section", maxInterfaces)
	}
	o := p.order
	ifc := ngInterface{linkType: uint32(o.Uint16(b[8:])), snapLen: o.Uint32(b[12:]), units: 1e6}
	err := options(o, b[16:len(b)-4], func(code uint16, v []byte) error {
		switch code {
		case optTSResol:
			if len(v) != 1 {
				return malformed("if_tsresol option of %d bytes (it has 1)", len(v))
			}
			units, err := resolution(v[0])
			if err != nil {
				return err
			}
			ifc.units = units
		case optTSOffset:
			if len(v) != 8 {
				return malformed("if_tsoffset option of %d bytes (it has 8)", len(v))
			}
			ifc.offset = int64(o.Uint64(v))
		}
		return nil
	})
	if err != nil {
		return err
	}
	p.ifaces = append(p.ifaces, ifc)
	return nil
}

// resolution turns if_tsresol into timestamp units per second: a negative
// power of 10, or of 2 when the top bit is set.
func resolution(v byte) (uint64, error) {
	if v&0x80 != 0 {
		e := v & 0x7f
		if e > 63 {
			return 0, malformed("if_tsresol 2^-%d is finer than this reader takes (2^-63)", e)
		}
		return 1 << e, nil
	}
	if v > 19 {
		return 0, malformed("if_tsresol 10^-%d is finer than this reader takes (10^-19)", v)
	}
	u := uint64(1)
	for range v {
		u *= 10
	}
	return u, nil
}

// options walks a block's options, every length checked against the
// space left, until opt_endofopt or the end of the space.
func options(o binary.ByteOrder, b []byte, visit func(code uint16, value []byte) error) error {
	for len(b) > 0 {
		if len(b) < 4 {
			return malformed("%d bytes left where an option header takes 4", len(b))
		}
		code, n := o.Uint16(b), int(o.Uint16(b[2:]))
		if code == optEnd {
			return nil
		}
		padded := (n + 3) &^ 3
		if 4+padded > len(b) {
			return malformed("option %d of %d bytes runs past the block (%d bytes left)", code, n, len(b)-4)
		}
		if err := visit(code, b[4:4+n]); err != nil {
			return err
		}
		b = b[4+padded:]
	}
	return nil
}

// packet reads an enhanced, simple or obsolete packet block.
func (p *pcapngReader) packet(typ uint32, b []byte) (data []byte, ts int64, link uint32, err error) {
	o := p.order
	var (
		id     uint32
		caplen uint32
		start  = 28 // the data's offset in the block
		stamp  = true
	)
	switch typ {
	case blockEPB:
		id, caplen = o.Uint32(b[8:]), o.Uint32(b[20:])
	case blockPB:
		id, caplen = uint32(o.Uint16(b[8:])), o.Uint32(b[20:])
	case blockSPB:
		// Interface 0's packets, of the original length cut at its snap
		// length, without a timestamp.
		start, stamp = 12, false
		caplen = o.Uint32(b[8:])
	}
	if int64(id) >= int64(len(p.ifaces)) {
		return nil, 0, 0, malformed("interface %d is not described in this section (it describes %d)", id, len(p.ifaces))
	}
	ifc := &p.ifaces[id]
	if typ == blockSPB && ifc.snapLen != 0 {
		caplen = min(caplen, ifc.snapLen)
	}
	room := len(b) - start - 4
	if int64(caplen) > int64(room) {
		return nil, 0, 0, malformed("captured length %d runs past the block (room for %d bytes)", caplen, room)
	}
	if limit := max(int(ifc.snapLen), maxCaptureLen); int(caplen) > limit {
		return nil, 0, 0, tooLong(int(caplen), limit)
	}
	if stamp {
		p.lastTime = ifc.unixNanos(uint64(o.Uint32(b[12:]))<<32 | uint64(o.Uint32(b[16:])))
	}
	return b[start : start+int(caplen)], p.lastTime, ifc.linkType, nil
}

// unixNanos turns a timestamp in the interface's units into Unix
// nanoseconds, exactly (to the nanosecond below), clamped to what an
// int64 of nanoseconds holds (the years 1678 to 2262).
func (ifc *ngInterface) unixNanos(ts uint64) int64 {
	sec, frac := ts/ifc.units, ts%ifc.units
	ns := frac
	if ifc.units != 1e9 {
		hi, lo := bits.Mul64(frac, 1e9)
		ns, _ = bits.Div64(hi, lo, ifc.units) // frac < units: the quotient fits
	}
	// Both terms within ±2^62: their sum cannot overflow.
	s := int64(min(sec, 1<<62)) + max(min(ifc.offset, 1<<62), -1<<62)
	const perSec = 1_000_000_000
	const maxSec, minSec = math.MaxInt64 / perSec, math.MinInt64 / perSec
	switch {
	case s > maxSec || (s == maxSec && int64(ns) > math.MaxInt64-maxSec*perSec):
		return math.MaxInt64
	case s < minSec:
		return math.MinInt64
	}
	return s*perSec + int64(ns)
}
