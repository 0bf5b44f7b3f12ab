package natsout

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// spool is the bounded on-disk queue of records the server could not
// take yet: one queue of segment files per record kind, read back merged
// by sequence number, so records come out in the order they went in.
// When a record would take it past max bytes, the spool gives up the
// oldest records of the lowest kind first (flows before alerts), and a
// record never pushes out one of a higher kind: it is dropped itself.
// Every record given up is counted through dropped.
//
// Writes go through a buffer: Flush (the publisher calls it every second)
// and Close put them in the files, and Close writes where each queue's
// reading stopped, so a restarted sensor replays what is left. After a
// crash the spool replays from the last such point: a record can then be
// sent twice, and the stream's duplicate window drops the second copy.
//
// A spool is not safe for concurrent use; the Output serialises it.
type spool struct {
	dir     string
	max     int64 // bytes of records held, at most
	segMax  int64 // a segment stops taking records past this size
	queues  [numKinds]*kindQueue
	bytes   int64 // bytes of records held (headers included)
	records int64
	lastSeq uint64 // highest sequence number ever held
	dropped func(k kind, reason string, n int)
}

// Reasons records are dropped for.
const (
	DropSpoolFull = "spool_full" // the spool was full
	DropCorrupt   = "corrupt"    // spool bytes that were not a record (a crash mid-write); counts stretches, not records
	DropTooLarge  = "too_large"  // larger than the server or the spool takes
	DropClosed    = "closed"     // written after the output closed
	DropSpoolIO   = "spool_error"
)

const (
	segSuffix  = ".seg"
	headSuffix = ".head"
	minSegment = 64 << 10
	maxSegment = 16 << 20
	// firstIndex leaves room below for the segments a closing output
	// writes before the others (prepend).
	firstIndex = 1 << 32
)

// openSpool opens (creating it if need be) the spool in dir, holding at
// most limit bytes, and finds what an earlier run left there.
func openSpool(dir string, limit int64, dropped func(kind, string, int)) (*spool, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("natsout: spool: %w", err)
	}
	s := &spool{dir: dir, max: limit, segMax: min(max(limit/8, minSegment), maxSegment), dropped: dropped}
	for k := range numKinds {
		s.queues[k] = &kindQueue{s: s, kind: kind(k), nextIndex: firstIndex}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("natsout: spool: %w", err)
	}
	for _, e := range entries {
		k, index, ok := parseSegmentName(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		q := s.queues[k]
		q.segs = append(q.segs, &segment{index: index, path: filepath.Join(dir, e.Name())})
	}
	for _, q := range s.queues {
		if err := q.load(); err != nil {
			s.close()
			return nil, err
		}
		s.bytes += q.bytes
		s.records += q.records
	}
	// A smaller size than the last run had: give way now.
	if err := s.makeRoom(0, numKinds); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func segmentName(k kind, index uint64) string {
	return fmt.Sprintf("%s-%016x%s", k, index, segSuffix)
}

func parseSegmentName(name string) (kind, uint64, bool) {
	base, ok := strings.CutSuffix(name, segSuffix)
	if !ok {
		return 0, 0, false
	}
	kname, hex, ok := strings.Cut(base, "-")
	k, known := kindOf(kname)
	if !ok || !known || len(hex) != 16 {
		return 0, 0, false
	}
	index, err := strconv.ParseUint(hex, 16, 64)
	return k, index, err == nil
}

// Len returns the records and bytes held.
func (s *spool) Len() (records, bytes int64) { return s.records, s.bytes }

// Append adds r, first giving up older records if the spool is full,
// and says whether r was kept: it is dropped (and counted) when only
// records of a higher kind could make room.
func (s *spool) Append(r *record) (kept bool, err error) {
	size := r.size()
	if size > s.max || size-headerSize > maxRecordBytes {
		s.dropped(r.kind, DropTooLarge, 1)
		return false, nil
	}
	if err := s.makeRoom(size, r.kind); err != nil {
		s.dropped(r.kind, DropSpoolIO, 1)
		return false, err
	}
	if s.bytes+size > s.max {
		s.dropped(r.kind, DropSpoolFull, 1)
		return false, nil
	}
	if err := s.queues[r.kind].append(r); err != nil {
		s.dropped(r.kind, DropSpoolIO, 1)
		return false, err
	}
	s.lastSeq = max(s.lastSeq, r.seq)
	return true, nil
}

// makeRoom gives up the oldest records, lowest kind first, of kinds no
// higher than upTo (numKinds: any), until size more bytes fit.
func (s *spool) makeRoom(size int64, upTo kind) error {
	limit := int(numKinds)
	if upTo < numKinds {
		limit = upTo.priority() + 1
	}
	for _, k := range evictOrder[:limit] {
		q := s.queues[k]
		for s.bytes+size > s.max && q.records > 0 {
			r, err := q.peek()
			if err != nil {
				return err
			}
			if r == nil {
				break
			}
			q.pop()
			s.dropped(k, DropSpoolFull, 1)
		}
	}
	return nil
}

// Next takes the oldest record out of the spool; nil when it is empty.
func (s *spool) Next() (*record, error) {
	var best *kindQueue
	var bestSeq uint64
	for _, q := range s.queues {
		r, err := q.peek()
		if err != nil {
			return nil, err
		}
		if r != nil && (best == nil || r.seq < bestSeq) {
			best, bestSeq = q, r.seq
		}
	}
	if best == nil {
		return nil, nil
	}
	r := best.head
	best.pop()
	r.fromSpool = true
	return r, nil
}

// Prepend puts records back in front of everything the spool holds, in
// the order given (they came out of it, or never reached it, before the
// records it holds went in). The spool's bound holds after it, the
// oldest flows given up first.
func (s *spool) Prepend(recs []*record) error {
	var errs []error
	for _, q := range s.queues {
		var mine []*record
		for _, r := range recs {
			if r.kind == q.kind {
				mine = append(mine, r)
			}
		}
		if len(mine) > 0 {
			errs = append(errs, q.prepend(mine))
		}
	}
	errs = append(errs, s.makeRoom(0, numKinds))
	return errors.Join(errs...)
}

// Flush writes the buffered records to the files.
func (s *spool) Flush() error {
	var errs []error
	for _, q := range s.queues {
		errs = append(errs, q.flush())
	}
	return errors.Join(errs...)
}

// Close flushes and syncs the files and records where reading stopped.
func (s *spool) Close() error {
	var errs []error
	for _, q := range s.queues {
		errs = append(errs, q.flush(), q.syncTail(), q.saveHead())
	}
	errs = append(errs, s.close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("natsout: spool: %w", err)
	}
	return nil
}

func (s *spool) close() error {
	var errs []error
	for _, q := range s.queues {
		errs = append(errs, q.closeFiles())
	}
	return errors.Join(errs...)
}

// readHeads reads a queue's saved reading points: the offset reached in
// each segment read in part, by segment index. Lines that do not parse
// are ignored (the segment is then read from its start: records may be
// sent twice, never lost).
func readHeads(path string) map[uint64]int64 {
	out := map[uint64]int64{}
	b, err := os.ReadFile(path)
	if err != nil || len(b) > 1<<20 {
		return out
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		index, err1 := strconv.ParseUint(f[0], 16, 64)
		off, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 == nil && err2 == nil && off >= 0 {
			out[index] = off
		}
	}
	return out
}

// writeFileAtomic replaces path with data (a temporary file renamed).
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o640); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// sortSegments orders a queue's segments by index.
func sortSegments(segs []*segment) {
	slices.SortFunc(segs, func(a, b *segment) int {
		switch {
		case a.index < b.index:
			return -1
		case a.index > b.index:
			return 1
		}
		return 0
	})
}
