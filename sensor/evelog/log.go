package evelog

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Event types.
const (
	TypeAlert = "alert"
	TypeFlow  = "flow"
	TypeTLS   = "tls"
)

// Event is one line of the log.
type Event struct {
	// Time is the packet time of the event (the log writes it, not the
	// wall clock). A zero Time leaves the timestamp member out.
	Time time.Time
	// Type is the event_type member: TypeAlert or TypeFlow.
	Type string
	// Body is the record as one JSON object; its members follow
	// timestamp, event_type and sensor in the line. It must not hold
	// those three members itself (JSON readers differ on duplicates).
	// Only its braces are checked; newlines in it become spaces.
	Body json.RawMessage
}

// Config says where the lines go.
type Config struct {
	// Path is the log file; "" writes to Console only. Its directory is
	// created (mode 0750) if missing; the file is created with mode 0640.
	Path string
	// Console, when not nil, gets every line too (os.Stdout when the
	// daemon runs in the foreground). Writes to it are serialised.
	Console io.Writer
	// Sensor is the sensor name written in every line.
	Sensor string
	// Rotation applies to Path.
	Rotation Rotation
	// Tee, when not nil, gets every line too, the same bytes the file
	// gets (the NATS output).
	Tee LineWriter
	// Followed, when set, is told each time the file at Path was found
	// moved or removed without a Reopen and was opened again by name
	// (err nil), or could not be (err says why; lines then go on to the
	// old file and their writes fail until it can). It is called with the
	// file's lock held: it must not write to this Log.
	Followed func(path string, err error)
	// WriteFailed, when set, is told the lines lost when buffered lines
	// could not be written to the file (a full disk): Write has returned
	// by then (lines reach the file within a tenth of a second, see
	// Log). It is called with the file's lock held: it must not write to
	// this Log.
	WriteFailed func(path string, lines int, err error)
}

// LineWriter takes a copy of each line a Log writes: the whole line,
// newline included. WriteLine must neither keep the slice nor block; it
// counts its own failures (a Log's writes do not fail because of it).
type LineWriter interface {
	WriteLine(line []byte)
}

func (c Config) validate() error {
	if c.Path == "" && c.Console == nil && c.Tee == nil {
		return errors.New("evelog: no output: neither a path, a console nor a tee")
	}
	return c.Rotation.Validate()
}

// Log writes events as JSON lines. It is safe for concurrent use.
type Log struct {
	now    func() time.Time // wall clock, for age rotation
	reload sync.Mutex       // one Reconfigure at a time

	// Writers hold mu for reading while they write a line, so that
	// Reconfigure and Close, which hold it for writing, never swap or
	// close the outputs under a line.
	mu     sync.RWMutex
	core   zapcore.Core
	file   *file // nil without a path
	closed bool
}

// ErrClosed is returned by writes to a closed Log.
var ErrClosed = errors.New("evelog: log closed")

// New opens the outputs of cfg.
func New(cfg Config) (*Log, error) { return newLog(cfg, time.Now) }

func newLog(cfg Config, now func() time.Time) (*Log, error) {
	l := &Log{now: now}
	f, core, err := l.build(cfg, nil)
	if err != nil {
		return nil, err
	}
	l.core, l.file = core, f
	return l, nil
}

// build makes the outputs and core for cfg. It keeps cur (the file in
// use, may be nil) when cfg names the same path (the caller then sets its
// rotation), and otherwise opens a new file.
func (l *Log) build(cfg Config, cur *file) (*file, zapcore.Core, error) {
	if err := cfg.validate(); err != nil {
		return nil, nil, err
	}
	var (
		f     *file
		sinks []zapcore.WriteSyncer
	)
	if cfg.Path != "" {
		path := filepath.Clean(cfg.Path)
		if cur != nil && cur.path == path {
			f = cur
		} else {
			var err error
			if f, err = openFile(path, cfg.Rotation, l.now, cfg.Followed, cfg.WriteFailed); err != nil {
				return nil, nil, err
			}
		}
		sinks = append(sinks, f)
	}
	if cfg.Console != nil {
		sinks = append(sinks, &console{w: cfg.Console})
	}
	if cfg.Tee != nil {
		sinks = append(sinks, tee{cfg.Tee})
	}
	out := sinks[0]
	if len(sinks) > 1 {
		// One lock over all the sinks: concurrent writers then reach the
		// file, the console and the tee in the same order.
		out = zapcore.Lock(zapcore.NewMultiWriteSyncer(sinks...))
	}
	core := zapcore.NewCore(newSpliceEncoder(), out, zapcore.DebugLevel).
		With([]zapcore.Field{zap.String("host", cfg.Sensor)})
	return f, core, nil
}

// Write writes one event as one line.
func (l *Log) Write(ev Event) error {
	members, err := objectMembers(ev.Body)
	if err != nil {
		return err
	}
	if ev.Type == "" {
		return errors.New("evelog: event without a type")
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	ent := zapcore.Entry{Level: zapcore.InfoLevel, Time: ev.Time, Message: ev.Type}
	return l.core.Write(ent, []zapcore.Field{bodyField(members)})
}

// Staged is a new configuration of a Log whose outputs are open but not
// yet in use: Commit puts it in effect, Abort closes what it opened. A
// reload prepares everything it needs first and commits only when all of
// it could be prepared.
type Staged struct {
	l    *Log
	cfg  Config
	f    *file // nil without a path; may be the file in use
	core zapcore.Core
	done bool
}

// Prepare opens the outputs of cfg without using them yet. With the same
// path, the open file is kept. Prepares of one Log must not overlap
// (the daemon reloads on one goroutine).
func (l *Log) Prepare(cfg Config) (*Staged, error) {
	l.mu.RLock()
	closed, cur := l.closed, l.file
	l.mu.RUnlock()
	if closed {
		return nil, ErrClosed
	}
	// Open outside the write lock, so lines keep flowing meanwhile.
	f, core, err := l.build(cfg, cur)
	if err != nil {
		return nil, err
	}
	return &Staged{l: l, cfg: cfg, f: f, core: core}, nil
}

// Commit switches the Log to the staged outputs: each line goes wholly to
// the old outputs or wholly to the new ones. The switch itself cannot
// fail; the error says when the old file did not close cleanly (or the
// Log was closed meanwhile, and nothing changed).
func (s *Staged) Commit() error {
	if s.done {
		return errors.New("evelog: staged configuration used twice")
	}
	s.done = true
	l := s.l
	l.reload.Lock()
	defer l.reload.Unlock()
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		if s.f != nil && s.f != l.file {
			s.f.Close()
		}
		return ErrClosed
	}
	old := l.file
	if s.f != nil {
		s.f.setRotation(s.cfg.Rotation, s.cfg.Followed, s.cfg.WriteFailed)
	}
	l.core, l.file = s.core, s.f
	l.mu.Unlock()
	if old != nil && old != s.f {
		return old.Close()
	}
	return nil
}

// Abort closes what Prepare opened; the Log goes on as it was.
func (s *Staged) Abort() {
	if s.done {
		return
	}
	s.done = true
	s.l.mu.RLock()
	cur := s.l.file
	s.l.mu.RUnlock()
	if s.f != nil && s.f != cur {
		s.f.discard()
	}
}

// Reconfigure switches to cfg at once (Prepare, then Commit): on error
// the old outputs stay in use.
func (l *Log) Reconfigure(cfg Config) error {
	s, err := l.Prepare(cfg)
	if err != nil {
		return err
	}
	return s.Commit()
}

// Reopen reopens the file by name: after an external logrotate renamed
// it, new lines go to a new file at the configured path. On error the
// old file stays in use.
func (l *Log) Reopen() error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	if l.file == nil {
		return nil
	}
	return l.file.Reopen()
}

// Followed is how many times the file was found moved or removed
// without a Reopen and opened again by name (see Config.Followed).
func (l *Log) Followed() uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.file == nil {
		return 0
	}
	l.file.mu.Lock()
	defer l.file.mu.Unlock()
	return l.file.follow.count
}

// Sync writes the lines buffered and flushes the file to disk.
func (l *Log) Sync() error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed || l.file == nil {
		return nil
	}
	return l.file.Sync()
}

// Close writes the lines buffered, syncs and closes the file; later
// writes return ErrClosed.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	if l.file == nil {
		return nil
	}
	return l.file.Close()
}

// console serialises writes to a writer that is not a file of ours. Sync
// does nothing: stdout is often a pipe or a terminal, which cannot sync.
type console struct {
	mu sync.Mutex
	w  io.Writer
}

func (c *console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.w.Write(p)
	if err != nil {
		err = fmt.Errorf("evelog: write console: %w", err)
	}
	return n, err
}

func (c *console) Sync() error { return nil }

// tee hands each line to a LineWriter; zap writes a whole line per Write.
type tee struct{ w LineWriter }

func (t tee) Write(p []byte) (int, error) {
	t.w.WriteLine(p)
	return len(p), nil
}

func (t tee) Sync() error { return nil }
