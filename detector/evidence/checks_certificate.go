package evidence

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// certificateChecks read the server's certificate in clear: who signed
// it, whether it names the server, whether its names are chosen ones,
// and its validity.
var certificateChecks = []check{
	{id: "cert.self_signed", group: GroupCertSelf, applies: hasLeaf,
		firesTable: func(in *Input, t *Table) bool { return leaf(in).SelfSigned && !t.knowsSelfMade(in) },
		describe: func(in *Input) (string, string, string) {
			c := leaf(in)
			return "tls.self_signed", c.Subject, fmt.Sprintf("self-signed certificate: subject = issuer = %q, signed by its own key", c.Subject)
		}},
	{id: "cert.self_issued", group: GroupCertSelf, applies: hasLeaf,
		firesTable: func(in *Input, t *Table) bool {
			return leaf(in).SelfIssued && !leaf(in).SelfSigned && !t.knowsSelfMade(in)
		},
		describe: func(in *Input) (string, string, string) {
			c := leaf(in)
			return "tls.issuerdn", c.Issuer, fmt.Sprintf("self-issued certificate: issuer = subject = %q", c.Issuer)
		}},
	{id: "cert.private_issuer", group: GroupCertSelf, applies: func(in *Input) bool {
		_, ok := chainIssuer(in)
		return ok && hasLeaf(in)
	},
		firesTable: privateIssuer, describe: describePrivateIssuer},
	// An IP-literal server name is its own fact (sni.ip_literal).
	{id: "cert.name_mismatch", group: GroupCertName, applies: func(in *Input) bool {
		return hasLeaf(in) && namedHello(in) && !isIP(in.TLS.Client.ServerName)
	},
		fires: func(in *Input) bool { return !covers(leaf(in), in.TLS.Client.ServerName) },
		describe: func(in *Input) (string, string, string) {
			c := leaf(in)
			names := certNames(c)
			if names == "CN=" {
				return "tls.sans", "", "the certificate names no host (no subjectAltName, no subject CN), so it cannot cover the server name " + in.TLS.Client.ServerName
			}
			return "tls.sans", names, fmt.Sprintf("the certificate's names (%s) do not cover the server name %s", names, in.TLS.Client.ServerName)
		}},
	{id: "cert.placeholder_name", group: GroupCertSubj, applies: hasLeaf,
		fires: func(in *Input) bool { _, _, _, ok := placeholder(leaf(in)); return ok },
		describe: func(in *Input) (string, string, string) {
			field, v, why, _ := placeholder(leaf(in))
			whose := "subject"
			if field == "tls.issuerdn" {
				whose = "issuer"
			}
			return field, v, fmt.Sprintf("the certificate's %s says %s: %s, which no public CA certifies", whose, v, why)
		}},
	{id: "cert.generated_name", group: GroupCertSubj, applies: func(in *Input) bool { return hasLeaf(in) && hasJudgedCertName(leaf(in)) },
		firesNames: func(in *Input, m *NameModel) bool {
			_, _, _, _, ok := certGenerated(leaf(in), m, sniLabel(in))
			return ok
		},
		describeNames: func(in *Input, m *NameModel) (string, string, string) {
			field, name, label, bits, _ := certGenerated(leaf(in), m, sniLabel(in))
			whose := "subject"
			if field == "tls.issuerdn" {
				whose = "issuer"
			}
			return field, "CN=" + name, fmt.Sprintf("the certificate's %s CN=%s looks machine-generated: its label %q costs %.1f bits a character against benign server names (at most %.1f for 99%% of them)", whose, name, label, bits, m.Cutoff)
		}},
	{id: "cert.expired", group: GroupCertTime, applies: datedLeaf,
		fires: func(in *Input) bool { return in.Flow.Start.After(leaf(in).NotAfter) },
		describe: func(in *Input) (string, string, string) {
			c := leaf(in)
			v := c.NotAfter.UTC().Format(time.DateOnly)
			return "tls.notafter", v, "the certificate expired on " + v + ", " + days(in.Flow.Start.Sub(c.NotAfter)) + " before the flow"
		}},
	{id: "cert.not_yet_valid", group: GroupCertTime, applies: datedLeaf,
		fires: func(in *Input) bool { return in.Flow.Start.Before(leaf(in).NotBefore) },
		describe: func(in *Input) (string, string, string) {
			c := leaf(in)
			v := c.NotBefore.UTC().Format(time.DateOnly)
			return "tls.notbefore", v, "the certificate is valid only from " + v + ", " + days(c.NotBefore.Sub(in.Flow.Start)) + " after the flow"
		}},
	{id: "cert.validity_short", group: GroupCertTime, applies: validityRead,
		fires: func(in *Input) bool { return validity(leaf(in)) < shortValidity },
		describe: func(in *Input) (string, string, string) {
			v := days(validity(leaf(in)))
			return "tls.validity", v, "the certificate is valid for " + v + " only (shorter than " + days(shortValidity) + ")"
		}},
	{id: "cert.validity_long", group: GroupCertTime, applies: validityRead,
		fires: func(in *Input) bool { return validity(leaf(in)) > longValidity },
		describe: func(in *Input) (string, string, string) {
			v := days(validity(leaf(in)))
			return "tls.validity", v, "the certificate is valid for " + v + " (public CAs issue at most 398 days; before 2020, 825)"
		}},
	// A public CA's certificate in its first week: a server set up for
	// the occasion (a campaign's new domain, a C2 server) shows one;
	// servers that serve for months mostly show older ones. Judged only
	// where the chain leads to a root of the public Web PKI: a private CA
	// (an organisation's own, whose automation may renew every week, or a
	// tool's) and self-made leaves have their own facts; nor on a leaf
	// that lives under four weeks, always young (a service mesh's of
	// hours, the public CAs' 6-day ones).
	{id: "cert.fresh", group: GroupCertTime, applies: func(in *Input) bool {
		return datedLeaf(in) && !selfMade(in) && validity(leaf(in)) >= 4*freshCertificate && publicChain(in)
	},
		fires: func(in *Input) bool {
			age := in.Flow.Start.Sub(leaf(in).NotBefore)
			return age >= 0 && age < freshCertificate
		},
		describe: func(in *Input) (string, string, string) {
			c := leaf(in)
			v := c.NotBefore.UTC().Format(time.DateOnly)
			return "tls.notbefore", v, "the certificate became valid on " + v + ", " + days(in.Flow.Start.Sub(c.NotBefore)) +
				" before the flow: a public CA's certificate in its first week, as a server set up for the occasion shows"
		}},
}

// Validity bounds: CA/Browser Forum Baseline Requirements allowed at most
// 825 days before 2020-09 and 398 days since; the shortest certificates
// public CAs issue last 6 days. A certificate is fresh in its first week.
const (
	longValidity     = 825 * 24 * time.Hour
	shortValidity    = 2 * 24 * time.Hour
	freshCertificate = 7 * 24 * time.Hour
)

func validity(c *tlsparse.Certificate) time.Duration { return c.NotAfter.Sub(c.NotBefore) }

// days words a duration in whole days, or hours under two days (as
// fmt's %.0f would: the durations are finite). An alert words one or two
// per flow, so they are built without fmt.
func days(d time.Duration) string {
	if d < 48*time.Hour {
		return strconv.FormatFloat(d.Hours(), 'f', 0, 64) + " hours"
	}
	return strconv.FormatFloat(d.Hours()/24, 'f', 0, 64) + " days"
}

// covers reports whether a certificate names host: a SAN (DNS or IP), or
// the subject CN when there is no SAN, with RFC 6125 wildcards (one
// left-most label).
func covers(c *tlsparse.Certificate, host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if len(c.DNSNames) == 0 && len(c.IPAddresses) == 0 {
		return matchName(commonName(c.Subject), host)
	}
	for _, n := range c.DNSNames {
		if matchName(n, host) {
			return true
		}
	}
	if a, err := netip.ParseAddr(host); err == nil {
		for _, ip := range c.IPAddresses {
			if ip == a {
				return true
			}
		}
	}
	return false
}

func matchName(pattern, host string) bool {
	pattern = strings.ToLower(strings.TrimSuffix(pattern, "."))
	if pattern == host {
		return true
	}
	if rest, ok := strings.CutPrefix(pattern, "*."); ok {
		if i := strings.IndexByte(host, '.'); i > 0 && host[i+1:] == rest {
			return true
		}
	}
	return false
}

// commonName picks CN=... out of a subject as tlsparse renders it.
func commonName(subject string) string {
	for rest := subject; rest != ""; {
		var part string
		part, rest = nextRDN(rest)
		if v, ok := strings.CutPrefix(part, "CN="); ok {
			return v
		}
	}
	return ""
}

// certNames lists a certificate's host names for a reason: its
// subjectAltNames (at most four), else its subject CN.
func certNames(c *tlsparse.Certificate) string {
	names := append([]string(nil), c.DNSNames...)
	for _, a := range c.IPAddresses {
		names = append(names, a.String())
	}
	if len(names) == 0 {
		return "CN=" + commonName(c.Subject)
	}
	if len(names) > 4 {
		names = append(names[:4], fmt.Sprintf("and %d more", len(names)-4))
	}
	return strings.Join(names, ", ")
}
