package evidence

import (
	"crypto/tls"
	"encoding/binary"
	"slices"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// TestSetDecisive: a violation of TLS's grammar the corpus never showed
// weighs the decisive bits and says it alerts on its own; one the corpus
// showed keeps its rate, as does every check that is no violation; 0
// gives the rates back.
func TestSetDecisive(t *testing.T) {
	bad := brokenSuites(t)
	clean := Calibrate("benign", inputs(t, labset.Benign, 20), nil)
	rate := clean.Rates["hs.client_malformed"].Bits()
	clean.SetDecisive(40)
	f, ok := fired(clean, bad, "hs.client_malformed")
	if !ok || f.Bits != 40 || !strings.HasSuffix(f.Text, decidesTail) || clean.Score(bad) < 40 {
		t.Fatalf("a violation the corpus never showed: %+v (score %.2f)", f, clean.Score(bad))
	}
	// A capture that missed bytes (a span port's drops, a connection
	// picked up mid-stream) leaves breaches in benign flows: where the
	// bytes a breach was read from were missed, it weighs its rate. A
	// hello is read from the handshake's capture: a gap there counts,
	// a missed SYN does not (the hello was found whole).
	for name, c := range map[string]struct {
		lose   func(f *flow.Flow)
		decide bool
	}{
		"a gap in the handshake":    {func(f *flow.Flow) { f.ClientHandshakeGap = true }, false},
		"a gap in the prefix only":  {func(f *flow.Flow) { f.PrefixGap = true }, true},
		"picked up after its start": {func(f *flow.Flow) { f.Midstream = true }, true},
	} {
		g := *bad.Flow
		c.lose(&g)
		f, ok := fired(clean, input(&g), "hs.client_malformed")
		if !ok || (f.Bits == 40) != c.decide || strings.HasSuffix(f.Text, decidesTail) != c.decide {
			t.Errorf("%s: %+v", name, f)
		}
	}
	// Records that stop being records are read from the prefix: picked up
	// mid-stream, they weigh their rate; with bytes missing inside the
	// prefix (a snap length cut the packets) the walk went on over a hole
	// and says nothing.
	broken := brokenRecords(t)
	if f, ok := fired(clean, broken, "hs.framing_broke"); !ok || f.Bits != 40 {
		t.Fatalf("records that stop being records: %+v", f)
	}
	midstream := *broken.Flow
	midstream.Midstream = true
	if f, ok := fired(clean, input(&midstream), "hs.framing_broke"); !ok || f.Bits != clean.Rates["hs.framing_broke"].Bits() {
		t.Errorf("broken records, picked up after its start: %+v", f)
	}
	gap := *broken.Flow
	gap.PrefixGap = true
	if f, ok := fired(clean, input(&gap), "hs.framing_broke"); ok {
		t.Errorf("broken records, a gap in the prefix: %+v", f)
	}
	// A known exploit is a breach too.
	if f, ok := fired(clean, heartbleed(t), "exploit.heartbleed"); !ok || f.Bits != 40 {
		t.Errorf("Heartbleed: %+v", f)
	}
	noSNI := inputs(t, labset.OddCiphersNoSNI, 1)[0]
	if g, ok := fired(clean, noSNI, "sni.missing"); !ok || g.Bits >= 40 || strings.Contains(g.Text, decidesTail) {
		t.Errorf("no SNI, no violation: %+v", g)
	}
	clean.SetDecisive(0)
	if f, _ := fired(clean, bad, "hs.client_malformed"); f.Bits != rate || strings.Contains(f.Text, decidesTail) {
		t.Errorf("decisive 0: %+v, want the rate's %.2f bits", f, rate)
	}

	seen := Calibrate("benign with a malformed hello", append(inputs(t, labset.Benign, 20), bad), nil)
	seen.SetDecisive(40)
	if f, _ := fired(seen, bad, "hs.client_malformed"); f.Bits != seen.Rates["hs.client_malformed"].Bits() || f.Bits >= 40 {
		t.Errorf("a violation the corpus showed: %+v, want its rate %v", f, seen.Rates["hs.client_malformed"])
	}
	data, err := clean.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "decisive") {
		t.Error("the decisive bits are the model's threshold, not the table's: not stored")
	}
}

// TestCutByTheSensor: a hello cut short decides when the connection
// ended or held still with it cut; not when the sensor handed the flow out
// first (its table full, the capture's end), which may have cut it.
func TestCutByTheSensor(t *testing.T) {
	tab := Calibrate("benign", inputs(t, labset.Benign, 8), nil)
	tab.SetDecisive(40)
	var cut *flow.Flow
	for _, x := range inputs(t, labset.TruncatedHello, 6) {
		if _, ok := fired(tab, x, "hs.client_truncated"); ok {
			cut = x.Flow
			break
		}
	}
	if cut == nil {
		t.Fatal("no lab hello cut short")
	}
	for reason, decides := range map[flow.EndReason]bool{
		flow.EndFIN: true, flow.EndRST: true, flow.EndIdle: true, flow.EndVerdictTimeout: true,
		flow.EndEvicted: false, flow.EndFlush: false, flow.EndReused: false,
	} {
		g := *cut
		g.EndReason = reason
		if f, ok := fired(tab, input(&g), "hs.client_truncated"); !ok || (f.Bits == 40) != decides {
			t.Errorf("ended %s: %+v", reason, f)
		}
	}
}

// TestGoogleQUICIsNoBrokenTLS: Google's own QUIC (Q0xx) carries its CHLO,
// not a TLS hello, in the frames IETF QUIC carries TLS in. That is another
// protocol, not a breach of TLS: no hello check judges it, and on UDP 443,
// where Google served it, it is no mismatch either; on another TLS port it
// weighs its rate as any protocol that is not TLS. Over TCP a first
// handshake message that is no hello still decides.
func TestGoogleQUICIsNoBrokenTLS(t *testing.T) {
	tab := Calibrate("benign", inputs(t, labset.Benign, 8), nil)
	tab.SetDecisive(40)
	chlo := googleCHLO("www.gstatic.com")
	for _, c := range []struct {
		port   uint16
		notTLS bool
	}{{443, false}, {853, true}} {
		f := &flow.Flow{Transport: flow.TransportUDP, ClientHandshake: chlo, Prefix: chlo,
			PrefixRuns: []flow.PrefixRun{{FromClient: true, Len: len(chlo)}}}
		f.Server.Port = c.port
		x := input(f)
		if x.TLS.Google == nil || x.TLS.Google.Hello == nil || x.TLS.Google.Hello.SNI != "www.gstatic.com" || x.TLS.ClientErr != nil {
			t.Fatalf("port %d: Google QUIC %+v, TLS error %v", c.port, x.TLS.Google, x.TLS.ClientErr)
		}
		for _, f := range tab.Explain(x) {
			if strings.HasPrefix(f.ID, "hs.") {
				t.Errorf("port %d: a hello check judged Google QUIC: %s", c.port, f.Text)
			}
		}
		f2, ok := fired(tab, x, "proto.not_tls.gquic")
		if ok != c.notTLS || ok && f2.Bits >= 40 {
			t.Errorf("port %d: not TLS %v (%+v), want %v, weighing its rate", c.port, ok, f2, c.notTLS)
		}
	}
	tcp := &flow.Flow{Transport: flow.TransportTCP, ClientSYN: true,
		ClientHandshake: append([]byte{22, 3, 1, 0, byte(len(chlo))}, chlo...)}
	x := input(tcp)
	if !isNoHello(x.TLS.ClientErr) {
		t.Fatalf("TCP: parse error %v", x.TLS.ClientErr)
	}
	if f, ok := fired(tab, x, "hs.client_malformed"); !ok || f.Bits != 40 {
		t.Errorf("TCP: %+v", f)
	}
}

// googleCHLO is a Google QUIC client hello naming sni, padded as Chrome
// pads it.
func googleCHLO(sni string) []byte {
	b := []byte("CHLO\x02\x00\x00\x00")
	b = append(b, "SNI\x00"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(sni)))
	b = append(b, "PAD\x00"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(sni)+200))
	b = append(b, sni...)
	return append(b, make([]byte, 200)...)
}

// TestUnreadNameIsNotMissing: a hello that does not parse, or stops short,
// before its extensions has an unknown server name, not a missing one:
// sni.missing says nothing of it (the breach is the finding).
func TestUnreadNameIsNotMissing(t *testing.T) {
	tab := Calibrate("benign", inputs(t, labset.Benign, 8), nil)
	unread := 0
	for _, kind := range []string{labset.MalformedHello, labset.TruncatedHello} {
		for _, x := range inputs(t, kind, 12) {
			if x.TLS.Client == nil || x.TLS.Client.ServerName != "" {
				continue
			}
			unread++
			if f, ok := fired(tab, x, "sni.missing"); ok {
				t.Errorf("%s: %q", kind, f.Text)
			}
		}
	}
	if unread == 0 {
		t.Fatal("no lab hello cut or broken before its server name: the test tests nothing")
	}
	if _, ok := fired(tab, inputs(t, labset.OddCiphersNoSNI, 1)[0], "sni.missing"); !ok {
		t.Error("a whole hello without a server name: sni.missing silent")
	}
}

// brokenSuites is a lab hello whose cipher suites' length runs past the
// message: it does not parse, and is not cut short.
func brokenSuites(t *testing.T) *Input {
	t.Helper()
	f := *inputs(t, labset.Benign, 1)[0].Flow
	hs := slices.Clone(f.ClientHandshake)
	// record (5) + handshake header (4) + version (2) + random (32), then
	// the session id (its length and bytes), then the suites' length.
	at := 5 + 4 + 2 + 32
	at += 1 + int(hs[at])
	hs[at], hs[at+1] = 0x3e, 0x13
	f.ClientHandshake = hs
	x := input(&f)
	if x.TLS.ClientErr == nil || x.TLS.Client != nil && x.TLS.Client.Truncated {
		t.Fatalf("the edited hello: %v", x.TLS.ClientErr)
	}
	return x
}

// TestLearnBreaches: a site whose training shows a breach knows it, and
// there the breach weighs its corpus rate; a breach training did not show
// still decides. The known breaches survive encoding; a table that lists
// a check that is no breach, or one twice, does not decode.
func TestLearnBreaches(t *testing.T) {
	bad := brokenSuites(t)
	tab := Calibrate("benign", inputs(t, labset.Benign, 20), nil)
	tab.SetDecisive(40)
	site := tab.LearnBreaches([]*Input{bad})
	if !slices.Equal(site.KnownBreaches, []string{"hs.client_malformed"}) || len(tab.KnownBreaches) != 0 {
		t.Fatalf("learned %q (the table it came from: %q)", site.KnownBreaches, tab.KnownBreaches)
	}
	if f, _ := fired(site, bad, "hs.client_malformed"); f.Bits != tab.Rates["hs.client_malformed"].Bits() || strings.Contains(f.Text, decidesTail) {
		t.Errorf("a breach the site showed: %+v", f)
	}
	if f, _ := fired(site, heartbleed(t), "exploit.heartbleed"); f.Bits != 40 {
		t.Errorf("a breach the site did not show: %+v", f)
	}
	gap := *bad.Flow
	gap.ClientHandshakeGap = true
	if lossy := tab.LearnBreaches([]*Input{input(&gap)}); len(lossy.KnownBreaches) != 0 {
		t.Errorf("learned from a hello the capture cut: %q", lossy.KnownBreaches)
	}
	if again := site.LearnBreaches([]*Input{bad}); len(again.KnownBreaches) != 1 {
		t.Errorf("learned twice: %q", again.KnownBreaches)
	}
	data, err := site.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back Table
	if err := back.UnmarshalBinary(data); err != nil || !slices.Equal(back.KnownBreaches, site.KnownBreaches) {
		t.Fatalf("round trip: %v %q", err, back.KnownBreaches)
	}
	back.SetDecisive(40)
	if f, _ := fired(&back, bad, "hs.client_malformed"); f.Bits == 40 {
		t.Error("the decoded table forgot the site's breach")
	}
	for _, list := range []string{`["cert.self_signed"]`, `["hs.client_malformed","hs.client_malformed"]`} {
		bent := strings.Replace(string(data), `"known_breaches":["hs.client_malformed"]`, `"known_breaches":`+list, 1)
		if err := back.UnmarshalBinary([]byte(bent)); err == nil {
			t.Errorf("known breaches %s decoded", list)
		}
	}
}

// heartbleed is a lab flow whose client sends Heartbleed's request (a
// heartbeat in clear that declares more than it holds) after its hello.
func heartbleed(t *testing.T) *Input {
	t.Helper()
	f := *inputs(t, labset.Benign, 1)[0].Flow
	f.ClientRecords = []flow.RecordHeader{f.ClientRecords[0], {Type: 24, Clear: true, HeadLen: 3, Head: [3]byte{1, 0x40, 0}, Len: 3}}
	return input(&f)
}

// brokenRecords is a real TLS 1.3 flow whose server's bytes stop being
// TLS records after its ServerHello: the next header is garbage.
func brokenRecords(t *testing.T) *Input {
	t.Helper()
	f := *tlsFlow(t, tls.VersionTLS13, "broken.example.com")
	p := slices.Clone(f.Prefix)
	off := 0
	for _, run := range f.PrefixRuns {
		if !run.FromClient {
			at := off + 5 + (int(p[off+3])<<8 | int(p[off+4])) // after the ServerHello's record
			if at+5 > off+run.Len {
				t.Fatalf("the server's turn (%d bytes) holds only its hello", run.Len)
			}
			copy(p[at:], "garbage")
			break
		}
		off += run.Len
	}
	f.Prefix = p
	f.Midstream = false // capgen's packets start with data: as if seen from the SYN
	x := input(&f)
	if !x.T.Server.FramingBroke {
		t.Fatal("the edited records still frame")
	}
	return x
}
