package evidence

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/detector/transcript"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/labset"
)

func inputs(t testing.TB, kind string, n int) []*Input {
	t.Helper()
	flows, err := labset.Flows(context.Background(), kind, n, 5)
	if err != nil {
		t.Fatal(err)
	}
	var out []*Input
	for _, f := range flows {
		out = append(out, input(f))
	}
	return out
}

func input(f *flow.Flow) *Input {
	in := &Input{Flow: f, TLS: tlsparse.FromFlow(f, nil), T: new(transcript.Transcript)}
	transcript.Of(f, in.T)
	return in
}

// benignNames are server names people chose, for the name model.
var benignNames = []string{"www.example.com", "accounts.google.com", "login.microsoftonline.com", "static.xx.fbcdn.net",
	"api.github.com", "mail.yahoo.com", "www.wikipedia.org", "clients4.google.com", "outlook.office365.com", "cdn.jsdelivr.net",
	"update.googleapis.com", "settings-win.data.microsoft.com", "images.example.org", "download.mozilla.org", "weather.com",
	"www.amazon.com", "graph.facebook.com", "connectivity-check.ubuntu.com", "security.debian.org", "telemetry.mozilla.org"}

var words = strings.Fields("apple banana network server window account login update weather people market garden " +
	"station printer library company secure connect service storage download upload picture message mobile office " +
	"system manager monitor report analysis control history central content delivery static images player stream")

func TestChecksFire(t *testing.T) {
	names, err := FitNames(benignNames, words)
	if err != nil {
		t.Fatal(err)
	}
	benign := inputs(t, labset.Benign, 24)
	tab := Calibrate("labset benign", benign, names)
	// The lab's certificates name example.com hosts, so the placeholder
	// check fires on every benign flow with a certificate in clear: on
	// its own corpus it must then weigh next to nothing.
	for _, in := range benign {
		for _, f := range tab.Explain(in) {
			if f.ID != "sni.generated" && f.Bits >= 0.5 {
				t.Errorf("benign flow: %+v", f)
			}
		}
	}
	want := map[string]string{
		labset.NonTLSSSH:       "proto.not_tls.ssh",
		labset.NonTLSHTTP:      "proto.not_tls.http",
		labset.NonTLSRandom:    "proto.not_tls.random",
		labset.TruncatedHello:  "hs.client_truncated",
		labset.LegacyTLS10:     "version.tls10",
		labset.OddCiphersNoSNI: "sni.missing",
		labset.SelfSigned:      "cert.self_signed",
		labset.PreambleConnect: "proto.preamble.connect",
		labset.PreambleBanner:  "proto.preamble.binary",
		labset.ClientCert:      "hs.certificate_request", // the client's own certificate lies beyond the prefix
		labset.FakeTLS:         "proto.no_handshake",
		labset.StagerPayload:   "proto.server_first",
		labset.RolesSwapped:    "hs.roles_swapped",
		labset.HelloCut:        "hs.hello_fragmented",
		labset.SNIInjection:    "sni.invalid",
	}
	for kind, id := range want {
		for _, in := range inputs(t, kind, 3) {
			found := tab.Explain(in)
			ok := false
			for _, f := range found {
				if f.ID == id {
					ok = true
					if f.Bits < 4 || !strings.Contains(f.Text, "flows of the benign corpus (labset benign)") {
						t.Errorf("%s: %+v", kind, f)
					}
				}
			}
			if !ok {
				t.Errorf("%s: %s did not fire: %+v", kind, id, found)
			}
			if s := tab.Score(in); s < 5 {
				t.Errorf("%s: score %v", kind, s)
			}
		}
	}
	stage := inputs(t, labset.StagerPayload, 1)[0]
	if txt := tab.Explain(stage)[0].Text; !strings.HasPrefix(txt, "the server spoke first, before its client sent a byte: a program (an executable file sent raw, as stagers send their payload) (") {
		t.Errorf("text %q", txt)
	}
	ssh := inputs(t, labset.NonTLSSSH, 1)[0]
	if txt := tab.Explain(ssh)[0].Text; !strings.HasPrefix(txt, `the client spoke SSH (SSH-2.0-OpenSSH_9.6\r\n), not TLS, on port 443`) {
		t.Errorf("text %q", txt)
	}
}

func TestGroupsCountOnce(t *testing.T) {
	benign := inputs(t, labset.Benign, 8)
	tab := Calibrate("b", benign, nil)
	in := inputs(t, labset.SelfSigned, 1)[0]
	found := tab.Explain(in)
	sum := 0.0
	groups := map[string]int{}
	for _, f := range found {
		if f.Counted {
			sum += f.Bits
			groups[f.Group]++
		}
	}
	for g, n := range groups {
		if n != 1 {
			t.Errorf("group %s counted %d times", g, n)
		}
	}
	if got := tab.Score(in); math.Abs(got-sum) > 1e-9 {
		t.Errorf("score %v, counted findings sum to %v: %+v", got, sum, found)
	}
}

// dictWords reads Debian's wamerican list, when installed.
func dictWords(t *testing.T) []string {
	data, err := os.ReadFile("/usr/share/dict/words")
	if err != nil {
		t.Skip("no /usr/share/dict/words (Debian package wamerican)")
	}
	return strings.Fields(string(data))
}

func TestNames(t *testing.T) {
	m, err := FitNames(benignNames, dictWords(t))
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	const b32 = "abcdefghijklmnopqrstuvwxyz234567"
	fired := 0
	for range 50 {
		l := make([]byte, 8+r.IntN(8))
		for i := range l {
			l[i] = b32[r.IntN(len(b32))]
		}
		if m.Generated(fmt.Sprintf("www.%s.com", l)) {
			fired++
		}
	}
	if fired < 35 { // short random labels can read as words
		t.Errorf("%d of 50 random names look generated", fired)
	}
	for _, n := range []string{"www.network-monitor.com", "download.example.org", "secure.login.company.net"} {
		if m.Generated(n) {
			s, l := m.Score(n)
			t.Errorf("%s looks generated (%v bits/char in %q, cutoff %v)", n, s, l, m.Cutoff)
		}
	}
}

// roundTrip is tab written as a model file holds it and read back.
func roundTrip(t *testing.T, tab *Table) *Table {
	t.Helper()
	data, err := tab.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var q Table
	if err := q.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	return &q
}

func TestRoundTrip(t *testing.T) {
	names, _ := FitNames(benignNames, words)
	tab := Calibrate("b", inputs(t, labset.Benign, 8), names)
	q := roundTrip(t, tab)
	in := inputs(t, labset.OddCiphersNoSNI, 1)[0]
	if a, b := tab.Score(in), q.Score(in); a != b || a == 0 {
		t.Errorf("scores %v and %v", a, b)
	}
	for _, bad := range []string{"{", `{"flows":0}`, `{"flows":2,"rates":{"x":{"fired":3,"applied":2}}}`, `{"flows":2,"names":{"cost":"AA=="}}`} {
		if err := new(Table).UnmarshalBinary([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func FuzzUnmarshal(f *testing.F) {
	tab := Calibrate("b", inputs(f, labset.Benign, 4), nil)
	good, _ := tab.MarshalBinary()
	f.Add(good)
	eras, _ := Calibrate("b", inputs(f, labset.Benign, 4), nil, eraSplit).MarshalBinary()
	f.Add(eras)
	// Made once: making a flow takes a real handshake, which would leave
	// the fuzzer a few inputs a second.
	probes := append(inputs(f, labset.NonTLSSSH, 1), inputs(f, labset.LegacyTLS10, 1)...)
	f.Fuzz(func(t *testing.T, data []byte) {
		var q Table
		if q.UnmarshalBinary(data) != nil {
			return
		}
		for _, x := range probes {
			if s := q.Score(x); math.IsNaN(s) || s < 0 {
				t.Fatal(s)
			}
			q.Explain(x)
		}
	})
}

// FuzzScore: any bytes as a flow, never a panic, a finite score, and
// Explain agrees with Score.
func FuzzScore(f *testing.F) {
	names, _ := FitNames(benignNames, words)
	tab := Calibrate("b", inputs(f, labset.Benign, 4), names)
	tab.SetDecisive(13) // breaches weigh a threshold: Score and Explain still agree
	f.Add([]byte("\x16\x03\x01\x00\x05\x01\x00\x00\x01\x03"), []byte("\x16\x03\x03\x00\x02\x02\x00"))
	f.Add([]byte("\x00\x01"), []byte("220 mail.example.com ESMTP\r\n"[:26])) // 26 bytes: the server first
	// Google QUIC over UDP (a client length of 3 mod 7) to 443 and to 853.
	chlo := append(googleCHLO("www.gstatic.com"), 0, 0)
	f.Add(chlo, []byte("REJ\x00\x00\x00\x00\x00\x00"))
	f.Add(chlo, []byte("REJ\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, client, server []byte) {
		client, server = client[:min(len(client), 1024)], server[:min(len(server), 1024)]
		fl := &flow.Flow{ClientHandshake: client, ServerHandshake: server, Prefix: append(append([]byte(nil), client...), server...)}
		fl.PrefixRuns = []flow.PrefixRun{{FromClient: true, Len: len(client)}, {Len: len(server)}}
		if len(server)%5 == 1 { // the server spoke first
			fl.Prefix = append(append([]byte(nil), server...), client...)
			fl.PrefixRuns = []flow.PrefixRun{{Len: len(server)}, {FromClient: true, Len: len(client)}}
		}
		fl.Prefix = fl.Prefix[:min(len(fl.Prefix), 1024)]
		fl.PrefixRuns[1].Len = len(fl.Prefix) - fl.PrefixRuns[0].Len
		// How the connection ended and whether its server side was seen
		// vary with the input, for the checks that read them.
		fl.EndReason, fl.PktsToClient = flow.EndReason(len(client)%8), uint64(len(server)%3)
		// QUIC's CRYPTO streams (one client length in seven), to a TLS port
		// or not.
		if len(client)%7 == 3 {
			fl.Transport = flow.TransportUDP
		}
		fl.Server.Port = []uint16{443, 853, 5555}[len(server)%3]
		in := input(fl)
		s := tab.Score(in)
		sum := 0.0
		for _, x := range tab.Explain(in) {
			if x.Counted {
				sum += x.Bits
			}
		}
		if math.IsNaN(s) || s < 0 || math.Abs(s-sum) > 1e-9 {
			t.Fatalf("score %v, findings %v", s, sum)
		}
	})
}

// TestScoreAllocs: scoring a flow's evidence allocates nothing, whatever
// checks fire (the name and certificate checks included).
func TestScoreAllocs(t *testing.T) {
	names, _ := FitNames(benignNames, words)
	tab := Calibrate("b", inputs(t, labset.Benign, 8), names)
	var in []*Input
	for _, kind := range []string{labset.Benign, labset.SelfSigned, labset.NonTLSRandom, labset.LegacyTLS10, labset.OddCiphersNoSNI} {
		in = append(in, inputs(t, kind, 2)...)
	}
	if n := testing.AllocsPerRun(10, func() {
		for _, x := range in {
			tab.Score(x)
		}
	}); n != 0 {
		t.Errorf("%v allocations per run", n)
	}
}

// A hello that sends its name encrypted (the ESNI drafts' extension, or
// ECH) is not a hello that names no server.
func TestEncryptedNameIsNotMissing(t *testing.T) {
	tab := Calibrate("b", inputs(t, labset.Benign, 8), nil)
	fired := func(in *Input) bool {
		for _, f := range tab.Explain(in) {
			if f.ID == "sni.missing" {
				return true
			}
		}
		return false
	}
	for _, ext := range []uint16{extESNIDraft, tlsparse.ExtEncryptedClientHello} {
		in := inputs(t, labset.OddCiphersNoSNI, 1)[0]
		if in.TLS.Client == nil || in.TLS.Client.ServerName != "" {
			t.Fatalf("lab flow %s: want a hello without a server name, got %+v", labset.OddCiphersNoSNI, in.TLS.Client)
		}
		if !fired(in) {
			t.Fatalf("sni.missing does not fire on a hello without a name")
		}
		in.TLS.Client.Extensions = append(in.TLS.Client.Extensions, tlsparse.Extension{Type: ext})
		if fired(in) {
			t.Errorf("extension %#04x: sni.missing fires on a hello that sends its name encrypted", ext)
		}
	}
}

// The fired set ScoreFired gives has a bit per check, and Explain words
// exactly the checks that fire (check runs each again).
func TestFiredMask(t *testing.T) {
	if len(checks) > 64 {
		t.Fatalf("%d checks: Fired holds 64", len(checks))
	}
	names, _ := FitNames(benignNames, words)
	tab := Calibrate("b", inputs(t, labset.Benign, 8), names)
	for _, kind := range []string{labset.Benign, labset.SelfSigned, labset.LegacyTLS10, labset.OddCiphersNoSNI, labset.ClientCert} {
		for _, x := range inputs(t, kind, 2) {
			var want []string
			for i := range checks {
				if f, ok := tab.check(i, x); ok {
					want = append(want, f.ID)
				}
			}
			var got []string
			for _, f := range tab.Explain(x) {
				if !strings.HasPrefix(f.ID, prefixNotTLS) && !strings.HasPrefix(f.ID, prefixPreamble) {
					got = append(got, f.ID)
				}
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s: explained %v, fired %v", kind, got, want)
			}
			bits, _ := tab.ScoreFired(x)
			if bits != tab.Score(x) {
				t.Errorf("%s: ScoreFired %v, Score %v", kind, bits, tab.Score(x))
			}
		}
	}
}

// Random-looking client bytes say "not TLS" only from a connection's
// first byte: picked up after its start, a TLS connection shows the
// inside of a record, its ciphertext as random as any obfuscated tunnel.
func TestMidstreamRandomIsNotAnotherProtocol(t *testing.T) {
	tab := Calibrate("labset benign", inputs(t, labset.Benign, 8), nil)
	for _, in := range inputs(t, labset.NonTLSRandom, 2) {
		if _, ok := fired(tab, in, "proto.not_tls.random"); !ok {
			t.Fatalf("seen from its start: %+v", tab.Explain(in))
		}
		f := *in.Flow
		f.Midstream, f.ClientSYN = true, false
		mid := input(&f)
		for _, got := range tab.Explain(mid) {
			if strings.HasPrefix(got.ID, "proto.not_tls") {
				t.Errorf("picked up midstream: %+v", got)
			}
		}
	}
}
