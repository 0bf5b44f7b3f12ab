package evelog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tlsentry/tlsentry/internal/bounds"
)

// Rotation says when the log file is rotated. Rotation renames path to
// path.1 (older backups move up: path.1 to path.2 ...), removes backups
// past MaxBackups, and opens a new file at path. It happens only between
// lines and only when a line is written, so an idle sensor creates no
// empty files.
type Rotation struct {
	// MaxBytes rotates before a line would take the file past this size;
	// 0 sets no limit. A single line longer than MaxBytes still goes to a
	// file of its own.
	MaxBytes int64
	// MaxAge rotates the file once its first line is this old (wall
	// clock); 0 sets no limit.
	MaxAge time.Duration
	// MaxBackups is the number of rotated files kept; it must be at least
	// 1 when MaxBytes or MaxAge is set.
	MaxBackups int
}

func (r Rotation) enabled() bool { return r.MaxBytes > 0 || r.MaxAge > 0 }

// Bounds of a Rotation.
const (
	MaxRotateBytes = 1 << 40
	MaxRotateAge   = 366 * 24 * time.Hour
	MaxBackups     = 10000
)

// Validate reports every value out of its bounds (a *bounds.Error each).
func (r Rotation) Validate() error {
	var errs []error
	bounds.Int64(&errs, "MaxBytes", r.MaxBytes, 0, MaxRotateBytes)
	bounds.Duration(&errs, "MaxAge", r.MaxAge, 0, MaxRotateAge)
	bounds.Int(&errs, "MaxBackups", r.MaxBackups, 0, MaxBackups)
	if r.enabled() && r.MaxBackups == 0 {
		bounds.Add(&errs, "MaxBackups", "must be at least 1 when files rotate (by size or by age)")
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("evelog: rotation: %w", err)
	}
	return nil
}

const (
	dirMode  = 0o750
	fileMode = 0o640
)

// Buffering: lines gather in memory and reach the file in one write
// call per bufferSize bytes (a flood writes thousands of lines a second;
// one write(2) each cost a fifth of the daemon's CPU), and at the latest
// flushEvery after they were written, so a reader of the file (tail -F, a
// shipper) sees a line at most that late. Rotation, Reopen, a file found
// moved, Sync and Close write what is buffered first, into the file the
// lines belong to.
const (
	bufferSize = 64 << 10
	flushEvery = 100 * time.Millisecond
)

// file is a log file that rotates itself. Its mutex makes each Write one
// whole line in one file, and keeps the lines in the order written.
type file struct {
	mu      sync.Mutex
	path    string
	rot     Rotation
	now     func() time.Time
	f       handle    // nil after Close
	size    int64     // of the file, lines buffered included
	torn    bool      // the file ends in part of a line (see put)
	started time.Time // time of the file's first line; zero while empty
	created bool      // openFile made the file (it did not exist)
	follow  follower  // notices the file moved or removed without a Reopen

	buf    []byte        // whole lines not yet written
	every  time.Duration // flushEvery; tests change it
	timer  *time.Timer   // writes buf; armed while it holds lines
	armed  bool
	failed func(path string, lines int, err error) // Config.WriteFailed
}

func openFile(path string, rot Rotation, now func() time.Time, told func(string, error), failed func(string, int, error)) (*file, error) {
	w := &file{path: path, rot: rot, now: now, follow: follower{told: told}, every: flushEvery, failed: failed}
	_, statErr := os.Lstat(path)
	w.created = errors.Is(statErr, fs.ErrNotExist)
	if err := w.open(); err != nil {
		return nil, err
	}
	return w, nil
}

// open opens w.path for appending, replacing w.f; it makes the
// directory again if it was removed. The lines buffered go to the file
// open until now, before the new one is looked at (it may be the same).
func (w *file) open() error {
	if w.f != nil {
		w.flush()
	}
	if err := os.MkdirAll(filepath.Dir(w.path), dirMode); err != nil {
		return fmt.Errorf("evelog: create directory for %s: %w", w.path, err)
	}
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, fileMode)
	if err != nil {
		return fmt.Errorf("evelog: open %s: %w", w.path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("evelog: stat %s: %w", w.path, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return fmt.Errorf("evelog: %s is not a regular file", w.path)
	}
	if w.f != nil {
		w.flush() // the lines buffered belong to the old file
		if w.torn {
			w.mend() // best effort; the file may be the one opened again
		}
		w.f.Close() // its lines are written; a close error loses nothing
	}
	w.f, w.size, w.started = f, st.Size(), time.Time{}
	// A file that ends in part of a line (a run killed mid-write, or a
	// short write whose cut and newline both failed) gets a newline
	// before the next line, which would be glued to it otherwise.
	w.torn = endsInPart(w.path, w.size)
	if w.size > 0 {
		w.started = w.now()
	}
	w.follow.opened(st, w.now())
	return nil
}

// Write buffers one line (see bufferSize). If rotation fails, the line
// still goes to the open file (under its old or new name), and the error
// is returned too; so it does when the file was moved or removed and
// cannot be opened again by name. A line that fails when the buffer is
// written later is told to Config.WriteFailed, not returned here.
func (w *file) Write(line []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return 0, fmt.Errorf("evelog: write %s: %w", w.path, fs.ErrClosed)
	}
	goneErr := w.follow.check(w)
	var rotErr error
	if w.due(len(line)) {
		rotErr = w.rotate()
	}
	if len(w.buf)+len(line) > bufferSize {
		w.flush()
	}
	var err error
	n := len(line)
	w.size += int64(n) // put takes back what it could not write
	if w.started.IsZero() && n > 0 {
		w.started = w.now()
	}
	if len(line) >= bufferSize {
		// Longer than the buffer: written at once (the buffer is empty).
		// Its failure is returned, and counted by the caller as one.
		if _, err = w.put(line); err != nil {
			n = 0
		}
	} else {
		if w.buf == nil {
			w.buf = make([]byte, 0, bufferSize)
		}
		w.buf = append(w.buf, line...)
		w.arm()
	}
	return n, errors.Join(goneErr, rotErr, err)
}

// arm makes sure the buffer is written within w.every. w's lock is held.
func (w *file) arm() {
	if w.armed {
		return
	}
	w.armed = true
	if w.timer == nil {
		w.timer = time.AfterFunc(w.every, w.timedFlush)
		return
	}
	w.timer.Reset(w.every)
}

// timedFlush runs on the timer's own goroutine, which ends with it: a
// Log keeps no goroutine of its own, and Close stops the timer.
func (w *file) timedFlush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.armed = false
	if w.f != nil {
		w.flush()
	}
}

// flush writes the buffered lines in one write call. Lines that could not
// be written are counted and told to w.failed; the error is returned for
// Sync and Close. w's lock is held.
func (w *file) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	lost, err := w.put(w.buf)
	if err != nil && w.failed != nil && lost > 0 {
		w.failed(w.path, lost, err)
	}
	w.buf = w.buf[:0]
	return err
}

// due says whether the file must rotate before a line of n bytes.
func (w *file) due(n int) bool {
	if w.f == nil || w.size == 0 {
		return false
	}
	if w.rot.MaxBytes > 0 && w.size+int64(n) > w.rot.MaxBytes {
		return true
	}
	return w.rot.MaxAge > 0 && w.now().Sub(w.started) >= w.rot.MaxAge
}

// rotate moves the backups up, the file to path.1, and opens a new file.
// If the new file cannot be opened, writing goes on to the old one.
func (w *file) rotate() error {
	if err := w.removeBackupsFrom(w.rot.MaxBackups); err != nil {
		return err
	}
	for i := w.rot.MaxBackups - 1; i >= 0; i-- {
		err := os.Rename(w.backup(i), w.backup(i+1))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("evelog: rotate %s: %w", w.path, err)
		}
	}
	return w.open()
}

// backup is the name of the i-th backup; the 0th is the file itself.
func (w *file) backup(i int) string {
	if i == 0 {
		return w.path
	}
	return w.path + "." + strconv.Itoa(i)
}

// removeBackupsFrom removes path.N for every N >= from, including ones a
// config with more backups left behind.
func (w *file) removeBackupsFrom(from int) error {
	dir, base := filepath.Split(w.path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("evelog: rotate %s: %w", w.path, err)
	}
	for _, e := range entries {
		suffix, ok := strings.CutPrefix(e.Name(), base+".")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(suffix)
		if err != nil || n < from || strconv.Itoa(n) != suffix {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("evelog: remove old backup: %w", err)
		}
	}
	return nil
}

// Reopen closes the file and opens path again: after logrotate renamed
// it, lines go to a new file at path.
func (w *file) Reopen() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.open()
}

func (w *file) setRotation(r Rotation, told func(string, error), failed func(string, int, error)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.rot, w.follow.told, w.failed = r, told, failed
}

// Sync writes what is buffered and flushes the file to disk.
func (w *file) Sync() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	if err := w.flush(); err != nil {
		return err
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("evelog: sync %s: %w", w.path, err)
	}
	return nil
}

// discard closes a file no line was written to and removes it if
// openFile created it: a refused reload leaves no trace.
func (w *file) discard() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return
	}
	w.stopTimer()
	w.f.Close()
	w.f = nil
	if w.created && w.size == 0 {
		os.Remove(w.path)
	}
}

// Close writes what is buffered, syncs and closes the file; later
// writes fail.
func (w *file) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	w.stopTimer()
	err := w.flush()
	if w.torn {
		// A later run would glue its first line to the part.
		if merr := w.mend(); err == nil {
			err = merr
		}
	}
	if serr := w.f.Sync(); err == nil {
		err = serr
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.f = nil
	if err != nil {
		return fmt.Errorf("evelog: close %s: %w", w.path, err)
	}
	return nil
}

// stopTimer stops the flush timer; a flush it started already finds the
// file closed. w's lock is held.
func (w *file) stopTimer() {
	if w.timer != nil {
		w.timer.Stop()
	}
	w.armed = false
}
