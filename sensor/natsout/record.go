package natsout

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"sync"
)

// kind is a record type as the output and its spool know it. The spool
// gives way in evictOrder when full: the oldest flow records first,
// alerts last.
type kind uint8

const (
	kindAlert kind = iota
	kindFlow
	numKinds
)

var kindNames = [numKinds]string{TypeAlert, TypeFlow}

// evictOrder is the order in which a full spool gives up its records.
var evictOrder = [numKinds]kind{kindFlow, kindAlert}

func (k kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "unknown"
}

// kindOf is the kind of a record type name.
func kindOf(name string) (kind, bool) {
	for k, n := range kindNames {
		if n == name {
			return kind(k), true
		}
	}
	return 0, false
}

// priority is a kind's rank when the spool is full: a record may push out
// only records of its own rank or lower.
func (k kind) priority() int {
	for i, e := range evictOrder {
		if e == k {
			return i
		}
	}
	return 0
}

// record is one eve record on its way to the server.
type record struct {
	kind kind
	seq  uint64 // order of arrival, across kinds and restarts
	id   string // Nats-Msg-Id: the stream drops a second copy
	data []byte // the JSON object, as the log files have it

	fromSpool bool    // taken from the spool
	attempts  int     // sends so far
	buf       *[]byte // data's pooled memory; nil when data is its own
}

// linePool keeps the memory of records' data from record to record: a
// sensor copies every line it publishes, and fresh memory for each would
// cost more than the copy.
var linePool = sync.Pool{New: func() any { return new([]byte) }}

// setData copies line into pooled memory for r.
func (r *record) setData(line []byte) {
	bp := linePool.Get().(*[]byte)
	if cap(*bp) < len(line) {
		*bp = make([]byte, 0, len(line))
	}
	r.buf = bp
	r.data = append((*bp)[:0], line...)
}

// release gives r's pooled memory back once nothing reads its data any
// more (acknowledged, spooled or dropped).
func (r *record) release() {
	if r.buf != nil {
		*r.buf = r.data[:0]
		linePool.Put(r.buf)
		r.buf, r.data = nil, nil
	}
}

// The spool's on-disk form of a record: an 8-byte header (the body's
// length and its CRC-32C, little-endian) and the body: format version,
// kind, sequence number, the id's length and the id, then the data.
const (
	headerSize     = 8
	bodyFixed      = 1 + 1 + 8 + 2
	recordVersion  = 1
	maxIDLen       = 1024
	maxRecordBytes = 8 << 20 // a record is a line of at most a few tens of KB
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errCorrupt marks spool bytes that are not a record.
var errCorrupt = errors.New("natsout: corrupt spool record")

// size is the record's length on disk.
func (r *record) size() int64 { return int64(headerSize + bodyFixed + len(r.id) + len(r.data)) }

// appendRecord appends r's on-disk form to b.
func appendRecord(b []byte, r *record) []byte {
	start := len(b)
	b = append(b, make([]byte, headerSize)...)
	b = append(b, recordVersion, byte(r.kind))
	b = binary.LittleEndian.AppendUint64(b, r.seq)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(r.id)))
	b = append(b, r.id...)
	b = append(b, r.data...)
	body := b[start+headerSize:]
	binary.LittleEndian.PutUint32(b[start:], uint32(len(body)))
	binary.LittleEndian.PutUint32(b[start+4:], crc32.Checksum(body, castagnoli))
	return b
}

// parseHeader returns the body length and checksum of a record header,
// or errCorrupt for a length no record has.
func parseHeader(h []byte) (n int, sum uint32, err error) {
	n = int(binary.LittleEndian.Uint32(h))
	if n < bodyFixed || n > maxRecordBytes {
		return 0, 0, fmt.Errorf("%w: body of %d bytes", errCorrupt, n)
	}
	return n, binary.LittleEndian.Uint32(h[4:]), nil
}

// parseBody decodes a record body whose checksum is sum. The record's
// data and id are copies: body may be reused.
func parseBody(body []byte, sum uint32) (*record, error) {
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch", errCorrupt)
	}
	if len(body) < bodyFixed {
		return nil, fmt.Errorf("%w: short body", errCorrupt)
	}
	if body[0] != recordVersion {
		return nil, fmt.Errorf("%w: format version %d", errCorrupt, body[0])
	}
	k := kind(body[1])
	if k >= numKinds {
		return nil, fmt.Errorf("%w: record type %d", errCorrupt, body[1])
	}
	seq := binary.LittleEndian.Uint64(body[2:])
	idLen := int(binary.LittleEndian.Uint16(body[10:]))
	rest := body[bodyFixed:]
	if idLen == 0 || idLen > maxIDLen || idLen > len(rest) {
		return nil, fmt.Errorf("%w: id of %d bytes", errCorrupt, idLen)
	}
	return &record{kind: k, seq: seq, id: string(rest[:idLen]), data: append([]byte(nil), rest[idLen:]...)}, nil
}

// decodeRecord decodes one whole on-disk record (header and body) from
// b and says how many bytes it took.
func decodeRecord(b []byte) (*record, int, error) {
	if len(b) < headerSize {
		return nil, 0, fmt.Errorf("%w: short header", errCorrupt)
	}
	n, sum, err := parseHeader(b)
	if err != nil {
		return nil, 0, err
	}
	if len(b)-headerSize < n {
		return nil, 0, fmt.Errorf("%w: body cut short", errCorrupt)
	}
	r, err := parseBody(b[headerSize:headerSize+n], sum)
	if err != nil {
		return nil, 0, err
	}
	return r, headerSize + n, nil
}
