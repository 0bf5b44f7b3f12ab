package bounds

import (
	"fmt"
	"strings"
	"time"
)

// Error is one field of a configuration type out of its bounds.
type Error struct {
	Field string // the Go field, as in "RingBytes"
	Msg   string // what is wrong, in the owner's units
	// Range holds the value and its limits when the problem is a range.
	Range *Range
}

// Range is a value outside [Min, Max]: counts and bytes as integers,
// durations in nanoseconds (Duration set).
type Range struct {
	Value, Min, Max int64
	Duration        bool
}

func (e *Error) Error() string { return e.Field + ": " + e.Msg }

// Int adds an *Error to errs when v is outside [lo, hi].
func Int(errs *[]error, field string, v, lo, hi int) {
	Int64(errs, field, int64(v), int64(lo), int64(hi))
}

// Int64 adds an *Error to errs when v is outside [lo, hi].
func Int64(errs *[]error, field string, v, lo, hi int64) {
	if v < lo || v > hi {
		*errs = append(*errs, &Error{Field: field, Msg: fmt.Sprintf("%d is out of range (%d-%d)", v, lo, hi),
			Range: &Range{Value: v, Min: lo, Max: hi}})
	}
}

// Duration adds an *Error to errs when v is outside [lo, hi].
func Duration(errs *[]error, field string, v, lo, hi time.Duration) {
	if v < lo || v > hi {
		*errs = append(*errs, &Error{Field: field, Msg: fmt.Sprintf("%s is out of range (%s-%s)", Short(v), Short(lo), Short(hi)),
			Range: &Range{Value: int64(v), Min: int64(lo), Max: int64(hi), Duration: true}})
	}
}

// Add adds an *Error that is not a range.
func Add(errs *[]error, field, format string, args ...any) {
	*errs = append(*errs, &Error{Field: field, Msg: fmt.Sprintf(format, args...)})
}

// Fields lists the *Errors in err (joined or wrapped), in order; an error
// that is not one is left out.
func Fields(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if e, ok := err.(*Error); ok {
			out = append(out, e)
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}

// Short writes a duration the way a configuration file would: 24h rather
// than 24h0m0s.
func Short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// Is reports whether err holds an *Error for field.
func Is(err error, field string) bool {
	for _, e := range Fields(err) {
		if e.Field == field {
			return true
		}
	}
	return false
}
