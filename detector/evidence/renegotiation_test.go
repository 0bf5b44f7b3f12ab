package evidence

import (
	"context"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/detector/transcript"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// record is a TLS 1.2 record of n opaque bytes (an encrypted one).
func record(typ byte, n int) []byte {
	b := append([]byte{typ, 3, 3, byte(n >> 8), byte(n)}, make([]byte, n)...)
	for i := 5; i < len(b); i++ {
		b[i] = byte(i * 131)
	}
	return b
}

// renegotiationFlows are real crypto/tls handshakes of the benign stacks
// (TLS 1.3 and TLS 1.2 by turn) with extra sent by the client after its
// handshake and before its request: the flow layer follows a session's
// records until its client sends application data.
func renegotiationFlows(t *testing.T, extra []byte) []*flow.Flow {
	t.Helper()
	convs, err := labset.Conversations(context.Background(), labset.Benign, 4, 5)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range convs {
		if extra == nil {
			continue
		}
		at := 0 // the client's request
		for !c[at].FromClient || c[at].Data[0] != 23 {
			at++
		}
		convs[i] = append(c[:at:at], append(capgen.Conversation{capgen.ClientWrite(extra)}, c[at:]...)...)
	}
	flows, err := labset.FlowsOf("renegotiation", convs, 5)
	if err != nil {
		t.Fatal(err)
	}
	return flows
}

// TestRenegotiation: a TLS 1.2 client that sends a second encrypted
// handshake record after its Finished (a renegotiation) fires
// hs.renegotiation; the same session without it does not, nor does TLS
// 1.3, whose encrypted handshake is application data records.
func TestRenegotiation(t *testing.T) {
	tab := Calibrate("labset benign", inputs(t, labset.Benign, 24), nil)
	renegotiated := renegotiationFlows(t, record(22, 243))
	plain := renegotiationFlows(t, nil)
	for i := range renegotiated {
		in, base := input(renegotiated[i]), input(plain[i])
		v := in.TLS.Version()
		if firedID(tab, base, "hs.renegotiation") {
			t.Errorf("%s session with application data judged renegotiated: %s", tlsparse.VersionName(v), base.T.Client.AfterCCS())
		}
		got := firedID(tab, in, "hs.renegotiation")
		if want := v == tlsparse.VersionTLS12; got != want {
			t.Errorf("%s session, a handshake record after the client's Finished: fired %v, want %v (%s)", tlsparse.VersionName(v), got, want, in.T.Client.AfterCCS())
		}
		if got {
			for _, f := range tab.Explain(in) {
				if f.ID == "hs.renegotiation" && (f.Bits < 4 || !strings.Contains(f.Text, "2 handshake records after its change_cipher_spec (change_cipher_spec, handshake x2, application_data)")) {
					t.Errorf("finding: %+v", f)
				}
			}
		}
	}
}

// TestRenegotiationCountsNPN: a client whose server accepted NPN or
// Channel ID sends one more encrypted handshake message before its
// Finished: two handshake records after its change_cipher_spec are then
// one handshake, three a renegotiation.
func TestRenegotiationCountsNPN(t *testing.T) {
	in := func(ext uint16, types ...uint8) *Input {
		var recs []transcript.Record
		for _, ty := range types {
			recs = append(recs, transcript.Record{Type: ty})
		}
		sh := &tlsparse.ServerHello{SelectedVersion: tlsparse.VersionTLS12}
		if ext != 0 {
			sh.Extensions = []tlsparse.Extension{{Type: ext}}
		}
		return &Input{Flow: &flow.Flow{}, TLS: &tlsparse.Handshake{Server: &tlsparse.ServerFlight{ServerHello: sh}},
			T: &transcript.Transcript{Client: transcript.Side{Records: recs}}}
	}
	renegotiation := checkByID(t, "hs.renegotiation")
	cases := []struct {
		name string
		in   *Input
		want bool
	}{
		{"Finished", in(0, 22, 22, 20, 22, 23), false},
		{"Finished and a renegotiation", in(0, 22, 22, 20, 22, 22), true},
		{"NPN's NextProtocol and Finished", in(extNextProtoNeg, 22, 22, 20, 22, 22, 23), false},
		{"Channel ID and Finished", in(extChannelID, 22, 22, 20, 22, 22, 23), false},
		{"NPN, Finished and a renegotiation", in(extNextProtoNeg, 22, 22, 20, 22, 22, 22), true},
	}
	for _, c := range cases {
		if !renegotiation.applies(c.in) {
			t.Fatalf("%s: not applied", c.name)
		}
		if got := renegotiation.fires(c.in); got != c.want {
			t.Errorf("%s: fired %v, want %v", c.name, got, c.want)
		}
	}
	if tls13 := in(0, 22, 20, 22, 23); func() bool {
		tls13.TLS.Server.ServerHello.SelectedVersion = tlsparse.VersionTLS13
		return renegotiation.applies(tls13)
	}() {
		t.Error("applied to TLS 1.3")
	}
}

// checkByID returns the check with that id.
func checkByID(t *testing.T, id string) *check {
	t.Helper()
	for i := range checks {
		if checks[i].id == id {
			return &checks[i]
		}
	}
	t.Fatalf("no check %q", id)
	return nil
}
