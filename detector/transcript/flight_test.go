package transcript

import (
	"testing"

	"github.com/tlsentry/tlsentry/flow"
)

func TestServerFlight(t *testing.T) {
	hello := rec(22, hsMsg(1, 200)...)
	sh := rec(22, hsMsg(2, 86)...)
	ccs := rec(20, 1)
	enc := func(n int) []byte { return rec(23, make([]byte, n)...) }
	finished := rec(23, make([]byte, 53)...)
	small := cat(sh, ccs, enc(23), enc(480), enc(164), finished)
	cases := []struct {
		name   string
		f      *flow.Flow
		want   Flight
		reason string
	}{
		{"whole turn", withReply(mkflow(hello, small, nil, nil), []byte("client finished")), Flight{Records: 4, Largest: 480, Total: 720, Whole: true}, ""},
		{"turn still going at the prefix's end", mkflow(hello, small, nil, nil), Flight{Records: 4, Largest: 480, Total: 720}, "no client bytes after it"},
		{"record cut by the prefix", withReply(mkflow(hello, cat(sh, ccs, enc(23), enc(480))[:300], nil, nil), []byte("x")), Flight{Records: 2, Largest: 480, Total: 503}, "a record cut short"},
		{"no encrypted records (TLS 1.2 clear flight)", mkflow(hello, sh, nil, nil), Flight{}, ""},
		{"after a STARTTLS exchange", withReply(starttls(hello, small), []byte("client finished")), Flight{Records: 4, Largest: 480, Total: 720, Whole: true}, "the server's first turns are its greeting and its go-ahead"},
		{"bytes that are not TLS records", mkflow(hello, []byte("HTTP/1.1 200 OK\r\n\r\n"), nil, nil), Flight{}, ""},
		{"at most MaxFlightRecords", mkflow(hello, cat(sh, enc(10), enc(10), enc(10), enc(10), enc(10), enc(10), enc(10), enc(10), enc(10), enc(10)), nil, nil),
			Flight{Records: MaxFlightRecords, Largest: 10, Total: 10 * MaxFlightRecords}, ""},
	}
	for _, c := range cases {
		if got := ServerFlight(c.f); got != c.want {
			t.Errorf("%s: %+v, want %+v %s", c.name, got, c.want, c.reason)
		}
	}
}

// starttls makes a flow whose server greets, whose client asks for TLS
// and, told to go ahead, sends hello, which the server answers with s.
func starttls(hello, s []byte) *flow.Flow {
	f := &flow.Flow{}
	for i, turn := range [][]byte{[]byte("220 mail.example.com ESMTP\r\n"), []byte("STARTTLS\r\n"), []byte("220 2.0.0 Ready to start TLS\r\n"), hello, s} {
		f.Prefix = append(f.Prefix, turn...)
		f.PrefixRuns = append(f.PrefixRuns, flow.PrefixRun{FromClient: i%2 == 1, Len: len(turn)})
	}
	return f
}

// withReply adds a client run after f's runs.
func withReply(f *flow.Flow, b []byte) *flow.Flow {
	f.Prefix = append(f.Prefix, b...)
	f.PrefixRuns = append(f.PrefixRuns, flow.PrefixRun{FromClient: true, Len: len(b)})
	return f
}

func TestKeptFlight(t *testing.T) {
	sh := rec(22, hsMsg(2, 86)...)
	ccs := rec(20, 1)
	enc := func(n int) []byte { return rec(23, make([]byte, n)...) }
	kept := cat(sh, ccs, enc(27), enc(418))[:200] // the bytes that came with the hello, cut in the second record
	f := mkflow(rec(22, hsMsg(1, 1100)...)[:1024], nil, nil, kept)
	if got, want := KeptFlight(f), (Flight{Records: 2, Largest: 418, Total: 445}); got != want {
		t.Errorf("%+v, want %+v", got, want)
	}
	if got := ServerFlight(f); got.Records != 0 {
		t.Errorf("the prefix holds no server bytes, yet %+v", got)
	}
	f.Transport = flow.TransportUDP
	if got := KeptFlight(f); got.Records != 0 {
		t.Errorf("QUIC: %+v", got)
	}
}
