package natsout

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// segment is one file of a kind's queue.
type segment struct {
	index   uint64
	path    string
	start   int64 // offset of the first record not yet taken
	size    int64 // bytes written to it (flushed or not)
	records int64 // records from start on
}

// kindQueue is the queue of one record kind: segment files read from the
// first and written at the last.
type kindQueue struct {
	s    *spool
	kind kind
	segs []*segment

	// Reading segs[0]: head is the next record, read but not yet taken
	// (its bytes start at segs[0].start).
	r        *os.File
	br       *bufio.Reader
	roff     int64
	head     *record
	headSize int64

	// Writing the last segment.
	w       *os.File
	bw      *bufio.Writer
	flushed int64 // bytes of the last segment in the file
	buf     []byte

	// The buffers, kept from file to file.
	rbuf *bufio.Reader
	wbuf *bufio.Writer

	bytes, records int64
	nextIndex      uint64
}

func (q *kindQueue) headPath() string { return filepath.Join(q.s.dir, q.kind.String()+headSuffix) }

// load scans the segments an earlier run left: from the saved reading
// points, every record is checked and counted; a torn or corrupt end (a
// crash in the middle of a write) is cut off, fully read segments are
// removed.
func (q *kindQueue) load() error {
	sortSegments(q.segs)
	starts := readHeads(q.headPath())
	for _, seg := range q.segs {
		seg.start = starts[seg.index]
	}
	kept := q.segs[:0]
	for _, seg := range q.segs {
		if err := q.scan(seg); err != nil {
			return err
		}
		if seg.records == 0 {
			if err := os.Remove(seg.path); err != nil {
				return fmt.Errorf("natsout: spool: %w", err)
			}
			continue
		}
		kept = append(kept, seg)
		q.bytes += seg.size - seg.start
		q.records += seg.records
	}
	q.segs = kept
	if n := len(q.segs); n > 0 {
		q.nextIndex = q.segs[n-1].index + 1
		q.flushed = q.segs[n-1].size
	}
	return nil
}

// scan checks a segment's records from its start, cutting the file at
// the first bytes that are not a record.
func (q *kindQueue) scan(seg *segment) error {
	f, err := os.Open(seg.path)
	if err != nil {
		return fmt.Errorf("natsout: spool: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("natsout: spool: %w", err)
	}
	if seg.start > st.Size() {
		seg.start = st.Size()
	}
	br := bufio.NewReaderSize(io.NewSectionReader(f, seg.start, st.Size()-seg.start), 64<<10)
	off := seg.start
	var body []byte
	for off < st.Size() {
		r, n, err := readRecord(br, &body)
		if err != nil {
			// Cut here: what follows cannot be trusted to be records.
			q.s.dropped(q.kind, DropCorrupt, 1)
			if terr := os.Truncate(seg.path, off); terr != nil {
				return fmt.Errorf("natsout: spool: %w", terr)
			}
			break
		}
		off += n
		seg.records++
		q.s.lastSeq = max(q.s.lastSeq, r.seq)
	}
	seg.size = off
	return nil
}

// readRecord reads one record from br, using *body as its buffer, and
// says how many bytes it took.
func readRecord(br *bufio.Reader, body *[]byte) (*record, int64, error) {
	var h [headerSize]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return nil, 0, fmt.Errorf("%w: %w", errCorrupt, err)
	}
	n, sum, err := parseHeader(h[:])
	if err != nil {
		return nil, 0, err
	}
	if cap(*body) < n {
		*body = make([]byte, n)
	}
	b := (*body)[:n]
	if _, err := io.ReadFull(br, b); err != nil {
		return nil, 0, fmt.Errorf("%w: %w", errCorrupt, err)
	}
	r, err := parseBody(b, sum)
	if err != nil {
		return nil, 0, err
	}
	return r, int64(headerSize + n), nil
}

// append writes r at the end of the queue.
func (q *kindQueue) append(r *record) error {
	tail, err := q.tail()
	if err != nil {
		return err
	}
	q.buf = appendRecord(q.buf[:0], r)
	if _, err := q.bw.Write(q.buf); err != nil {
		return fmt.Errorf("natsout: spool: %w", err)
	}
	n := int64(len(q.buf))
	tail.size += n
	tail.records++
	q.bytes += n
	q.records++
	q.s.bytes += n
	q.s.records++
	return nil
}

// tail returns the segment being written, opening a new one when there
// is none or the last is full.
func (q *kindQueue) tail() (*segment, error) {
	if n := len(q.segs); n > 0 && q.segs[n-1].size < q.s.segMax {
		last := q.segs[n-1]
		if q.w == nil {
			f, err := os.OpenFile(last.path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				return nil, fmt.Errorf("natsout: spool: %w", err)
			}
			q.w, q.bw = f, q.writer(f)
		}
		return last, nil
	}
	if err := q.closeWriter(); err != nil {
		return nil, err
	}
	seg := &segment{index: q.nextIndex, path: filepath.Join(q.s.dir, segmentName(q.kind, q.nextIndex))}
	f, err := os.OpenFile(seg.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return nil, fmt.Errorf("natsout: spool: %w", err)
	}
	q.nextIndex++
	q.w, q.bw, q.flushed = f, q.writer(f), 0
	q.segs = append(q.segs, seg)
	return seg, nil
}

// peek returns the oldest record of the queue without taking it; nil
// when the queue is empty. A segment that turns out corrupt is given up
// (counted) and reading goes on with the next.
func (q *kindQueue) peek() (*record, error) {
	for q.head == nil && q.records > 0 {
		seg := q.segs[0]
		if seg.start >= seg.size || seg.records == 0 {
			if err := q.dropFirst(); err != nil {
				return nil, err
			}
			continue
		}
		if err := q.openReader(seg); err != nil {
			return nil, err
		}
		if len(q.segs) == 1 && q.bw != nil && q.bw.Buffered() > 0 {
			// The next record may still be in the write buffer.
			if err := q.flush(); err != nil {
				return nil, err
			}
		}
		var body []byte
		r, n, err := readRecord(q.br, &body)
		if err != nil {
			if !errors.Is(err, errCorrupt) {
				return nil, err
			}
			q.s.dropped(q.kind, DropCorrupt, 1)
			lost := seg.size - seg.start
			q.bytes -= lost
			q.s.bytes -= lost
			q.records -= seg.records
			q.s.records -= seg.records
			seg.records, seg.start = 0, seg.size
			continue
		}
		q.roff += n
		q.head, q.headSize = r, n
	}
	return q.head, nil
}

// openReader opens seg for reading at its start, unless it is open.
func (q *kindQueue) openReader(seg *segment) error {
	if q.r != nil && q.roff == seg.start {
		return nil
	}
	q.closeReader()
	f, err := os.Open(seg.path)
	if err != nil {
		return fmt.Errorf("natsout: spool: %w", err)
	}
	if _, err := f.Seek(seg.start, io.SeekStart); err != nil {
		f.Close()
		return fmt.Errorf("natsout: spool: %w", err)
	}
	if q.rbuf == nil {
		q.rbuf = bufio.NewReaderSize(f, 64<<10)
	}
	q.rbuf.Reset(f)
	q.r, q.br, q.roff = f, q.rbuf, seg.start
	return nil
}

// writer is the queue's write buffer (kept from file to file) on f.
func (q *kindQueue) writer(f *os.File) *bufio.Writer {
	if q.wbuf == nil {
		q.wbuf = bufio.NewWriterSize(f, 64<<10)
	}
	q.wbuf.Reset(f)
	return q.wbuf
}

// pop takes the record peek returned.
func (q *kindQueue) pop() {
	seg := q.segs[0]
	seg.start += q.headSize
	seg.records--
	q.bytes -= q.headSize
	q.records--
	q.s.bytes -= q.headSize
	q.s.records--
	q.head, q.headSize = nil, 0
	if q.records == 0 {
		// Empty: the files go, a new one starts with the next record.
		q.reset()
	}
}

// dropFirst removes the first segment, read to its end.
func (q *kindQueue) dropFirst() error {
	seg := q.segs[0]
	q.closeReader()
	if len(q.segs) == 1 {
		if err := q.closeWriter(); err != nil {
			return err
		}
	}
	q.segs = q.segs[1:]
	if err := os.Remove(seg.path); err != nil {
		return fmt.Errorf("natsout: spool: %w", err)
	}
	return nil
}

// reset removes an empty queue's files.
func (q *kindQueue) reset() {
	q.closeFiles()
	for _, seg := range q.segs {
		os.Remove(seg.path)
	}
	q.segs = nil
	os.Remove(q.headPath())
}

// prepend writes recs to a new first segment, before everything the
// queue holds (and before the record peek read, which goes after them).
func (q *kindQueue) prepend(recs []*record) error {
	index := uint64(firstIndex)
	if len(q.segs) > 0 {
		index = q.segs[0].index - 1
	}
	if q.head != nil {
		recs = append(recs, q.head)
		// The peeked record moves to the new segment.
		q.segs[0].start += q.headSize
		q.segs[0].records--
		q.bytes -= q.headSize
		q.records--
		q.s.bytes -= q.headSize
		q.s.records--
		q.head, q.headSize = nil, 0
	}
	q.closeReader()
	seg := &segment{index: index, path: filepath.Join(q.s.dir, segmentName(q.kind, index))}
	var buf []byte
	for _, r := range recs {
		buf = appendRecord(buf, r)
		seg.records++
		q.s.lastSeq = max(q.s.lastSeq, r.seq)
	}
	if err := os.WriteFile(seg.path, buf, 0o640); err != nil {
		return fmt.Errorf("natsout: spool: %w", err)
	}
	seg.size = int64(len(buf))
	wasEmpty := len(q.segs) == 0
	q.segs = append([]*segment{seg}, q.segs...)
	if wasEmpty {
		q.nextIndex = index + 1
		q.flushed = seg.size
	}
	q.bytes += seg.size
	q.records += seg.records
	q.s.bytes += seg.size
	q.s.records += seg.records
	return nil
}

func (q *kindQueue) flush() error {
	if q.bw == nil || q.bw.Buffered() == 0 {
		return nil
	}
	if err := q.bw.Flush(); err != nil {
		return fmt.Errorf("natsout: spool: %w", err)
	}
	if n := len(q.segs); n > 0 {
		q.flushed = q.segs[n-1].size
	}
	return nil
}

func (q *kindQueue) syncTail() error {
	if q.w == nil {
		return nil
	}
	return q.w.Sync()
}

// saveHead writes where reading stopped in each segment, for the next
// run: "index offset" lines (hexadecimal index), for the segments read
// in part (a prepended segment can come before one read in part).
func (q *kindQueue) saveHead() error {
	var b []byte
	for _, seg := range q.segs {
		if seg.start > 0 {
			b = strconv.AppendUint(b, seg.index, 16)
			b = append(b, ' ')
			b = strconv.AppendInt(b, seg.start, 10)
			b = append(b, '\n')
		}
	}
	if len(b) == 0 {
		if err := os.Remove(q.headPath()); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	return writeFileAtomic(q.headPath(), b)
}

func (q *kindQueue) closeReader() {
	if q.r != nil {
		q.r.Close()
		q.r, q.br = nil, nil
	}
	q.head, q.headSize = nil, 0
}

func (q *kindQueue) closeWriter() error {
	if q.w == nil {
		return nil
	}
	err := q.bw.Flush()
	if cerr := q.w.Close(); err == nil {
		err = cerr
	}
	q.w, q.bw = nil, nil
	if err != nil {
		return fmt.Errorf("natsout: spool: %w", err)
	}
	return nil
}

func (q *kindQueue) closeFiles() error {
	q.closeReader()
	return q.closeWriter()
}
