package flow

import (
	"bytes"
	"testing"
)

// TestHelloSegments follows a client's first record through the segments
// that deliver it.
func TestHelloSegments(t *testing.T) {
	hello := append([]byte{0x16, 3, 1, 0x02, 0x00}, bytes.Repeat([]byte{1}, 512)...) // 517 bytes
	deliver := func(cuts ...int) *HelloSegments {
		var s helloSegs
		off := 0
		for _, n := range append(cuts, len(hello)-sum(cuts)) {
			s.note(off, hello[off:off+n], false)
			off += n
		}
		return s.result()
	}
	if got := deliver(); got != nil {
		t.Errorf("one segment: %+v", got)
	}
	if got := deliver(2); got == nil || *got != (HelloSegments{Record: 517, Segments: 2, First: 2, Largest: 515}) {
		t.Errorf("cut after 2 bytes: %+v", got)
	}
	if got := deliver(248, 248); got == nil || *got != (HelloSegments{Record: 517, Segments: 3, First: 248, Largest: 248}) {
		t.Errorf("a 300-byte MTU: %+v", got)
	}
	if got := deliver(1, 1, 1); got == nil || got.First != 1 || got.Segments != 4 {
		t.Errorf("the header cut too: %+v", got)
	}

	// A record the flow does not bring whole, one that is not a handshake
	// record at byte 0, or a hole: nothing.
	var cut helloSegs
	cut.note(0, hello[:2], false)
	cut.note(2, hello[2:300], false)
	if got := cut.result(); got != nil {
		t.Errorf("a record cut short: %+v", got)
	}
	var http helloSegs
	http.note(0, []byte("GET"), false)
	http.note(3, []byte(" / HTTP/1.1\r\n"), false)
	if got := http.result(); got != nil {
		t.Errorf("HTTP: %+v", got)
	}
	var holed helloSegs
	holed.note(0, hello[:2], false)
	holed.note(100, hello[100:], true)
	if got := holed.result(); got != nil {
		t.Errorf("a hole: %+v", got)
	}
	var notTLS helloSegs
	notTLS.note(0, []byte{0x16, 0x47, 0x45}, false)
	notTLS.note(3, []byte{0, 4, 1, 2, 3, 4}, false)
	if got := notTLS.result(); got != nil {
		t.Errorf("0x16 then no TLS version: %+v", got)
	}
}

func sum(xs []int) (n int) {
	for _, x := range xs {
		n += x
	}
	return n
}
