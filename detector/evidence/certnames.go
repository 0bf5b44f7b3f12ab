package evidence

import (
	"strings"

	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// Certificate names nobody chose for a real service. A public CA issues
// none of them: they are what a certificate made from a template or a
// test script says, which is what a throw-away server shows.
//
// Reserved domain names: RFC 2606 section 2 (the TLDs .test, .example,
// .invalid, .localhost) and section 3 (example.com, example.net,
// example.org), and RFC 6761 section 6 (the same, and localhost names).
var reservedSuffixes = []string{"test", "example", "invalid", "localhost", "example.com", "example.net", "example.org"}

// templateValues are the distinguished-name defaults of OpenSSL's
// configuration files, which `openssl req` fills in when the person
// making the certificate presses return: apps/openssl.cnf in OpenSSL
// (stateOrProvinceName "Some-State", organizationName "Internet Widgits
// Pty Ltd") and Red Hat's openssl.cnf (localityName "Default City",
// organizationName "Default Company Ltd").
var templateValues = []struct{ attr, value string }{
	{"ST", "Some-State"},
	{"O", "Internet Widgits Pty Ltd"},
	{"L", "Default City"},
	{"O", "Default Company Ltd"},
}

// reservedName reports whether a DNS name lies under a reserved name, or
// is a localhost name ("localhost", "localhost.localdomain"). A wildcard's
// "*." is ignored.
func reservedName(name string) bool {
	n := strings.TrimSuffix(strings.TrimPrefix(name, "*."), ".")
	if n == "" {
		return false
	}
	if first, _, _ := strings.Cut(n, "."); strings.EqualFold(first, "localhost") {
		return true
	}
	last := n[len(n)-1] | 0x20 // lower case, if a letter
	for _, s := range reservedSuffixes {
		// A name whose last byte is not the suffix's last letter, in
		// either case, cannot end in the suffix: no suffix ends in k or s,
		// the only ASCII letters a rune from outside ASCII folds to (the
		// Kelvin sign, the long s). Most names (a certificate may list a
		// hundred) are thus told apart without EqualFold.
		if len(n) >= len(s) && last == s[len(s)-1] && strings.EqualFold(n[len(n)-len(s):], s) && (len(n) == len(s) || n[len(n)-len(s)-1] == '.') {
			return true
		}
	}
	return false
}

// placeholder returns the first placeholder the certificate names, as
// the record's field, the attribute and value, and why it is one; ok is
// false when it names none. The subject (CN, SAN DNS names, the DN
// attributes) is looked at before the issuer.
func placeholder(c *tlsparse.Certificate) (field, value, why string, ok bool) {
	for _, side := range [...]struct{ field, dn string }{{"tls.subject", c.Subject}, {"tls.issuerdn", c.Issuer}} {
		for rest := side.dn; rest != ""; {
			var part string
			part, rest = nextRDN(rest)
			attr, v, found := strings.Cut(part, "=")
			if !found {
				continue
			}
			if attr == "CN" && reservedName(v) {
				return side.field, part, "a name reserved for examples and tests (RFC 2606, RFC 6761)", true
			}
			for _, t := range templateValues {
				if attr == t.attr && strings.EqualFold(v, t.value) {
					return side.field, part, "OpenSSL's default for this field, left from its configuration template", true
				}
			}
		}
		if side.field == "tls.subject" {
			for _, n := range c.DNSNames {
				if reservedName(n) {
					return "tls.sans", n, "a name reserved for examples and tests (RFC 2606, RFC 6761)", true
				}
			}
		}
	}
	return "", "", "", false
}

// certHostNames yields the certificate's subject and issuer common names
// that are host names (the names the generated-name check judges: a CA's
// or a product's name is no DNS name) with their record fields.
func certHostNames(c *tlsparse.Certificate, yield func(field, name string) bool) {
	if cn := commonName(c.Subject); hostLike(cn) && !yield("tls.subject", cn) {
		return
	}
	if cn := commonName(c.Issuer); hostLike(cn) {
		yield("tls.issuerdn", cn)
	}
}

// hostLike reports whether a name reads as a DNS host name: letters,
// digits, hyphens and at least one dot (a leading "*." allowed).
func hostLike(n string) bool {
	n = strings.TrimPrefix(n, "*.")
	if strings.IndexByte(n, '.') <= 0 {
		return false
	}
	for i := 0; i < len(n); i++ {
		switch c := n[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '.':
		default:
			return false
		}
	}
	return true
}

// certGenerated returns the certificate's most machine-generated-looking
// common name (subject or issuer) by the name model, leaving out names
// whose judged label is except (the server name's, which sni.generated
// judges: a certificate that repeats it, CN=*.iasds01.com for
// sc.iasds01.com, is the same fact): its field, the name, the label
// judged and its bits per character; ok is false when no name is above
// the model's cutoff.
func certGenerated(c *tlsparse.Certificate, m *NameModel, except string) (field, name, label string, bits float64, ok bool) {
	certHostNames(c, func(f, n string) bool {
		if b, l := m.Score(n); b > bits && (except == "" || !strings.EqualFold(l, except)) {
			field, name, label, bits = f, n, l, b
		}
		return true
	})
	return field, name, label, bits, m != nil && label != "" && bits > m.Cutoff
}

// sniLabel is the judged label of the flow's server name, "" when none.
func sniLabel(in *Input) string {
	l := ""
	if in.TLS.Client != nil {
		judged(in.TLS.Client.ServerName, func(s string) { l = s })
	}
	return l
}

// hasJudgedCertName reports whether the generated-name check can judge
// the certificate: a common name with a label long enough.
func hasJudgedCertName(c *tlsparse.Certificate) bool {
	judgedAny := false
	certHostNames(c, func(_, n string) bool {
		judged(n, func(string) { judgedAny = true })
		return !judgedAny
	})
	return judgedAny
}

// nextRDN splits a distinguished name as tlsparse renders it ("C=US,
// O=Example, CN=example.com") into its first attribute and the rest
// after ", ", as strings.Cut(dn, ", ") does, by the commas alone: the
// certificate checks take apart two names of every leaf.
func nextRDN(dn string) (part, rest string) {
	for i := 0; ; i++ {
		j := strings.IndexByte(dn[i:], ',')
		if j < 0 {
			return dn, ""
		}
		if i += j; i+1 < len(dn) && dn[i+1] == ' ' {
			return dn[:i], dn[i+2:]
		}
	}
}
