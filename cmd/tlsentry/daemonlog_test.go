package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The daemon's own log follows its file by name as the alert logs do: a
// file moved or removed without SIGUSR1 (its directory too) is opened
// again at the next line, and told; a path that cannot be opened again is
// told once, and the lines go on to the old file.
func TestDaemonLogFollowsItsFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "logs", "tlsentry.log")
	l, err := newDaemonLog("info", path, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer l.close()
	var (
		mu   sync.Mutex
		told []error
	)
	l.setFollowed(func(p string, err error) {
		if p != path {
			t.Errorf("told path %q, want %q", p, path)
		}
		mu.Lock()
		told = append(told, err)
		mu.Unlock()
	})
	l.out.mu.Lock()
	l.out.follow.every = 1 // every line compares the path
	l.out.mu.Unlock()
	contains := func(name, s string) bool {
		data, _ := os.ReadFile(name)
		return strings.Contains(string(data), s)
	}
	toldNow := func() []error {
		mu.Lock()
		defer mu.Unlock()
		return append([]error(nil), told...)
	}

	l.Info("first")
	moved := path + ".moved"
	if err := os.Rename(path, moved); err != nil {
		t.Fatal(err)
	}
	l.Info("second")
	if !contains(moved, "first") || contains(moved, "second") || !contains(path, "second") {
		t.Errorf("after a move without SIGUSR1 the line did not go to a new file at the path")
	}
	if got := toldNow(); len(got) != 1 || got[0] != nil {
		t.Errorf("told %v, want one reopening", got)
	}

	// The directory removed: made again.
	if err := os.RemoveAll(filepath.Dir(path)); err != nil {
		t.Fatal(err)
	}
	l.Info("third")
	if !contains(path, "third") || len(toldNow()) != 2 {
		t.Errorf("after the directory was removed: file has third %v, told %v", contains(path, "third"), toldNow())
	}

	// The path cannot be opened again (its directory is a file now): told
	// once, lines go on to the open file.
	if err := os.Rename(filepath.Dir(path), filepath.Join(dir, "old")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Dir(path), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	l.Info("fourth")
	l.Info("fifth")
	got := toldNow()
	if len(got) != 3 || got[2] == nil {
		t.Errorf("told %v, want the failure to open again told once", got)
	}
	old := filepath.Join(dir, "old", "tlsentry.log")
	if !contains(old, "fourth") || !contains(old, "fifth") {
		t.Errorf("lines after a failed reopen did not go on to the open file")
	}
}
