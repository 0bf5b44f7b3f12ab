package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// daemonLog is the daemon's own log (not the alerts): zap JSON lines at
// output.log_level to output.log, or to stderr when that is empty (the
// journal under systemd). Level and path change on reload; reopen
// follows an external logrotate.
type daemonLog struct {
	*zap.Logger
	level zap.AtomicLevel
	out   *logOutput
}

func newDaemonLog(level, path string, stderr io.Writer) (*daemonLog, error) {
	lvl, err := zap.ParseAtomicLevel(level)
	if err != nil {
		return nil, fmt.Errorf("output.log_level: %w", err)
	}
	out := &logOutput{stderr: stderr}
	if err := out.setPath(path); err != nil {
		return nil, err
	}
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	core := zapcore.NewCore(zapcore.NewJSONEncoder(enc), out, lvl)
	return &daemonLog{Logger: zap.New(core), level: lvl, out: out}, nil
}

// stagedLog is a reload's level and output for the daemon's log, opened
// but not yet in use.
type stagedLog struct {
	l     *daemonLog
	level zapcore.Level
	path  string
	f     *os.File // the new file; nil for stderr or when the path is the same
	same  bool
	made  bool // prepare created the file
}

// prepare parses the level and opens the file of a reload.
func (l *daemonLog) prepare(level, path string) (*stagedLog, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("output.log_level: %w", err)
	}
	s := &stagedLog{l: l, level: lvl, path: path}
	l.out.mu.Lock()
	s.same = path == l.out.path
	l.out.mu.Unlock()
	if !s.same && path != "" {
		_, statErr := os.Lstat(path)
		s.made = errors.Is(statErr, fs.ErrNotExist)
		if s.f, err = openLogFile(path); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// commit puts the staged level and output in use; it cannot fail (an old
// file that does not close cleanly is only reported).
func (s *stagedLog) commit() error {
	s.l.level.SetLevel(s.level)
	if s.same {
		return nil
	}
	return s.l.out.swap(s.path, s.f)
}

// abort closes what prepare opened, and removes the file it created: a
// refused reload leaves no trace.
func (s *stagedLog) abort() {
	if s.f != nil {
		s.f.Close()
		if s.made {
			os.Remove(s.path)
		}
	}
}

func (l *daemonLog) reopen() error { return l.out.reopen() }

// toStderr says whether the log goes to stderr (output.log is empty).
func (l *daemonLog) toStderr() bool {
	l.out.mu.Lock()
	defer l.out.mu.Unlock()
	return l.out.f == nil
}

func (l *daemonLog) close() error {
	l.Sync()
	return l.out.close()
}

// logOutput is a file that can be switched or reopened under running
// loggers, or stderr when no path is set. Like the alert logs, it opens
// the file again by name when it finds it moved or removed without a
// SIGUSR1 (see follow).
type logOutput struct {
	mu     sync.Mutex
	path   string
	f      *os.File
	stderr io.Writer
	follow logFollow
}

func (o *logOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	if o.f == nil {
		defer o.mu.Unlock()
		return o.stderr.Write(p)
	}
	tell := o.checkPath()
	n, err := o.f.Write(p)
	o.mu.Unlock()
	// Told outside the lock: the callback logs to this output.
	tell()
	return n, err
}

func (o *logOutput) Sync() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.f != nil {
		return o.f.Sync()
	}
	return nil
}

// setPath switches to path ("" for stderr); on error the old output stays.
func (o *logOutput) setPath(path string) error {
	o.mu.Lock()
	same := path == o.path
	o.mu.Unlock()
	if same {
		return nil
	}
	return o.open(path)
}

// openLogFile opens (or creates) the daemon's log file for appending.
func openLogFile(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("output.log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("output.log: %w", err)
	}
	return f, nil
}

// swap puts f (nil: stderr) in use as path and closes the old file.
func (o *logOutput) swap(path string, f *os.File) error {
	o.mu.Lock()
	old := o.f
	o.path, o.f = path, f
	o.follow.opened(f)
	o.mu.Unlock()
	if old != nil {
		return old.Close()
	}
	return nil
}

// reopen opens the file by its name again: a logrotate moved it away.
func (o *logOutput) reopen() error {
	o.mu.Lock()
	path := o.path
	o.mu.Unlock()
	if path == "" {
		return nil
	}
	return o.open(path)
}

func (o *logOutput) open(path string) error {
	var f *os.File
	if path != "" {
		var err error
		if f, err = openLogFile(path); err != nil {
			return err
		}
	}
	return o.swap(path, f)
}

func (o *logOutput) close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.f == nil {
		return nil
	}
	err := o.f.Close()
	o.f = nil
	return err
}
