package evelog

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// flushAfter sets how long l's file keeps lines before writing them.
func flushAfter(l *Log, d time.Duration) {
	l.file.mu.Lock()
	defer l.file.mu.Unlock()
	l.file.every = d
	l.file.stopTimer() // the next line arms it anew
}

func fileLines(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(data, []byte{'\n'})
}

// Lines are buffered: they reach the file when the buffer fills, on Sync,
// and on their own within the flush interval; Close writes the rest.
func TestLinesAreBufferedAndFlushed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flows.json")
	l, err := New(Config{Path: path, Sensor: "s"})
	if err != nil {
		t.Fatal(err)
	}
	flushAfter(l, time.Hour) // no timer in this part
	write := func(id int) {
		t.Helper()
		if err := l.Write(Event{Time: time.Unix(1, 0), Type: TypeFlow, Body: body(id)}); err != nil {
			t.Fatal(err)
		}
	}
	write(0)
	if n := fileLines(t, path); n != 0 {
		t.Fatalf("%d lines in the file before a flush, want 0 (buffered)", n)
	}
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	if n := fileLines(t, path); n != 1 {
		t.Fatalf("%d lines after Sync, want 1", n)
	}
	// More than a buffer of lines: the full buffers are written.
	lineLen := len(body(1)) + 80
	total := 1
	for i := 1; total*lineLen < 3*bufferSize; i++ {
		write(i)
		total++
	}
	if n := fileLines(t, path); n < total-bufferSize/lineLen-1 || n == total {
		t.Errorf("%d of %d lines in the file with a full buffer's worth pending: want all but the last buffer", n, total)
	}
	// The timer writes what waits.
	flushAfter(l, 10*time.Millisecond)
	write(total)
	total++
	for deadline := time.Now().Add(10 * time.Second); fileLines(t, path) != total; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d lines in the file 10 s after the last Write", fileLines(t, path), total)
		}
		time.Sleep(5 * time.Millisecond)
	}
	write(total)
	total++
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	checkOnce(t, readIDs(t, path), total)
}

// A line longer than the buffer is written whole, after the lines before it.
func TestLineLongerThanTheBuffer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flows.json")
	l, err := New(Config{Path: path, Sensor: "s"})
	if err != nil {
		t.Fatal(err)
	}
	flushAfter(l, time.Hour)
	long := []byte(`{"id":1,"pad":"` + string(bytes.Repeat([]byte("y"), 2*bufferSize)) + `"}`)
	for i, b := range [][]byte{body(0), long, body(2)} {
		if err := l.Write(Event{Time: time.Unix(1, 0), Type: TypeFlow, Body: b}); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
	}
	if n := fileLines(t, path); n != 2 {
		t.Errorf("%d lines in the file after a long line, want 2 (the one before it and itself)", n)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	checkOnce(t, readIDs(t, path), 3)
}

// Buffered lines that cannot be written are told to WriteFailed, counted
// once each; Sync says so too.
func TestBufferedLinesThatFailAreTold(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flows.json")
	var (
		mu   sync.Mutex
		lost int
		errs []error
	)
	l, err := New(Config{Path: path, Sensor: "s", WriteFailed: func(p string, lines int, err error) {
		mu.Lock()
		defer mu.Unlock()
		if p != path {
			t.Errorf("told path %q, want %q", p, path)
		}
		lost += lines
		errs = append(errs, err)
	}})
	if err != nil {
		t.Fatal(err)
	}
	flushAfter(l, time.Hour)
	for i := range 5 {
		if err := l.Write(Event{Time: time.Unix(1, 0), Type: TypeFlow, Body: body(i)}); err != nil {
			t.Fatal(err)
		}
	}
	// The descriptor fails under the buffer (as a full disk would).
	l.file.mu.Lock()
	l.file.f.Close()
	l.file.mu.Unlock()
	if err := l.Sync(); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Sync: %v, want the write error", err)
	}
	mu.Lock()
	if lost != 5 || len(errs) != 1 || !errors.Is(errs[0], fs.ErrClosed) {
		t.Errorf("told %d lines lost (%v), want 5 in one error", lost, errs)
	}
	mu.Unlock()
	if err := l.Sync(); err == nil || lost != 5 {
		t.Errorf("a second Sync: %v, %d lines told: want the sync error and nothing more told", err, lost)
	}
	l.Close()
}

// Close stops the flush timer: writers racing with Close and timers firing
// around it lose no line (the race detector watches).
func TestCloseWhileTimersFire(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flows.json")
	l, err := New(Config{Path: path, Sensor: "s"})
	if err != nil {
		t.Fatal(err)
	}
	flushAfter(l, time.Microsecond)
	var (
		wg      sync.WaitGroup
		written sync.Map
	)
	for w := range 4 {
		wg.Go(func() {
			for i := range 300 {
				id := w*1000 + i
				if err := l.Write(Event{Time: time.Unix(1, 0), Type: TypeFlow, Body: body(id)}); err != nil {
					if !errors.Is(err, ErrClosed) {
						t.Error(err)
					}
					return
				}
				written.Store(id, true)
			}
		})
	}
	time.Sleep(2 * time.Millisecond)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	time.Sleep(5 * time.Millisecond) // a timer armed before Close finds it closed
	ids := readIDs(t, path)
	written.Range(func(k, _ any) bool {
		if ids[k.(int)] != 1 {
			t.Errorf("id %d: written, %d times in the file", k, ids[k.(int)])
		}
		return true
	})
	for id, c := range ids {
		if _, ok := written.Load(id); !ok || c != 1 {
			t.Errorf("id %d in the file %d times, written %v", id, c, ok)
		}
	}
}
