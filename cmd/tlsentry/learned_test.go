package main

import (
	"testing"

	"github.com/tlsentry/tlsentry/flow"
)

// TestSummariseTruncatedHello: a hello the capture cut short counts as a
// TLS flow of an undetermined version, but as no client stack (it has no
// JA4; it used to count as one stack of the empty JA4).
func TestSummariseTruncatedHello(t *testing.T) {
	body := append([]byte{3, 3}, make([]byte, 32)...) // version, random
	body = append(body, 0, 0, 2, 0x00, 0x2f, 1, 0)    // no session id, one suite, null compression
	msg := append([]byte{1, 0, 0, byte(len(body))}, body...)
	hello := append([]byte{0x16, 3, 1, 0, byte(len(msg))}, msg...)
	cut := &flow.Flow{ClientHandshake: hello[:20]}
	whole := &flow.Flow{ClientHandshake: hello}
	l := summarise([]*flow.Flow{cut, whole})
	if len(l.ja4) != 1 || l.ja4[""] != 0 {
		t.Errorf("JA4 counts %v, want the whole hello's alone", l.ja4)
	}
	if l.versions["UNDETERMINED"] != 1 || l.versions["TLS 1.2"] != 1 {
		t.Errorf("versions %v", l.versions)
	}
}
