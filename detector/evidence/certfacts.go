package evidence

import "strings"

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

// CertFindings are the certificate checks that fire on the flow's leaf
// certificate, strongest first, one counted per group (as Explain); nil
// when the flow shows no leaf or no check fires, without allocating. The
// checks need no transcript: x.T may be nil.
func (t *Table) CertFindings(x *Input) []Finding {
	if x.TLS == nil || x.TLS.Server == nil || x.TLS.Server.Leaf == nil {
		return nil
	}
	var out []Finding
	for _, i := range certChecks {
		c := &checks[i]
		if !c.applies(x) || !t.fires(i, x) {
			continue
		}
		var field, value, text string
		if c.describeNames != nil {
			field, value, text = c.describeNames(x, t.Names)
		} else {
			field, value, text = c.describe(x)
		}
		out = append(out, t.finding(c.id, c.group, field, value, text, t.bits[i], t.Rates[c.id].Applied))
	}
	rank(out)
	return out
}
