package eve

import (
	"encoding/json"
	"fmt"
	"testing"
	"unicode/utf8"
)

func FuzzAppendString(f *testing.F) {
	f.Add("plain")
	f.Add("quote\" back\\ nl\n nul\x00 bad\xff\xfe u2028\u2028")
	f.Add("a long plain name.example.com, then\x1f and \" past eight bytes; then é and \u2029 at the end")
	f.Fuzz(func(t *testing.T, s string) {
		b := appendString(nil, s)
		if want := appendStringBytewise(nil, s); string(b) != string(want) {
			t.Fatalf("%q: %s, byte by byte %s", s, b, want)
		}
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q: invalid JSON %s: %v", s, b, err)
		}
		if utf8.ValidString(s) && got != s {
			t.Fatalf("%q round-tripped to %q", s, got)
		}
	})
}

// appendStringBytewise is appendString's rules one byte at a time, with
// no eight-byte skip: the reference the fuzz test holds it to.
func appendStringBytewise(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, `\n`...)
			case c == '\r':
				b = append(b, `\r`...)
			case c == '\t':
				b = append(b, `\t`...)
			case c < 0x20:
				b = fmt.Appendf(b, `\u%04x`, c)
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = fmt.Appendf(b, `\u%04x`, r)
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
