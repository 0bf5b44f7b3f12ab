package evidence

import (
	"time"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// leafChecks has the bits of the certificate checks that read the leaf
// certificate alone (and the table's name model): whether they fire is the
// same for every flow that shows the certificate. The others read the
// flow too: the server name, the chain, the flow's start.
var leafChecks = func() (m Fired) {
	for i, c := range checks {
		switch c.id {
		case "cert.self_signed", "cert.self_issued", "cert.placeholder_name",
			"cert.validity_short", "cert.validity_long":
			m |= 1 << i
		}
	}
	return m
}()

// LeafMemo remembers, by certificate, which of the checks that read only
// the leaf fired on it, so that a server's certificate seen again (a
// network talks to the same servers all day, as tlsparse.CertCache counts
// on) is judged once: the placeholder check alone reads every name a
// certificate lists, a hundred for a large site's. It is keyed on the
// certificate's SHA-256 fingerprint (the hash Zeek keys its certificate
// cache on), holds at most its size of them and starts afresh when full.
// It serves one Table; not safe for concurrent use.
type LeafMemo struct {
	table *Table
	fired map[string]Fired
	size  int
}

// NewLeafMemo returns a memo of at most size certificates (size < 1
// gives 1).
func NewLeafMemo(size int) *LeafMemo {
	return &LeafMemo{fired: map[string]Fired{}, size: max(size, 1)}
}

// leafFired returns which of the leaf checks fire on x's leaf (x has
// one), from m when it knows the certificate; m may be nil.
func (t *Table) leafFired(x *Input, m *LeafMemo) Fired {
	key := leaf(x).SHA256Fingerprint
	if m != nil && key != "" {
		if m.table != t {
			m.table = t
			clear(m.fired)
		}
		if f, ok := m.fired[key]; ok {
			return f
		}
	}
	var f Fired
	for _, i := range certChecks {
		if leafChecks&(1<<i) != 0 && checks[i].applies(x) && t.fires(i, x) {
			f |= 1 << i
		}
	}
	if m != nil && key != "" {
		if len(m.fired) >= m.size {
			clear(m.fired)
		}
		m.fired[key] = f
	}
	return f
}

// certFired is which certificate checks fire on x's leaf (x has one), the
// leaf-only ones from m when it knows the certificate.
func (t *Table) certFired(x *Input, m *LeafMemo) Fired {
	fired := t.leafFired(x, m)
	for _, i := range certChecks {
		if leafChecks&(1<<i) == 0 && checks[i].applies(x) && t.fires(i, x) {
			fired |= 1 << i
		}
	}
	return fired
}

// CertFiredMemo is CertFired taking the leaf checks' results from m (may
// be nil) when it knows the certificate.
func (t *Table) CertFiredMemo(x *Input, m *LeafMemo) (float64, Fired) {
	if x.TLS == nil || x.TLS.Server == nil || x.TLS.Server.Leaf == nil {
		return 0, 0
	}
	fired := t.certFired(x, m) & judgedOn(x)
	w := t.weightsAt(x)
	var best [len(groups)]float64
	for _, i := range certChecks {
		if fired&(1<<i) != 0 {
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

// CertFindingsMemo is CertFindings taking the leaf checks' results from m
// (may be nil) when it knows the certificate.
func (t *Table) CertFindingsMemo(leafCert *tlsparse.Certificate, chainIssuer []byte, sni string, at time.Time, m *LeafMemo) []Finding {
	out := t.CertFindingsUnworded(leafCert, chainIssuer, sni, at, m)
	for i := range out {
		t.WordCertFinding(&out[i], leafCert, chainIssuer, sni, at)
	}
	return out
}

// CertFindingsUnworded is CertFindingsMemo without the findings' words
// (Field, Value and Text empty): their checks, groups, bits and which
// count, all that scoring a flow needs. WordCertFinding words one, with
// the same arguments, for an alert.
func (t *Table) CertFindingsUnworded(leafCert *tlsparse.Certificate, chainIssuer []byte, sni string, at time.Time, m *LeafMemo) []Finding {
	if leafCert == nil {
		return nil
	}
	x := certInput(leafCert, chainIssuer, sni, at)
	fired := t.certFired(x, m)
	w := t.weightsAt(x)
	var out []Finding
	for _, i := range certChecks {
		if fired&(1<<i) != 0 {
			out = append(out, Finding{ID: checks[i].id, Group: checks[i].group, Bits: w.bits[i], Counted: true})
		}
	}
	rank(out)
	return out
}

// WordCertFinding fills in the words of f, a finding CertFindingsUnworded
// gave for the same certificate, chain, server name and time.
func (t *Table) WordCertFinding(f *Finding, leafCert *tlsparse.Certificate, chainIssuer []byte, sni string, at time.Time) {
	for _, i := range certChecks {
		if checks[i].id == f.ID {
			x := certInput(leafCert, chainIssuer, sni, at)
			d := t.describe(t.weightsAt(x), i, x)
			f.Field, f.Value, f.Text = d.Field, d.Value, d.Text
			return
		}
	}
}

// certInput is a flow that shows leafCert in a chain that led to
// chainIssuer (nil: unknown), asking for server name sni, at time at.
func certInput(leafCert *tlsparse.Certificate, chainIssuer []byte, sni string, at time.Time) *Input {
	x := &Input{Flow: &flow.Flow{Start: at}, TLS: &tlsparse.Handshake{
		Client: &tlsparse.ClientHello{ServerName: sni}, Server: &tlsparse.ServerFlight{Leaf: leafCert}}}
	if chainIssuer != nil {
		x.issuer, x.issuerState = chainIssuer, issuerFound
	}
	return x
}
