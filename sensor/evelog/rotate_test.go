package evelog

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/internal/testkit"
)

// Several writers, size rotation every few lines and reopen calls from
// another goroutine: every line is in exactly one file, whole, and no
// file passes the size limit.
func TestConcurrentRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.json")
	const (
		writers  = 8
		perW     = 1500
		maxBytes = 16 << 10
	)
	console := &testkit.LockedBuffer{}
	l, err := New(Config{Path: path, Console: console, Sensor: "s",
		Rotation: Rotation{MaxBytes: maxBytes, MaxBackups: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perW {
				id := w*perW + i
				if err := l.Write(Event{Time: time.Now(), Type: TypeAlert, Body: body(id)}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	done := make(chan struct{})
	reopener := make(chan struct{})
	go func() {
		defer close(reopener)
		for {
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
				if err := l.Reopen(); err != nil {
					t.Error(err)
					return
				}
			}
		}
	}()
	wg.Wait()
	close(done)
	<-reopener
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	files := logFiles(t, path)
	if len(files) < 10 {
		t.Fatalf("only %d files: rotation did not happen", len(files))
	}
	checkOnce(t, readIDs(t, files...), writers*perW)
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() > maxBytes {
			t.Errorf("%s: %d bytes, over the %d limit", f, st.Size(), maxBytes)
		}
	}
	if n := strings.Count(console.String(), "\n"); n != writers*perW {
		t.Errorf("console got %d lines, want %d", n, writers*perW)
	}
}

// Rotation keeps MaxBackups files, newest in path.1, and removes the
// backups a config with more of them left.
func TestBackupLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.json")
	leftover := path + ".7"
	keep := path + ".x" // not a backup name: not ours to remove
	for _, f := range []string{leftover, keep} {
		if err := os.WriteFile(f, []byte("old\n"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	line := int64(len(body(0)) + 100) // with the header
	l, err := New(Config{Path: path, Rotation: Rotation{MaxBytes: 3 * line, MaxBackups: 2}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := l.Write(Event{Time: time.Now(), Type: TypeFlow, Body: body(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	files := logFiles(t, path)
	want := []string{path + ".2", path + ".1", path}
	if strings.Join(files, " ") != strings.Join(want, " ") {
		t.Errorf("files %v, want %v", files, want)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("removed a file that is not a backup: %v", err)
	}
	// Ids grow from path.2 to path.
	last := -1
	for _, f := range files {
		ids := readIDs(t, f)
		if len(ids) == 0 {
			t.Fatalf("%s is empty", f)
		}
		for id := range ids {
			if id <= last {
				t.Errorf("%s holds id %d, older than %d in the previous file", f, id, last)
			}
		}
		for id := range ids {
			last = max(last, id)
		}
	}
	if last != 19 {
		t.Errorf("newest id %d, want 19", last)
	}
}

// Age rotation with a clock the test moves: the file rotates at the
// first line after MaxAge, counted from its first line; an idle file
// does not rotate into empty files.
func TestAgeRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.json")
	clock := &fakeClock{t: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	l, err := newLog(Config{Path: path, Rotation: Rotation{MaxAge: time.Hour, MaxBackups: 5}}, clock.now)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	write := func(id int) {
		t.Helper()
		if err := l.Write(Event{Time: time.Unix(0, 0), Type: TypeFlow, Body: body(id)}); err != nil {
			t.Fatal(err)
		}
	}
	clock.advance(3 * time.Hour) // empty file: its age starts at its first line
	write(0)
	clock.advance(59 * time.Minute)
	write(1)
	if n := len(logFiles(t, path)); n != 1 {
		t.Fatalf("%d files before the hour, want 1", n)
	}
	clock.advance(time.Minute)
	write(2) // an hour after line 0: rotates first
	clock.advance(5 * time.Hour)
	write(3) // rotates again; the idle hours made no files
	// Lines are buffered until Sync.
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	files := logFiles(t, path)
	if len(files) != 3 {
		t.Fatalf("files %v, want 3", files)
	}
	wantIDs := [][]int{{0, 1}, {2}, {3}}
	for i, f := range files {
		ids := readIDs(t, f)
		if len(ids) != len(wantIDs[i]) {
			t.Errorf("%s: ids %v, want %v", f, ids, wantIDs[i])
		}
		for _, id := range wantIDs[i] {
			if ids[id] != 1 {
				t.Errorf("%s: ids %v, want %v", f, ids, wantIDs[i])
			}
		}
	}
}

// A line longer than MaxBytes gets a file of its own rather than a loop
// of rotations.
func TestLongLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.json")
	l, err := New(Config{Path: path, Rotation: Rotation{MaxBytes: 50, MaxBackups: 3}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := l.Write(Event{Time: time.Now(), Type: TypeFlow, Body: body(i)}); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	files := logFiles(t, path)
	if len(files) != 3 {
		t.Errorf("files %v, want 3", files)
	}
	checkOnce(t, readIDs(t, files...), 3)
}
