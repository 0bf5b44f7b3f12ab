package evidence

import "time"

// A flow's time comes from its capture's clock, which public and replayed
// captures often get wrong: zeroed timestamps (1970), devices without a
// real-time clock (2000), clocks set decades ahead. Judged by such a
// clock, ordinary certificates look expired or not yet valid and an old
// client stack looks new. A flow is undated when its clock reads
//   - before 1995 (undatedBefore: SSL did not exist),
//   - more than clockAhead after the sensor's own clock (a capture cannot
//     come from the future), or
//   - more than clockBehind before its server's certificate became valid:
//     servers present the certificates they hold, and one issued a year
//     or more after the flow says the capture's clock ran behind. A
//     certificate valid only from a few hours or days on (a server's or a
//     forger's clock skew) still fires cert.not_yet_valid.
//
// An undated flow has no era (the whole corpus's rates judge it), and the
// checks that compare its time with its certificate's validity do not
// apply to it, in calibration as in scoring.
const (
	clockAhead  = 24 * time.Hour
	clockBehind = 365 * 24 * time.Hour
)

// undatedBefore: a clock that reads earlier than this is zeroed or
// invented (SSL did not exist).
var undatedBefore = time.Date(1995, 1, 1, 0, 0, 0, 0, time.UTC)

// wallClock is the sensor's own clock (a variable for tests).
var wallClock = time.Now

// Dating states of an Input, memoised: several checks and the era ask.
const (
	datingUnread uint8 = iota
	datingDated
	datingUndated
)

// clockTrusted reports whether x's time can be trusted (see above).
func clockTrusted(x *Input) bool {
	switch x.dating {
	case datingDated:
		return true
	case datingUndated:
		return false
	}
	ok := x.Flow != nil && clockPlausible(x.Flow.Start, x)
	x.dating = datingUndated
	if ok {
		x.dating = datingDated
	}
	return ok
}

func clockPlausible(t time.Time, x *Input) bool {
	if t.Before(undatedBefore) || t.After(wallClock().Add(clockAhead)) {
		return false
	}
	if x.TLS != nil {
		if l := leaf(x); l != nil && l.NotBefore.Sub(t) > clockBehind {
			return false
		}
	}
	return true
}

// datedLeaf: the flow shows a certificate whose validity was read and its
// time can be compared with it.
func datedLeaf(in *Input) bool { return validityRead(in) && clockTrusted(in) }

// validityRead: the flow shows a certificate whose validity dates were
// read; a certificate whose DER does not parse that far has none (zero
// times), and nothing is said of them.
func validityRead(in *Input) bool {
	c := leaf(in)
	return c != nil && !c.NotBefore.IsZero() && !c.NotAfter.IsZero()
}
