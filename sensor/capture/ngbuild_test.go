package capture

import (
	"encoding/binary"
)

// ngFile builds pcapng files for tests, block by block, in the byte
// order of the section being written.
type ngFile struct {
	buf   []byte
	order byteOrder
}

// byteOrder is binary.LittleEndian or binary.BigEndian.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// ngOpt is one option of a block.
type ngOpt struct {
	code  uint16
	value []byte
}

func (f *ngFile) u16(v uint16) []byte { return f.order.AppendUint16(nil, v) }
func (f *ngFile) u32(v uint32) []byte { return f.order.AppendUint32(nil, v) }

// block appends a block: type, total length, the body padded to 4 bytes,
// the length again. It returns the block's offset.
func (f *ngFile) block(typ uint32, body []byte) int {
	off := len(f.buf)
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	n := uint32(12 + len(body))
	f.buf = f.order.AppendUint32(f.buf, typ)
	f.buf = f.order.AppendUint32(f.buf, n)
	f.buf = append(f.buf, body...)
	f.buf = f.order.AppendUint32(f.buf, n)
	return off
}

func (f *ngFile) options(opts []ngOpt) []byte {
	var b []byte
	for _, o := range opts {
		b = append(b, f.u16(o.code)...)
		b = append(b, f.u16(uint16(len(o.value)))...)
		b = append(b, o.value...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
	}
	if len(opts) > 0 {
		b = append(b, 0, 0, 0, 0) // opt_endofopt
	}
	return b
}

// shb starts a section in the given byte order and version.
func (f *ngFile) shb(order byteOrder, major, minor uint16) int {
	f.order = order
	body := f.u32(0x1a2b3c4d)
	body = append(body, f.u16(major)...)
	body = append(body, f.u16(minor)...)
	body = append(body, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff) // section length unknown
	body = append(body, f.options([]ngOpt{{4, []byte("tlsentry test")}})...)
	return f.block(blockSHB, body)
}

func (f *ngFile) idb(link uint16, snap uint32, opts ...ngOpt) int {
	body := append(f.u16(link), 0, 0)
	body = append(body, f.u32(snap)...)
	return f.block(blockIDB, append(body, f.options(opts)...))
}

func (f *ngFile) epb(iface uint32, ts uint64, data []byte, opts ...ngOpt) int {
	body := f.u32(iface)
	body = append(body, f.u32(uint32(ts>>32))...)
	body = append(body, f.u32(uint32(ts))...)
	body = append(body, f.u32(uint32(len(data)))...)
	body = append(body, f.u32(uint32(len(data)+10))...)
	body = append(body, data...)
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	return f.block(blockEPB, append(body, f.options(opts)...))
}

// pb appends an obsolete packet block.
func (f *ngFile) pb(iface uint16, ts uint64, data []byte) int {
	body := append(f.u16(iface), 0, 0) // drops count
	body = append(body, f.u32(uint32(ts>>32))...)
	body = append(body, f.u32(uint32(ts))...)
	body = append(body, f.u32(uint32(len(data)))...)
	body = append(body, f.u32(uint32(len(data)))...)
	return f.block(blockPB, append(body, data...))
}

// spb appends a simple packet block of a packet origLen long on the wire
// (data is what the block holds).
func (f *ngFile) spb(origLen uint32, data []byte) int {
	return f.block(blockSPB, append(f.u32(origLen), data...))
}

// tsresol and tsoffset are options of an interface description block.
func tsresol(v byte) ngOpt { return ngOpt{optTSResol, []byte{v}} }

func (f *ngFile) tsoffset(sec int64) ngOpt {
	return ngOpt{optTSOffset, f.order.AppendUint64(nil, uint64(sec))}
}

// put overwrites the 32-bit value at off in the section's byte order.
func (f *ngFile) put(off int, v uint32) { f.order.PutUint32(f.buf[off:], v) }
