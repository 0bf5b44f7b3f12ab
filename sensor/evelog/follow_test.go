package evelog

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestReopenMakesTheDirectoryAgain: SIGUSR1 after the log directory was
// removed makes the directory and the file again, and the next lines go
// there (they went into the deleted file before).
func TestReopenMakesTheDirectoryAgain(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	path := filepath.Join(dir, "alerts.json")
	l, err := New(Config{Path: path, Sensor: "s"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	write := func(id int) {
		t.Helper()
		if err := l.Write(Event{Time: time.Now(), Type: TypeAlert, Body: body(id)}); err != nil {
			t.Fatal(err)
		}
	}
	write(0)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := l.Reopen(); err != nil {
		t.Fatalf("reopen after the directory was removed: %v", err)
	}
	write(1)
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	if ids := readIDs(t, path); len(ids) != 1 || ids[1] != 1 {
		t.Errorf("the new file holds ids %v, want only 1", ids)
	}
}

// followed records what Config.Followed is told.
type followed struct {
	mu   sync.Mutex
	errs []error
}

func (f *followed) told(_ string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs = append(f.errs, err)
}

func (f *followed) list() []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]error(nil), f.errs...)
}

// TestFollowsAMovedOrRemovedFile: a log file removed or moved without a
// Reopen is found, within a second of wall clock, by the next line, and
// opened again by name (its directory too), counted and told; when it
// cannot be, writes fail until it can. Its own rotations are not taken
// for a move.
func TestFollowsAMovedOrRemovedFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	path := filepath.Join(dir, "alerts.json")
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var told followed
	l, err := newLog(Config{Path: path, Sensor: "s", Followed: told.told, Rotation: Rotation{MaxBytes: 1000, MaxBackups: 5}}, clock.now)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	write := func(id int) error {
		return l.Write(Event{Time: time.Now(), Type: TypeAlert, Body: body(id)})
	}
	idsIn := func(p string) map[int]int {
		t.Helper()
		l.Sync()
		return readIDs(t, p)
	}
	for id := range 20 { // several size rotations, a second apart
		if err := write(id); err != nil {
			t.Fatal(err)
		}
		clock.advance(time.Second)
	}
	if n := l.Followed(); n != 0 || len(told.list()) != 0 {
		t.Fatalf("its own rotations were taken for a move: %d, %v", n, told.list())
	}

	// Removed: the next line after a second goes to a new file.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	clock.advance(time.Second)
	if err := write(100); err != nil {
		t.Fatal(err)
	}
	if ids := idsIn(path); ids[100] != 1 || len(ids) != 1 {
		t.Errorf("after the removal the file holds %v, want id 100", ids)
	}
	// Moved: the moved file keeps what it had, the path gets the rest.
	if err := os.Rename(path, path+".moved"); err != nil {
		t.Fatal(err)
	}
	clock.advance(time.Second)
	if err := write(101); err != nil {
		t.Fatal(err)
	}
	if ids := idsIn(path); ids[101] != 1 || len(ids) != 1 {
		t.Errorf("after the move the file holds %v, want id 101", ids)
	}
	// The whole directory removed: made again.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	clock.advance(time.Second)
	if err := write(102); err != nil {
		t.Fatal(err)
	}
	if ids := idsIn(path); ids[102] != 1 || len(ids) != 1 {
		t.Errorf("after the directory went the file holds %v, want id 102", ids)
	}
	if n := l.Followed(); n != 3 {
		t.Errorf("Followed() = %d, want 3", n)
	}

	// A file where the directory was: the path cannot be opened again,
	// and writes say so until it can.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	clock.advance(time.Second)
	err = write(103)
	if err == nil || !strings.Contains(err.Error(), path+" was moved or removed, and cannot be opened again") {
		t.Fatalf("write with the path blocked: %v", err)
	}
	if err := write(104); err == nil {
		t.Error("the next write within the second succeeded without a file")
	}
	os.Remove(dir)
	clock.advance(time.Second)
	if err := write(105); err != nil {
		t.Fatalf("write once the path is free again: %v", err)
	}
	if ids := idsIn(path); ids[105] != 1 || len(ids) != 1 {
		t.Errorf("the file made again holds %v, want id 105", ids)
	}
	errs := told.list()
	if len(errs) != 5 || errs[0] != nil || errs[1] != nil || errs[2] != nil || errs[3] == nil || errs[4] != nil {
		t.Errorf("told %v, want three reopens, a failure, a reopen", errs)
	}
	if n := l.Followed(); n != 4 {
		t.Errorf("Followed() = %d, want 4", n)
	}
}
