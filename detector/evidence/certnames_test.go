package evidence

import (
	"strings"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/detector/transcript"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/labset"
)

func TestPlaceholder(t *testing.T) {
	cases := []struct {
		subject, issuer string
		sans            []string
		field, value    string // "" when nothing fires
	}{
		{"C=AU, ST=Some-State, O=Internet Widgits Pty Ltd, CN=10.0.0.1", "C=AU, ST=Some-State, O=Internet Widgits Pty Ltd, CN=10.0.0.1", nil, "tls.subject", "ST=Some-State"},
		{"C=XX, L=Default City, O=Default Company Ltd", "CN=Corp CA", nil, "tls.subject", "L=Default City"},
		{"CN=localhost", "CN=localhost", nil, "tls.subject", "CN=localhost"},
		{"CN=localhost.localdomain", "CN=Corp CA", nil, "tls.subject", "CN=localhost.localdomain"},
		{"CN=api.test", "CN=Corp CA", nil, "tls.subject", "CN=api.test"},
		{"CN=*.EXAMPLE.ORG", "CN=Corp CA", nil, "tls.subject", "CN=*.EXAMPLE.ORG"},
		{"CN=server", "CN=Corp CA", []string{"www.corp.net", "host.invalid"}, "tls.sans", "host.invalid"},
		{"CN=www.corp.net", "O=Internet Widgits Pty Ltd, CN=Corp CA", nil, "tls.issuerdn", "O=Internet Widgits Pty Ltd"},
		// Names that only look alike are not reserved.
		{"CN=www.examples.com", "C=US, O=Let's Encrypt, CN=R3", []string{"latest.example.community", "testing.com", "contest"}, "", ""},
		{"C=US, ST=California, O=Some-State Bank", "C=US, O=DigiCert Inc, CN=DigiCert TLS RSA SHA256 2020 CA1", []string{"*.test-site.net"}, "", ""},
	}
	for _, c := range cases {
		cert := &tlsparse.Certificate{Subject: c.subject, Issuer: c.issuer, DNSNames: c.sans}
		field, value, why, ok := placeholder(cert)
		if ok != (c.field != "") || field != c.field || value != c.value {
			t.Errorf("%q / %q / %q: got %q %q (%q), want %q %q", c.subject, c.issuer, c.sans, field, value, why, c.field, c.value)
		}
	}
}

// TestCertGenerated: certificate common names made of random characters
// (as Tor relays make them) fire, names people chose do not, and the
// check does not apply to a certificate without a host-like name.
func TestCertGenerated(t *testing.T) {
	m, err := FitNames(benignNames, dictWords(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		subject, issuer string
		field           string // "" when it must not fire; the most generated-looking name's
	}{
		{"CN=www.qxv7zkw2jfrp4.net", "CN=www.bm3tyqoa6hd2lc.com", "tls.subject"},
		{"CN=www.network-monitor.com", "CN=www.hq7xkzv2wq5trb.com", "tls.issuerdn"},
		{"CN=www.network-monitor.com", "C=US, O=Let's Encrypt, CN=R3", ""},
		{"CN=download.mozilla.org", "C=US, O=DigiCert Inc, CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1", ""},
	} {
		cert := &tlsparse.Certificate{Subject: c.subject, Issuer: c.issuer}
		field, name, label, bits, ok := certGenerated(cert, m)
		if ok != (c.field != "") || (ok && field != c.field) {
			t.Errorf("%s / %s: %v %s %s %q %.2f (cutoff %.2f)", c.subject, c.issuer, ok, field, name, label, bits, m.Cutoff)
		}
	}
	if hasJudgedCertName(&tlsparse.Certificate{Subject: "CN=R3, O=Let's Encrypt", Issuer: "CN=ISRG Root X1"}) {
		t.Error("a certificate without host-like names is judged")
	}
}

// TestServerSilent: a client that sends its hello and gets no byte back
// before the connection ends fires the check; the same flow cut by the
// end of the capture, or captured without the server's side, is not
// judged; a flow the server answered is judged and does not fire.
func TestServerSilent(t *testing.T) {
	answered := inputs(t, labset.Benign, 1)[0]
	silent := func(end flow.EndReason, pktsToClient uint64) *Input {
		f := *answered.Flow
		n := 300 // the client's first bytes: the prefix is not full
		f.Prefix = f.Prefix[:n]
		f.PrefixRuns = []flow.PrefixRun{{FromClient: true, Len: n}}
		f.ServerHandshake = nil
		f.EndReason, f.PktsToClient = end, pktsToClient
		f.End = f.Start.Add(3 * time.Second)
		in := &Input{Flow: &f, TLS: tlsparse.FromFlow(&f, nil), T: new(transcript.Transcript)}
		transcript.Of(&f, in.T)
		return in
	}
	i := -1
	for j := range checks {
		if checks[j].id == "server.silent" {
			i = j
		}
	}
	for _, c := range []struct {
		name           string
		in             *Input
		applies, fires bool
	}{
		{"answered", answered, true, false},
		{"fin", silent(flow.EndFIN, 3), true, true},
		{"idle", silent(flow.EndIdle, 1), true, true},
		{"end of capture", silent(flow.EndFlush, 3), false, false},
		{"server side not captured", silent(flow.EndRST, 0), false, false},
	} {
		a := checks[i].applies(c.in)
		if a != c.applies || (a && checks[i].fires(c.in) != c.fires) {
			t.Errorf("%s: applies %v (want %v), fires %v (want %v)", c.name, a, c.applies, a && checks[i].fires(c.in), c.fires)
		}
	}
	tab := Calibrate("b", inputs(t, labset.Benign, 8), nil)
	var text string
	for _, f := range tab.Explain(silent(flow.EndFIN, 3)) {
		if f.ID == "server.silent" {
			text = f.Text
		}
	}
	if !strings.HasPrefix(text, "the server never answered: the client sent ") || !strings.Contains(text, "(fin) 3s later") {
		t.Errorf("text %q", text)
	}
}
