package evelog

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// handle is the open log file: an *os.File, or in tests one whose writes
// stop part way (a full disk).
type handle interface {
	io.WriteSeeker
	Truncate(size int64) error
	Sync() error
	Close() error
}

// put writes whole lines p to the file and returns how many of them were
// lost. A write that stops part way (a full disk) may leave the start of
// a line in the file; the next line would be glued to it, and two lines
// would be unreadable where one was lost ("…certifi{"timestamp":…").
// So the part is cut off again (the file is truncated back to the end of
// its last whole line), or, where that fails, the file is marked torn and
// the next write starts with a newline, which ends the part as a line of
// its own (unreadable, and counted as lost here). w.size loses the bytes
// that are not in the file. w's lock is held.
func (w *file) put(p []byte) (lost int, err error) {
	if w.torn {
		if err := w.mend(); err != nil {
			w.size -= int64(len(p))
			return bytes.Count(p, []byte{'\n'}), err
		}
	}
	n, err := w.f.Write(p)
	if err == nil {
		return 0, nil
	}
	whole := bytes.LastIndexByte(p[:n], '\n') + 1 // bytes of whole lines written
	kept := n
	if part := n - whole; part > 0 {
		if w.cut(int64(part)) {
			kept = whole
		} else {
			w.torn = true
		}
	}
	w.size -= int64(len(p) - kept)
	return bytes.Count(p[whole:], []byte{'\n'}), fmt.Errorf("evelog: write %s: %w", w.path, err)
}

// cut removes the last part bytes of the file, the start of a line a
// short write left. The file is opened for appending: its offset is the
// end of what was written. w's lock is held.
func (w *file) cut(part int64) bool {
	end, err := w.f.Seek(0, io.SeekCurrent)
	if err != nil || end < part {
		return false
	}
	return w.f.Truncate(end-part) == nil
}

// mend ends the partial line a short write left (see put) with a newline,
// so that the next line starts a line of its own. w's lock is held.
func (w *file) mend() error {
	if _, err := w.f.Write([]byte{'\n'}); err != nil {
		return fmt.Errorf("evelog: end the partial line in %s: %w", w.path, err)
	}
	w.torn = false
	w.size++
	return nil
}

// endsInPart says whether the file at path (of size bytes) ends in part
// of a line: an earlier run stopped in the middle of a write (killed, the
// disk full and the cut failed). Lines written after it would be glued to
// it. A file that cannot be read is taken as whole.
func endsInPart(path string, size int64) bool {
	if size == 0 {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, size-1); err != nil {
		return false
	}
	return last[0] != '\n'
}
