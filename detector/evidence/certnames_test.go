package evidence

import (
	"strings"
	"testing"

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
		field, name, label, bits, ok := certGenerated(cert, m, "")
		if ok != (c.field != "") || (ok && field != c.field) {
			t.Errorf("%s / %s: %v %s %s %q %.2f (cutoff %.2f)", c.subject, c.issuer, ok, field, name, label, bits, m.Cutoff)
		}
	}
	for _, c := range []tlsparse.Certificate{
		{Subject: "CN=R3, O=Let's Encrypt", Issuer: "CN=ISRG Root X1"},
		{Subject: "CN=gtk-gnutella/1.2", Issuer: "CN=gtk-gnutella/1.2"}, // a product, not a host
		{Subject: "CN=Xq7zk9wv2jfrp4bm3ty", Issuer: "CN=Xq7zk9wv2jfrp4bm3ty"},
	} {
		if hasJudgedCertName(&c) {
			t.Errorf("%s: a certificate without host names is judged", c.Subject)
		}
	}
}

func TestJudgedLabel(t *testing.T) {
	for name, want := range map[string]string{
		"www.bpcau5b3haif5els.net":    "bpcau5b3haif5els",
		"d1a2b3c4e5f6.cloudfront.net": "cloudfront",
		"news.example.co.uk":          "example",
		"www.bbc.co.uk":               "", // too short to judge
		"shop.mystore.com.au.":        "mystore",
		"localhost":                   "",
		"www.google.com":              "google",
		"192.168.10.20":               "",
		"xn--mller-kva.de":            "", // müller.de: another script's letters, encoded
		"www.xn--j1ahhq.xn--p1ai":     "",
		"shop.XN--bcher-kva.com":      "",
	} {
		got := ""
		judged(name, func(l string) { got = l })
		if got != want {
			t.Errorf("%s: judged %q, want %q", name, got, want)
		}
	}
}

// reservedNameSlow is reservedName as first written, every suffix
// compared with EqualFold: the reference the fast reject must agree with.
func reservedNameSlow(name string) bool {
	n := strings.TrimSuffix(strings.TrimPrefix(name, "*."), ".")
	if n == "" {
		return false
	}
	if first, _, _ := strings.Cut(n, "."); strings.EqualFold(first, "localhost") {
		return true
	}
	for _, s := range reservedSuffixes {
		if len(n) >= len(s) && strings.EqualFold(n[len(n)-len(s):], s) && (len(n) == len(s) || n[len(n)-len(s)-1] == '.') {
			return true
		}
	}
	return false
}

func TestReservedNameAgrees(t *testing.T) {
	// Every suffix in upper, lower and mixed case, under other labels,
	// with its last letter changed, with runes that fold onto ASCII (the
	// Kelvin sign, the long s), and ordinary names.
	var names []string
	for _, s := range append(reservedSuffixes, "com", "net", "org", "local", "ks", "s", "k") {
		for _, v := range []string{s, strings.ToUpper(s), strings.ToUpper(s[:1]) + s[1:], s[:len(s)-1] + strings.ToUpper(s[len(s)-1:])} {
			for _, pre := range []string{"", "a.", "*.", "xexample.", "my-", "LOCALHOST.", "localhost", "\u212a.", "\u017f."} {
				for _, post := range []string{"", ".", "x", "\u212a", "\u017f", "\xff"} {
					names = append(names, pre+v+post)
				}
			}
		}
	}
	names = append(names, "", ".", "*.", "te\u017ft", "\u212aey", "www.google.com", "mail.example.co", "exampleXcom", "a.b.c.invalid.")
	for _, n := range names {
		if got, want := reservedName(n), reservedNameSlow(n); got != want {
			t.Errorf("reservedName(%q) = %v, the reference says %v", n, got, want)
		}
	}
}

// TestNextRDNAgrees: nextRDN splits as strings.Cut(dn, ", ") does, on
// names with commas inside values, trailing and repeated separators.
func TestNextRDNAgrees(t *testing.T) {
	for _, dn := range []string{"", ",", ", ", ",,", ", , ", "a", "a,", "a, ", "a,b", "a,b, c", "CN=x, O=a,b, C=US",
		"O=Acme\\, Inc., CN=acme.example", "C=US, ST=Some-State, O=Internet Widgits Pty Ltd", ",,, x", "x,,  y", "CN=a,"} {
		for rest := dn; ; {
			wantPart, wantRest, _ := strings.Cut(rest, ", ")
			part, r := nextRDN(rest)
			if part != wantPart || r != wantRest {
				t.Fatalf("%q: nextRDN %q, %q; strings.Cut %q, %q", rest, part, r, wantPart, wantRest)
			}
			if r == "" {
				break
			}
			rest = r
		}
	}
}

// TestCertNameRepeatsSNI: a certificate whose generated-looking name is
// the server name the client asked for is one fact, counted by
// sni.generated; another generated name in it counts on its own, and so
// does the certificate's when the server name reads as benign. The memo
// path (CertFiredMemo) agrees with the flow's own.
func TestCertNameRepeatsSNI(t *testing.T) {
	names, err := FitNames(benignNames, dictWords(t))
	if err != nil {
		t.Fatal(err)
	}
	tab := Calibrate("b", inputs(t, labset.Benign, 8), names)
	var generatedBit Fired
	for i, c := range checks {
		if c.id == "cert.generated_name" {
			generatedBit = 1 << i
		}
	}
	var base *Input
	for _, x := range inputs(t, labset.Benign, 8) {
		if hasLeaf(x) {
			base = x
			break
		}
	}
	if base == nil {
		t.Fatal("no benign flow with a certificate in clear")
	}
	for _, c := range []struct {
		sni, subject, issuer string
		sniFires, certFires  bool
	}{
		{"www.qxv7zkw2jfrp4.net", "CN=www.qxv7zkw2jfrp4.net", "C=US, O=Let's Encrypt, CN=R3", true, false},
		{"sc.qxv7zkw2jfrp4.net", "CN=*.QXV7ZKW2JFRP4.net", "C=US, O=Let's Encrypt, CN=R3", true, false},
		{"www.qxv7zkw2jfrp4.net", "CN=www.qxv7zkw2jfrp4.net", "CN=www.bm3tyqoa6hd2lc.com", true, true},
		{"www.example.com", "CN=www.qxv7zkw2jfrp4.net", "C=US, O=Let's Encrypt, CN=R3", false, true},
	} {
		x := variant(base, c.sni, base.Flow.Start)
		srv := *x.TLS.Server
		cert := *srv.Leaf
		cert.Subject, cert.Issuer, cert.SHA256Fingerprint = c.subject, c.issuer, c.subject+c.issuer
		srv.Leaf = &cert
		x.TLS.Server = &srv
		_, sniFires := fired(tab, x, "sni.generated")
		_, certFires := fired(tab, x, "cert.generated_name")
		_, memo := tab.CertFiredMemo(x, NewLeafMemo(4))
		if sniFires != c.sniFires || certFires != c.certFires || (memo&generatedBit != 0) != c.certFires {
			t.Errorf("%s, %s / %s: sni.generated %v cert.generated_name %v (memo %v), want %v %v",
				c.sni, c.subject, c.issuer, sniFires, certFires, memo&generatedBit != 0, c.sniFires, c.certFires)
		}
	}
}
