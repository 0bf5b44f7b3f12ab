package evelog

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fullDisk is a log file with room bytes left on its disk: a write past
// that writes what fits and fails with ENOSPC, as write(2) does.
type fullDisk struct {
	*os.File
	room       int
	noTruncate bool // Truncate fails
}

func (d *fullDisk) Write(p []byte) (int, error) {
	if len(p) <= d.room {
		n, err := d.File.Write(p)
		d.room -= n
		return n, err
	}
	n, err := d.File.Write(p[:d.room])
	d.room -= n
	if err == nil {
		err = syscall.ENOSPC
	}
	return n, err
}

func (d *fullDisk) Truncate(size int64) error {
	if d.noTruncate {
		return syscall.EIO
	}
	st, err := d.File.Stat()
	if err != nil {
		return err
	}
	d.room += int(st.Size() - size)
	return d.File.Truncate(size)
}

// shortWriteLog is a Log whose file fails like a full disk; lost counts
// the lines told to WriteFailed.
type shortWriteLog struct {
	*Log
	disk *fullDisk
	mu   sync.Mutex
	lost int
}

func newShortWriteLog(t *testing.T, path string) *shortWriteLog {
	t.Helper()
	s := &shortWriteLog{}
	l, err := New(Config{Path: path, Sensor: "s", WriteFailed: func(_ string, lines int, _ error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.lost += lines
	}})
	if err != nil {
		t.Fatal(err)
	}
	flushAfter(l, time.Hour)
	l.file.mu.Lock()
	s.disk = &fullDisk{File: l.file.f.(*os.File), room: 1 << 30}
	l.file.f = s.disk
	l.file.mu.Unlock()
	s.Log = l
	return s
}

func (s *shortWriteLog) write(t *testing.T, ids ...int) {
	t.Helper()
	for _, id := range ids {
		if err := s.Write(Event{Time: time.Unix(1, 0), Type: TypeAlert, Body: body(id)}); err != nil {
			t.Fatal(err)
		}
	}
}

// roomMidLine leaves room for about half the buffered bytes, ending in
// the middle of a line.
func (s *shortWriteLog) roomMidLine() {
	s.file.mu.Lock()
	defer s.file.mu.Unlock()
	room := len(s.file.buf) / 2
	for s.file.buf[room-1] == '\n' || s.file.buf[room] == '\n' {
		room++
	}
	s.disk.room = room
}

func (s *shortWriteLog) told() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lost
}

// checkSize checks that the file's size is the one rotation counts with
// (nothing buffered).
func (s *shortWriteLog) checkSize(t *testing.T, path string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	s.file.mu.Lock()
	defer s.file.mu.Unlock()
	if len(s.file.buf) != 0 || s.file.size != st.Size() {
		t.Errorf("size %d with %d bytes buffered, the file has %d", s.file.size, len(s.file.buf), st.Size())
	}
}

// lineIDs reads the file: every line must end in a newline; it returns
// the ids of the lines that are JSON objects and how many are not.
func lineIDs(t *testing.T, path string) (ids map[int]int, unreadable int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Errorf("the file ends without a newline: %q", data[max(0, len(data)-40):])
	}
	ids = map[int]int{}
	for line := range bytes.Lines(data) {
		var rec struct{ ID *int }
		if json.Unmarshal(line, &rec) != nil || rec.ID == nil {
			unreadable++
			continue
		}
		ids[*rec.ID]++
	}
	return ids, unreadable
}

// A short write (a full disk) cuts the part of a line it left off the
// file: the next line is not glued to it, every lost line is told, and
// the size rotation counts with is the file's.
func TestShortWriteLeavesNoPartialLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.json")
	s := newShortWriteLog(t, path)
	s.write(t, 0, 1, 2, 3, 4)
	s.Sync()
	s.write(t, 5, 6, 7, 8, 9)
	s.roomMidLine()
	if err := s.Sync(); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Sync: %v, want ENOSPC", err)
	}
	s.checkSize(t, path)
	// The disk grows again.
	s.disk.room = 1 << 30
	s.write(t, 10, 11, 12)
	s.Sync()
	s.checkSize(t, path)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ids := readIDs(t, path) // fails on a line that is not whole
	if got := len(ids) + s.told(); got != 13 {
		t.Errorf("%d lines in the file and %d told lost: want 13 in all", len(ids), s.told())
	}
	for _, id := range []int{0, 1, 2, 3, 4, 5, 10, 11, 12} {
		if ids[id] != 1 {
			t.Errorf("id %d in the file %d times, want 1", id, ids[id])
		}
	}
}

// Where the part cannot be cut off, the next write ends it with a newline
// first: one unreadable line, counted among the lost ones; lines that
// could not even be preceded by the newline are lost and told too.
func TestShortWriteThatCannotBeCutGetsANewline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.json")
	s := newShortWriteLog(t, path)
	s.disk.noTruncate = true
	s.write(t, 0, 1, 2, 3, 4)
	s.roomMidLine()
	if err := s.Sync(); err == nil {
		t.Fatal("Sync succeeded on a full disk")
	}
	s.checkSize(t, path)
	s.write(t, 5, 6) // still full: not even the newline fits
	if err := s.Sync(); err == nil {
		t.Fatal("Sync succeeded on a full disk")
	}
	s.checkSize(t, path)
	s.disk.room = 1 << 30
	s.write(t, 7, 8)
	s.Sync()
	s.checkSize(t, path)
	s.Close()
	ids, unreadable := lineIDs(t, path)
	if unreadable != 1 {
		t.Errorf("%d unreadable lines, want 1 (the part)", unreadable)
	}
	if ids[7] != 1 || ids[8] != 1 {
		t.Errorf("lines after the disk grew: %v, want 7 and 8 once", ids)
	}
	if got := len(ids) + s.told(); got != 9 {
		t.Errorf("%d whole lines in the file and %d told lost: want 9 in all", len(ids), s.told())
	}
}

// A line longer than the buffer, written at once, is cut off too when it
// does not fit, and its Write fails.
func TestLongLineOnAFullDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.json")
	s := newShortWriteLog(t, path)
	s.disk.room = bufferSize
	long := []byte(`{"id":1,"pad":"` + strings.Repeat("y", 2*bufferSize) + `"}`)
	if err := s.Write(Event{Time: time.Unix(1, 0), Type: TypeAlert, Body: long}); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Write: %v, want ENOSPC", err)
	}
	s.checkSize(t, path)
	s.write(t, 2)
	s.Close()
	if ids := readIDs(t, path); len(ids) != 1 || ids[2] != 1 {
		t.Errorf("ids in the file %v, want 2 only", ids)
	}
}

// A file that ends in part of a line (an earlier run was killed in a
// write) gets a newline before the first new line.
func TestFileEndingInAPartIsEnded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.json")
	if err := os.WriteFile(path, []byte(`{"id":0}`+"\n"+`{"id":1,"cut`), 0o640); err != nil {
		t.Fatal(err)
	}
	l, err := New(Config{Path: path, Sensor: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Write(Event{Time: time.Unix(1, 0), Type: TypeAlert, Body: body(2)}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	ids, unreadable := lineIDs(t, path)
	if unreadable != 1 || ids[0] != 1 || ids[2] != 1 {
		t.Errorf("ids %v and %d unreadable lines: want 0 and 2, and the part", ids, unreadable)
	}
}
