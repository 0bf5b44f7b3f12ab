package decode

import (
	"slices"
	"testing"

	"github.com/tlsentry/tlsentry/flow"
)

// TestSignedSegments: a TCP MD5 signature (RFC 2385) or TCP-AO
// (RFC 5925) option marks a segment Signed wherever it sits among the
// options; timestamps, padding and a malformed list do not.
func TestSignedSegments(t *testing.T) {
	md5 := slices.Concat([]byte{19, 18}, make([]byte, 16))
	ts := []byte{8, 10, 0, 0, 0, 1, 0, 0, 0, 2}
	nop, end := []byte{1}, []byte{0}
	for _, tc := range []struct {
		name string
		opts []byte
		want bool
	}{
		{"no options", nil, false},
		{"timestamps", slices.Concat(nop, nop, ts), false},
		{"MD5 signature", slices.Concat(md5, nop, nop), true},
		{"MD5 after timestamps", slices.Concat(nop, nop, ts, md5, end, end), true},
		{"TCP-AO", slices.Concat([]byte{29, 16, 1, 1}, make([]byte, 12)), true},
		{"MD5 after the end of the list", slices.Concat(end, nop, md5), false},
		{"a zero option length", slices.Concat([]byte{8, 0}, md5), false},
		{"an option past the header", []byte{8, 40, 0, 0}, false},
	} {
		if len(tc.opts)%4 != 0 {
			t.Fatalf("%s: options of %d bytes", tc.name, len(tc.opts))
		}
		hdr := append([]byte{0x9c, 0x40, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, byte(5+len(tc.opts)/4) << 4, 0x18, 0xff, 0xff, 0, 0, 0, 0}, tc.opts...)
		b := append(hdr, "hello"...)
		var seg flow.Segment
		if r := tcp(b, len(b), &seg); r != SkipNone {
			t.Fatalf("%s: skipped (%v)", tc.name, r)
		}
		if seg.Signed != tc.want || string(seg.Payload) != "hello" {
			t.Errorf("%s: Signed = %v (want %v), payload %q", tc.name, seg.Signed, tc.want, seg.Payload)
		}
	}
}
