package bounds

import (
	"fmt"
	"math"
)

// Interval is a range of float64 values; an open end leaves its bound
// out (a share of flows is "more than 0 and less than 0.5").
type Interval struct {
	Lo, Hi         float64
	LoOpen, HiOpen bool
}

// Contains reports whether v is a number in r (NaN never is).
func (r Interval) Contains(v float64) bool {
	if math.IsNaN(v) || v < r.Lo || v > r.Hi {
		return false
	}
	return !(r.LoOpen && v == r.Lo) && !(r.HiOpen && v == r.Hi)
}

// String says r in words: "more than 0 and less than 0.5", "at least 1
// and at most 10".
func (r Interval) String() string {
	lo, hi := "at least", "at most"
	if r.LoOpen {
		lo = "more than"
	}
	if r.HiOpen {
		hi = "less than"
	}
	return fmt.Sprintf("%s %g and %s %g", lo, r.Lo, hi, r.Hi)
}

// Float64 adds an *Error to errs when v is NaN or outside r.
func Float64(errs *[]error, field string, v float64, r Interval) {
	switch {
	case math.IsNaN(v):
		*errs = append(*errs, &Error{Field: field, Msg: fmt.Sprintf("NaN is not a number (%s)", r)})
	case !r.Contains(v):
		*errs = append(*errs, &Error{Field: field, Msg: fmt.Sprintf("%g is out of range (%s)", v, r)})
	}
}
