package features

import (
	"testing"

	"github.com/tlsentry/tlsentry/detector/transcript"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// Records framed as TLS that never carry a handshake are a protocol of
// their own when the client was seen from its SYN; a capture that missed
// the SYN (which may carry a hello: TCP Fast Open) or the whole start
// cannot tell them from the rest of a session, and says TLS.
func TestRecordsWithoutHandshake(t *testing.T) {
	for _, f := range labFlows(t, labset.FakeTLS, 3) {
		if !f.ClientSYN {
			t.Fatal("a generated connection was not seen from the client's SYN")
		}
		var v Values
		Extract(f, tlsparse.FromFlow(f, nil), &v)
		if got := v.Cats[CAppProto]; len(got) != 1 || got[0] != transcript.RecordsOnly {
			t.Errorf("seen from its SYN: protocol %v, want %s", got, transcript.RecordsOnly)
		}
		if v.Vec[FNoHandshake] != 1 {
			t.Error("seen from its SYN: client.no_handshake not set")
		}
		if v.Vec[FServerEncRecords] != 0 {
			t.Errorf("no server hello, yet %v of the server's records read as its encrypted handshake", v.Vec[FServerEncRecords])
		}
		f.ClientSYN = false
		Extract(f, tlsparse.FromFlow(f, nil), &v)
		if got := v.Cats[CAppProto]; len(got) != 1 || got[0] != tlsparse.SniffTLS || v.Vec[FNoHandshake] != 0 {
			t.Errorf("client's SYN missed: protocol %v, client.no_handshake %v, want tls and 0", got, v.Vec[FNoHandshake])
		}
	}
	for _, f := range labFlows(t, labset.Benign, 3) {
		var v Values
		Extract(f, tlsparse.FromFlow(f, nil), &v)
		if got := v.Cats[CAppProto]; len(got) != 1 || got[0] != tlsparse.SniffTLS || v.Vec[FNoHandshake] != 0 {
			t.Errorf("a TLS handshake: protocol %v, client.no_handshake %v", got, v.Vec[FNoHandshake])
		}
	}
}
