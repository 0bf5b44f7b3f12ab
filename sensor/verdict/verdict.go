package verdict

import (
	"fmt"
	"math"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/sensor/allowlist"
)

// MaxThreshold bounds a threshold: far above any model's scores, so that
// a typo (an extra zero) is caught rather than silencing every alert.
const MaxThreshold = 1000

// CheckThreshold reports whether t can be a threshold: a number above 0
// and at most MaxThreshold.
func CheckThreshold(t float64) error {
	if math.IsNaN(t) || t <= 0 || t > MaxThreshold {
		return fmt.Errorf("threshold %v: must be more than 0 and at most %d", t, MaxThreshold)
	}
	return nil
}

// Policy is what turns a score into an alert.
type Policy struct {
	Threshold float64         // alert at or above
	Allow     *allowlist.List // flows never alerted on; nil: none
}

// Validate checks the threshold.
func (p *Policy) Validate() error { return CheckThreshold(p.Threshold) }

// Verdict is a policy's decision on one scored flow.
type Verdict struct {
	Score, Threshold float64
	// Alert: the score is at or above the threshold and no allowlist
	// entry allows the flow.
	Alert bool
	// Suppressed names the allowlist reason (allowlist.Reasons) of a flow
	// that scored at or above the threshold but is allowed.
	Suppressed string
}

// Over reports whether the score reached the threshold, allowed or not.
func (v Verdict) Over() bool { return v.Alert || v.Suppressed != "" }

// Judge gives the verdict on a flow with the given score; h is its parsed
// handshake (nil: not parsed, and only the addresses are matched).
func (p *Policy) Judge(score float64, f *flow.Flow, h *tlsparse.Handshake) Verdict {
	v := Verdict{Score: score, Threshold: p.Threshold}
	if score < p.Threshold {
		return v
	}
	if reason, ok := p.Allow.Match(Info(f, h)); ok {
		v.Suppressed = reason
		return v
	}
	v.Alert = true
	return v
}

// Info is what an allowlist looks at in a flow and its handshake.
func Info(f *flow.Flow, h *tlsparse.Handshake) allowlist.FlowInfo {
	info := allowlist.FlowInfo{Src: f.Client.AddrPort().Addr(), Dst: f.Server.AddrPort().Addr()}
	if h == nil || h.Client == nil {
		return info
	}
	info.SNI = h.Client.ServerName
	p := h.Prints(h.Transport())
	info.JA3, info.JA4 = p.JA3.Hash, p.JA4
	return info
}
