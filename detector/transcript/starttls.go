package transcript

import (
	"bytes"
	"math/bits"
)

// tlsAsks are the words of text exchanges that switch to TLS, found
// anywhere in a side's first bytes, ASCII letters in either case: SMTP/LMTP
// STARTTLS, IMAP STARTTLS, POP3 STLS, FTP AUTH TLS/SSL, XMPP <starttls,
// LDAP's StartTLS OID, and the servers' go-ahead (FTP's in any words: the
// reply code RFC 2228 gives AUTH's success, 234, at a line's start).
var tlsAsks = [...]string{"STARTTLS", "\nSTLS", "AUTH TLS", "AUTH SSL", "<starttls", "1.3.6.1.4.1.1466.20037", "<proceed", "Ready to start TLS", "Begin TLS", "\n234 "}

// askStarts has bit k set for the bytes tlsAsks[k] may start with (both
// cases of a letter): one pass over the bytes tries only the words that
// can start at each, instead of one pass a word.
var askStarts = func() (t [256]uint16) {
	for k, w := range tlsAsks {
		c := w[0]
		t[c] |= 1 << k
		if l := c | 0x20; l >= 'a' && l <= 'z' {
			t[l] |= 1 << k
			t[l&^0x20] |= 1 << k
		}
	}
	return t
}()

// asksTLS matches text exchanges that switch to TLS (tlsAsks), and POP3's
// STLS and its go-ahead at the start.
func asksTLS(p []byte) bool {
	for i, c := range p {
		for m := askStarts[c]; m != 0; m &= m - 1 {
			if hasPrefixASCIIFold(p[i:], tlsAsks[bits.TrailingZeros16(m)]) {
				return true
			}
		}
	}
	return bytes.HasPrefix(p, []byte("STLS")) || bytes.HasPrefix(p, []byte("+OK Begin"))
}

// hasPrefixASCIIFold reports whether b starts with w, ASCII letters in
// either case. For an ASCII w it is bytes.EqualFold on w's length: a
// window of len(w) bytes holding a multi-byte rune has fewer runes than w.
func hasPrefixASCIIFold(b []byte, w string) bool {
	if len(b) < len(w) {
		return false
	}
	for j := range len(w) {
		x, y := b[j], w[j]
		if x == y {
			continue
		}
		if x|0x20 != y|0x20 || x|0x20 < 'a' || x|0x20 > 'z' {
			return false
		}
	}
	return true
}
