package transcript

import "testing"

// TestMySQLGreeting: a server greeting is one whole protocol-10 packet
// whose capability flags offer TLS; cut, without its version's NUL, or
// not offering TLS, it is not.
func TestMySQLGreeting(t *testing.T) {
	mk := func(capsHigh byte) []byte {
		g := append([]byte{0, 0, 0, 0, 10}, "5.7.23-log\x00"...)
		g = append(g, 9, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0xff, capsHigh, 8, 2, 0)
		g[0] = byte(len(g) - 4)
		return g
	}
	ok := mk(0xff)
	noNUL := append([]byte(nil), ok...)
	noNUL[15] = 'x'
	for _, c := range []struct {
		name string
		p    []byte
		want bool
	}{
		{"a greeting offering TLS", ok, true},
		{"no CLIENT_SSL", mk(0xf7), false},
		{"cut", ok[:len(ok)-1], false},
		{"followed by more bytes", append(append([]byte(nil), ok...), 0), false},
		{"its version not ended", noNUL, false},
		{"protocol 9", append(append([]byte(nil), ok[:4]...), append([]byte{9}, ok[5:]...)...), false},
		{"empty", nil, false},
	} {
		if got := isMySQLGreeting(c.p); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
