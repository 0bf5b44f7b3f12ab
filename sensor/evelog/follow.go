package evelog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// followEvery is how often a file's path is compared with the open file:
// two stat calls a second at most, whatever the line rate.
const followEvery = time.Second

// follower notices that the log file was moved or removed without a
// Reopen (someone deleted the directory, a rotation tool forgot the
// signal): the lines would go on into a file nobody reads, lost but
// counted as written. Now and then it compares the open file with what
// the path names; when they differ, the file is opened again by name
// (its directory made again if needed), counted and told.
type follower struct {
	told    func(path string, err error) // nil: nobody is told
	open    os.FileInfo                  // of the file open now
	checked time.Time                    // when the path was last compared
	gone    error                        // the path could not be opened again
	count   uint64                       // files opened again
}

// opened records the file just opened.
func (f *follower) opened(st os.FileInfo, now time.Time) {
	f.open, f.checked, f.gone = st, now, nil
}

// check compares the path with the open file, at most every followEvery,
// and opens it again when they differ. It returns an error while the
// path cannot be opened again: the lines still go to the old file, but
// are not counted as written. w's lock is held.
func (f *follower) check(w *file) error {
	now := w.now()
	if d := now.Sub(f.checked); d >= 0 && d < followEvery {
		return f.gone
	}
	f.checked = now
	if !Moved(w.path, f.open) {
		return nil
	}
	if err := w.open(); err != nil {
		f.gone = fmt.Errorf("evelog: %s was moved or removed, and cannot be opened again: %w", w.path, err)
		f.checked = now // open reset it; retry in followEvery
		if f.told != nil {
			f.told(w.path, f.gone)
		}
		return f.gone
	}
	f.count++
	if f.told != nil {
		f.told(w.path, nil)
	}
	return nil
}

// Moved reports whether path no longer names the open file (it was moved
// or removed, or its directory was): a path that cannot be checked (a
// permission) counts as not moved, and the writer keeps writing. The
// daemon's own log follows its file with it too.
func Moved(path string, open os.FileInfo) bool {
	st, err := os.Stat(path)
	switch {
	case err == nil:
		return !os.SameFile(st, open)
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return true
	}
	return false
}
