package evidence

import (
	"strings"
	"time"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// certChecks are the indexes of the checks about the leaf certificate:
// what a server shows once, in a full handshake, and not again in the
// sessions it resumes.
var certChecks = func() []int {
	var out []int
	for i, c := range checks {
		if strings.HasPrefix(c.group, "cert.") {
			out = append(out, i)
		}
	}
	return out
}()

// CertBits is what the certificate checks give the flow's leaf, in bits
// (the strongest of each group, as Score); 0 when the flow shows no leaf.
// It needs no transcript (x.T may be nil) and does not allocate.
func (t *Table) CertBits(x *Input) float64 {
	bits, _ := t.CertFired(x)
	return bits
}

// certMask has the bits of the certificate checks (Fired's layout).
var certMask = func() (m Fired) {
	for _, i := range certChecks {
		m |= 1 << i
	}
	return m
}()

// CertFired is CertBits that also says which certificate checks fired,
// for ScoreCertFired.
func (t *Table) CertFired(x *Input) (float64, Fired) {
	if x.TLS == nil || x.TLS.Server == nil || x.TLS.Server.Leaf == nil {
		return 0, 0
	}
	w := t.weightsAt(x)
	var best [len(groups)]float64
	var fired Fired
	for _, i := range certChecks {
		if checks[i].applies(x) && t.fires(i, x) {
			fired |= 1 << i
			g := groupIndex(checks[i].group)
			best[g] = max(best[g], w.bits[i])
		}
	}
	total := 0.0
	for _, b := range best {
		total += b
	}
	return total, fired
}

// CertFindings are the certificate checks that fire on leaf, shown in a
// chain that led to chainIssuer (tlsparse.ServerFlight.ChainIssuer; nil
// when unknown), when a client asks for server name sni (may be empty) at
// time at, strongest first, one counted per group (as Explain): what a
// resumed session recalls of the full handshake that showed leaf.
func (t *Table) CertFindings(leaf *tlsparse.Certificate, chainIssuer []byte, sni string, at time.Time) []Finding {
	if leaf == nil {
		return nil
	}
	x := &Input{Flow: &flow.Flow{Start: at}, TLS: &tlsparse.Handshake{
		Client: &tlsparse.ClientHello{ServerName: sni}, Server: &tlsparse.ServerFlight{Leaf: leaf}}}
	if chainIssuer != nil {
		x.issuer, x.issuerState = chainIssuer, issuerFound
	}
	var out []Finding
	for _, i := range certChecks {
		if f, ok := t.check(i, x); ok {
			out = append(out, f)
		}
	}
	rank(out)
	return out
}
