package verdict

import (
	"crypto/sha1"
	"fmt"
	"math"
	"strings"

	"github.com/tlsentry/tlsentry/detector/scoring"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/sensor/allowlist"
	"github.com/tlsentry/tlsentry/sensor/blocklist"
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
	// Block lists flows alerted on whatever their score (unless the
	// allowlist allows them); nil: none.
	Block *blocklist.Lists
}

// Validate checks the threshold.
func (p *Policy) Validate() error { return CheckThreshold(p.Threshold) }

// Verdict is a policy's decision on one scored flow.
type Verdict struct {
	Score, Threshold float64
	// Alert: the score is at or above the threshold, or the flow is on a
	// block list, and no allowlist entry allows the flow.
	Alert bool
	// Suppressed names the allowlist reason (allowlist.Reasons) of a flow
	// that scored at or above the threshold, or is on a block list, but
	// is allowed.
	Suppressed string
	// Listed are the flow's block list hits (allowed or not).
	Listed []blocklist.Hit
	// Exploits are the known exploits the flow showed (detector/exploit),
	// allowed or not: like a block list hit, each makes it alert.
	Exploits []scoring.Reason
}

// Over reports whether the score reached the threshold, allowed or not.
func (v Verdict) Over() bool { return v.Alert || v.Suppressed != "" }

// Judge gives the verdict on a flow with the given score; h is its parsed
// handshake (nil: not parsed, and only the addresses are matched);
// exploits are the known exploits it showed (detector/exploit.Find). A
// flow on a block list or with an exploit alerts whatever its score; the
// allowlist still wins.
func (p *Policy) Judge(score float64, f *flow.Flow, h *tlsparse.Handshake, exploits []scoring.Reason) Verdict {
	v := Verdict{Score: score, Threshold: p.Threshold, Exploits: exploits}
	if p.Block.Total() > 0 && h != nil {
		v.Listed = p.Block.Match(BlockInfo(h, p.Block.Len(blocklist.KindCertSHA1) > 0))
	}
	if score < p.Threshold && len(v.Listed) == 0 && len(v.Exploits) == 0 {
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
	if h == nil {
		return info
	}
	info.SNI = h.ServerName() // a Google QUIC hello's too
	if h.Client == nil {
		return info
	}
	p := h.Prints(h.Transport())
	info.JA3, info.JA4 = p.JA3.Hash, p.JA4
	return info
}

// BlockInfo is what the block lists look at in a handshake; certs: with
// the SHA-1 of every certificate of the server's chain (hashed here, so
// only when a certificate list is loaded).
func BlockInfo(h *tlsparse.Handshake, certs bool) blocklist.Info {
	info := blocklist.Info{SNI: h.ServerName()} // a Google QUIC hello's too
	if h.Client != nil {
		p := h.Prints(h.Transport())
		info.JA3, info.JA4 = p.JA3.Hash, p.JA4
	}
	if s := h.Server; certs && s != nil && s.Leaf != nil {
		info.Certs = make([]string, 0, len(s.Chain))
		info.Certs = append(info.Certs, s.Leaf.SHA1Fingerprint)
		for _, der := range s.Chain[min(1, len(s.Chain)):] {
			info.Certs = append(info.Certs, colonHex(sha1.Sum(der)))
		}
	}
	return info
}

// colonHex prints a SHA-1 as tlsparse does: lower-case hex, colons
// between bytes.
func colonHex(sum [sha1.Size]byte) string {
	var b strings.Builder
	b.Grow(3*len(sum) - 1)
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02x", c)
	}
	return b.String()
}
