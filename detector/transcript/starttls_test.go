package transcript

import (
	"bytes"
	"testing"
)

// asksTLSByWord is asksTLS as one bytes.EqualFold search a word: the
// reference the one-pass matcher is held to.
func asksTLSByWord(p []byte) bool {
	for _, w := range tlsAsks {
		for i := 0; i+len(w) <= len(p); i++ {
			if bytes.EqualFold(p[i:i+len(w)], []byte(w)) {
				return true
			}
		}
	}
	return bytes.HasPrefix(p, []byte("STLS")) || bytes.HasPrefix(p, []byte("+OK Begin"))
}

var asksCases = []struct {
	in   string
	want bool
}{
	{"220 mail.example.com ESMTP\r\n250-STARTTLS\r\n", true},
	{"a001 starttls\r\n", true},
	{"STLS\r\n", true},
	{"+OK Begin TLS negotiation\r\n", true},
	{"+OK POP3\r\nstls\r\n", true},
	{"AUTH TLS\r\n", true},
	{"auth ssl\r\n", true},
	{"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", true},
	{"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", true},
	{"0\x1d\x02\x01\x01w\x18\x80\x161.3.6.1.4.1.1466.20037", true},
	{"220 Ready to start TLS\r\n", true},
	{"234 begin tls\r\n", true},
	{"220 \"Authorized users only\"\r\n234 Proceed with negotiation.\r\n", true},
	{"HTTP/1.1 200 OK\r\nContent-Length: 234\r\n", false},
	{"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", false},
	{"SSH-2.0-OpenSSH_9.6\r\n", false},
	{"STARTTL", false},
	{"\u017ftarttls", false},     // long s: EqualFold folds it to s, but it is two bytes
	{"\u212aUTH TLS", false},     // Kelvin sign, likewise (and not an A)
	{"st\u212Arttls", false},     // a multi-byte rune inside the word
	{"@UTH TLS `uth ssl", false}, // bytes that differ from letters by 0x20 but are not letters
	{"", false},
}

func TestAsksTLS(t *testing.T) {
	for _, c := range asksCases {
		if got := asksTLS([]byte(c.in)); got != c.want {
			t.Errorf("asksTLS(%q) = %v, want %v", c.in, got, c.want)
		}
		if ref := asksTLSByWord([]byte(c.in)); ref != c.want {
			t.Errorf("reference asksTLSByWord(%q) = %v, want %v", c.in, ref, c.want)
		}
	}
}

// FuzzAsksTLS holds the one-pass matcher to the word-by-word search.
func FuzzAsksTLS(f *testing.F) {
	for _, c := range asksCases {
		f.Add([]byte(c.in))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		if got, want := asksTLS(p), asksTLSByWord(p); got != want {
			t.Fatalf("asksTLS(%q) = %v, word by word %v", p, got, want)
		}
	})
}

func BenchmarkAsksTLS(b *testing.B) {
	p := bytes.Repeat([]byte("GET /index.html HTTP/1.1\r\nHost: www.example.com\r\nAccept: */*\r\n"), 20)[:1024]
	for b.Loop() {
		if asksTLS(p) {
			b.Fatal("matched")
		}
	}
}
