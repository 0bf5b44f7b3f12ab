package config

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Error is one problem with a configuration. Parse, Load and the Validate
// methods return one *Error, or several joined with errors.Join (one per
// line of the message); errors.As finds the first.
type Error struct {
	File string // the name given to Parse; empty for a Config built in code
	Line int    // 1-based; 0 when the problem has no line (a missing key)
	Path string // key path such as "flow.idle_timeout" or "capture.ports[1]"; empty for a YAML syntax error
	Msg  string
}

// Error formats e like a compiler: "file:line: path: message", leaving
// out what is unknown.
func (e *Error) Error() string {
	var b []byte
	if e.File != "" {
		b = append(b, e.File...)
		if e.Line > 0 {
			b = append(b, ':')
			b = strconv.AppendInt(b, int64(e.Line), 10)
		}
		b = append(b, ": "...)
	} else if e.Line > 0 {
		b = append(b, "line "...)
		b = strconv.AppendInt(b, int64(e.Line), 10)
		b = append(b, ": "...)
	}
	if e.Path != "" {
		b = append(b, e.Path...)
		b = append(b, ": "...)
	}
	b = append(b, e.Msg...)
	return string(b)
}

// Errorf returns an *Error about the key at path (such as
// "detector.model"), located at its line in the file c was parsed from:
// for problems found after loading, such as a model file that does not
// load.
func (c *Config) Errorf(path, format string, args ...any) *Error {
	e := &Error{Path: path, Msg: fmt.Sprintf(format, args...)}
	if c.src != nil {
		e.File, e.Line = c.src.name, c.src.lines[path]
	}
	return e
}

// maxErrors bounds how many problems one parse reports, so that a file of
// ten thousand bad entries gives a readable answer.
const maxErrors = 20

// source remembers where each key of a parsed file is.
type source struct {
	name   string
	lines  map[string]int // key path → line of its value
	failed []string       // key paths whose values could not be decoded
}

// hasFailed reports whether path, or a key above it, failed to decode.
func (s *source) hasFailed(path string) bool {
	for _, f := range s.failed {
		if rest, ok := strings.CutPrefix(path, f); ok && (rest == "" || rest[0] == '.' || rest[0] == '[') {
			return true
		}
	}
	return false
}

// errorList collects problems in the order found.
type errorList struct {
	src  *source
	errs []*Error
	more int // problems beyond maxErrors
}

// add records a problem at path, on the line the source has for it.
func (l *errorList) add(path, format string, args ...any) {
	line := 0
	if l.src != nil {
		if l.src.hasFailed(path) {
			return // already reported as a bad value
		}
		line = l.src.lines[path]
	}
	l.addAt(line, path, format, args...)
}

// addAt records a problem on a given line.
func (l *errorList) addAt(line int, path, format string, args ...any) {
	if len(l.errs) >= maxErrors {
		l.more++
		return
	}
	e := &Error{Line: line, Path: path, Msg: fmt.Sprintf(format, args...)}
	if l.src != nil {
		e.File = l.src.name
	}
	l.errs = append(l.errs, e)
}

// sorted orders the problems by line, those with no line last.
func (l *errorList) sorted() *errorList {
	slices.SortStableFunc(l.errs, func(a, b *Error) int {
		if (a.Line == 0) != (b.Line == 0) {
			return cmp.Compare(b.Line, a.Line) // the one with a line first
		}
		return cmp.Compare(a.Line, b.Line)
	})
	return l
}

// err returns nil, the one problem, or all of them joined.
func (l *errorList) err() error {
	if len(l.errs) == 0 {
		return nil
	}
	if len(l.errs) == 1 && l.more == 0 {
		return l.errs[0]
	}
	errs := make([]error, 0, len(l.errs)+1)
	for _, e := range l.errs {
		errs = append(errs, e)
	}
	if l.more > 0 {
		file := ""
		if l.src != nil {
			file = l.src.name
		}
		errs = append(errs, &Error{File: file, Msg: fmt.Sprintf("and %d more problems", l.more)})
	}
	return errors.Join(errs...)
}
