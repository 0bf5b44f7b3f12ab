package evidence

import (
	"crypto/ecdsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/testcert"
)

// isrgRootX1 is the subject of Let's Encrypt's root, ISRG Root X1, in DER
// (from its certificate in Mozilla's root store).
const isrgRootX1 = "304f310b300906035504061302555331293027060355040a1320496e7465726e65742053656375726974792052657365617263682047726f7570311530130603550403130c4953524720526f6f74205831"

// issue makes a certificate for subject signed by parent (self-signed
// when parent is nil); a parent with RawSubject set signs under that name.
func issue(t *testing.T, subject pkix.Name, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	return testcert.Issue(t, x509.Certificate{SerialNumber: big.NewInt(42), Subject: subject, DNSNames: []string{"api.acme-widgets.net"},
		NotBefore: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}, parent, parentKey)
}

// chainInput is a flow whose server sent chain (DER, leaf first).
func chainInput(chain [][]byte, cut bool) *Input {
	sf := &tlsparse.ServerFlight{Chain: chain, ChainCut: cut, Leaf: tlsparse.ParseCertificate(chain[0])}
	return &Input{Flow: &flow.Flow{Start: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)},
		TLS: &tlsparse.Handshake{Client: &tlsparse.ClientHello{ServerName: "api.acme-widgets.net"}, Server: sf}}
}

// A CA-issued leaf whose chain leads to an authority outside the public
// Web PKI is cert.private_issuer; one that leads to a public root is not,
// whether or not the server sends the root; a self-signed leaf is its own
// check, and a cut chain (its last certificate need not be the chain's
// last) is not judged.
func TestPrivateIssuer(t *testing.T) {
	root, rootKey := issue(t, pkix.Name{CommonName: "Sliver CA", Organization: []string{"ops"}}, nil, nil)
	mid, midKey := issue(t, pkix.Name{CommonName: "ops intermediate"}, root, rootKey)
	leaf, _ := issue(t, pkix.Name{CommonName: "api.acme-widgets.net"}, mid, midKey)

	isrg, err := hex.DecodeString(isrgRootX1)
	if err != nil {
		t.Fatal(err)
	}
	public, publicKey := issue(t, pkix.Name{CommonName: "R11"}, &x509.Certificate{RawSubject: isrg}, rootKey)
	publicLeaf, _ := issue(t, pkix.Name{CommonName: "api.acme-widgets.net"}, public, publicKey)

	tab := &Table{Rates: map[string]Rate{"cert.private_issuer": {Applied: 200, Fired: 1}}}
	tab.prepare()
	idx := -1
	for i, c := range checks {
		if c.id == "cert.private_issuer" {
			idx = i
		}
	}
	// What the text concludes: a private CA only when the chain went past
	// the leaf's issuer; a leaf alone may be a public CA's, its
	// intermediate left out (a server sending Let's Encrypt's leaf without
	// R11). A resumed session, recalling the issuer, says the same.
	const private, leafAlone = "a private CA issued the certificate", "a private CA, or a public CA whose intermediate certificate the server left out"
	for _, tc := range []struct {
		name       string
		in         *Input
		applies    bool
		fires      bool
		issuerText string
		says       string
	}{
		{"private chain", chainInput([][]byte{leaf.Raw, mid.Raw}, false), true, true, "O=ops, CN=Sliver CA", private},
		{"private chain with its root", chainInput([][]byte{leaf.Raw, mid.Raw, root.Raw}, false), true, true, "O=ops, CN=Sliver CA", private},
		{"leaf only, private intermediate", chainInput([][]byte{leaf.Raw}, false), true, true, "CN=ops intermediate", leafAlone},
		{"leaf only, public intermediate left out", chainInput([][]byte{publicLeaf.Raw}, false), true, true, "CN=R11", leafAlone},
		{"public chain", chainInput([][]byte{publicLeaf.Raw, public.Raw}, false), true, false, "", ""},
		{"self-signed", chainInput([][]byte{root.Raw}, false), true, false, "", ""},
		{"cut chain", chainInput([][]byte{leaf.Raw}, true), false, false, "", ""},
	} {
		applies := checks[idx].applies(tc.in)
		fires := applies && tab.fires(idx, tc.in)
		if applies != tc.applies || fires != tc.fires {
			t.Errorf("%s: applies %v fires %v, want %v %v", tc.name, applies, fires, tc.applies, tc.fires)
			continue
		}
		if !fires {
			continue
		}
		f, ok := tab.check(idx, tc.in)
		if !ok || f.Value != tc.issuerText || f.Field != "tls.chain_issuer" || !strings.Contains(f.Text, "not a root of the public Web PKI") || f.Bits < 7 {
			t.Errorf("%s: %+v", tc.name, f)
		}
		if !strings.Contains(f.Text, ": "+tc.says) || tc.says == leafAlone && strings.Contains(f.Text, private+";") {
			t.Errorf("%s: %q does not say %q", tc.name, f.Text, tc.says)
		}
		// A resumed session recalls it from the chain issuer kept.
		issuer, _ := tc.in.TLS.Server.ChainIssuer()
		got := tab.CertFindings(tc.in.TLS.Server.Leaf, issuer, "api.acme-widgets.net", tc.in.Flow.Start)
		if len(got) == 0 || got[0].ID != "cert.private_issuer" || got[0].Value != tc.issuerText || got[0].Text != f.Text {
			t.Errorf("%s: recalled %+v, want the flow's own %q", tc.name, got, f.Text)
		}
		// The pipeline's memory keeps the leaf without its DER
		// (recall.Memory's summary); it reads the same.
		kept := *tc.in.TLS.Server.Leaf
		kept.Raw = nil
		got = tab.CertFindings(&kept, issuer, "api.acme-widgets.net", tc.in.Flow.Start)
		if len(got) == 0 || got[0].ID != "cert.private_issuer" || got[0].Text != f.Text {
			t.Errorf("%s: recalled from a leaf kept without its DER: %+v, want the flow's own %q", tc.name, got, f.Text)
		}
		for _, f := range tab.CertFindings(tc.in.TLS.Server.Leaf, nil, "api.acme-widgets.net", tc.in.Flow.Start) {
			if f.ID == "cert.private_issuer" {
				t.Errorf("%s: recalled without the issuer: %+v", tc.name, f)
			}
		}
	}
}

// The embedded table holds every row it lists, and the roots a capture
// of any year may chain to (removed ones too).
func TestWebPKIRoots(t *testing.T) {
	rows := 0
	for line := range strings.SplitSeq(webpkiRootsTSV, "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			rows++
		}
	}
	if n := len(webpkiRoots()); n != rows || n < 250 {
		t.Fatalf("%d roots parsed from %d rows", n, rows)
	}
	for _, name := range []string{"CN=ISRG Root X1", "CN=DST Root CA X3", "CN=Microsoft Root Certificate Authority 2011", "CN=AddTrust External CA Root", "CN=Thawte Server CA"} {
		if !strings.Contains(webpkiRootsTSV, name) {
			t.Errorf("no %s", name)
		}
	}
	isrg, _ := hex.DecodeString(isrgRootX1)
	if !publicRoot(isrg[2:]) {
		t.Error("ISRG Root X1 is not a public root")
	}
}

// A site's table knows the private authorities its training chains led
// to: the check stays silent for them and fires for any other; what it
// knows survives encoding, grows with an update, and is bounded.
func TestKnownIssuers(t *testing.T) {
	siteRoot, siteKey := issue(t, pkix.Name{CommonName: "Corp Root", Organization: []string{"Corp"}}, nil, nil)
	siteLeaf, _ := issue(t, pkix.Name{CommonName: "intranet.corp.net"}, siteRoot, siteKey)
	otherRoot, otherKey := issue(t, pkix.Name{CommonName: "Sliver CA"}, nil, nil)
	otherLeaf, _ := issue(t, pkix.Name{CommonName: "cdn.acme-widgets.net"}, otherRoot, otherKey)
	site := chainInput([][]byte{siteLeaf.Raw, siteRoot.Raw}, false)
	other := chainInput([][]byte{otherLeaf.Raw}, false)

	base := &Table{Flows: 1000, Rates: map[string]Rate{"cert.private_issuer": {Applied: 200, Fired: 1}}}
	base.prepare()
	idx := slices.IndexFunc(checks, func(c check) bool { return c.id == "cert.private_issuer" })
	fired := func(tab *Table, x *Input) bool { return checks[idx].applies(x) && tab.fires(idx, x) }
	if !fired(base, site) || !fired(base, other) {
		t.Fatal("the public table does not fire on private chains")
	}
	learned := base.LearnIssuers([]*Input{site, site})
	if fired(learned, site) || !fired(learned, other) {
		t.Errorf("learned %v: fires on the site's own CA %v, on another %v", learned.KnownIssuers, fired(learned, site), fired(learned, other))
	}
	if len(base.KnownIssuers) != 0 || !fired(base, site) {
		t.Error("LearnIssuers changed the table it learned from")
	}
	data, err := learned.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back Table
	if err := back.UnmarshalBinary(data); err != nil || fired(&back, site) || !fired(&back, other) {
		t.Errorf("round trip: %v, known %v", err, back.KnownIssuers)
	}
	both := back.LearnIssuers([]*Input{other})
	if len(both.KnownIssuers) != 2 || both.KnownIssuers[0] != learned.KnownIssuers[0] || fired(both, other) {
		t.Errorf("update: %v", both.KnownIssuers)
	}
	// Bounds and bad names are errors when decoded.
	for _, known := range [][]string{
		slices.Repeat([]string{"3000"}, 1),
		{"zz"}, {""}, {"3000", "3000"},
	} {
		q := *base
		q.KnownIssuers = known
		data, _ := q.MarshalBinary()
		err := new(Table).UnmarshalBinary(data)
		if (len(known) == 1 && known[0] == "3000") != (err == nil) {
			t.Errorf("known %q: %v", known, err)
		}
	}
	many := make([]string, MaxKnownIssuers+1)
	for i := range many {
		many[i] = hex.EncodeToString([]byte{byte(i), byte(i >> 8), 1})
	}
	q := *base
	q.KnownIssuers = many
	data, _ = q.MarshalBinary()
	if err := new(Table).UnmarshalBinary(data); err == nil {
		t.Error("more known issuers than the bound decoded")
	}
}
