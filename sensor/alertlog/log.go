package alertlog

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
}

func (c Config) validate() error {
	if c.Path == "" && c.Console == nil {
		return errors.New("alertlog: no output: neither a path nor a console")
	}
	return c.Rotation.validate()
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
var ErrClosed = errors.New("alertlog: log closed")

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
// use, may be nil) when cfg names the same path, and otherwise opens a
// new file.
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
			f.setRotation(cfg.Rotation)
		} else {
			var err error
			if f, err = openFile(path, cfg.Rotation, l.now); err != nil {
				return nil, nil, err
			}
		}
		sinks = append(sinks, f)
	}
	if cfg.Console != nil {
		sinks = append(sinks, &console{w: cfg.Console})
	}
	out := sinks[0]
	if len(sinks) > 1 {
		out = zapcore.NewMultiWriteSyncer(sinks...)
	}
	core := zapcore.NewCore(newSpliceEncoder(), out, zapcore.DebugLevel).
		With([]zapcore.Field{zap.String("sensor", cfg.Sensor)})
	return f, core, nil
}

// Write writes one event as one line.
func (l *Log) Write(ev Event) error {
	members, err := objectMembers(ev.Body)
	if err != nil {
		return err
	}
	if ev.Type == "" {
		return errors.New("alertlog: event without a type")
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	ent := zapcore.Entry{Level: zapcore.InfoLevel, Time: ev.Time, Message: ev.Type}
	return l.core.Write(ent, []zapcore.Field{bodyField(members)})
}

// Reconfigure switches to cfg for a config reload. New outputs are
// opened first: on error the old ones stay in use. Each line goes wholly
// to the old outputs or wholly to the new ones. With the same path, the
// open file is kept and only its rotation changes.
func (l *Log) Reconfigure(cfg Config) error {
	l.reload.Lock()
	defer l.reload.Unlock()
	l.mu.RLock()
	closed, cur := l.closed, l.file
	l.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	// Open outside the write lock, so lines keep flowing meanwhile; only
	// Reconfigure (serialised by reload) replaces l.file.
	f, core, err := l.build(cfg, cur)
	if err != nil {
		return err
	}
	l.mu.Lock()
	if l.closed { // Close ran meanwhile and closed cur
		l.mu.Unlock()
		if f != nil && f != cur {
			f.Close()
		}
		return ErrClosed
	}
	old := l.file
	l.core, l.file = core, f
	l.mu.Unlock()
	if old != nil && old != f {
		return old.Close()
	}
	return nil
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

// Sync flushes the file to disk.
func (l *Log) Sync() error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed || l.file == nil {
		return nil
	}
	return l.file.Sync()
}

// Close syncs and closes the file; later writes return ErrClosed.
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
		err = fmt.Errorf("alertlog: write console: %w", err)
	}
	return n, err
}

func (c *console) Sync() error { return nil }
