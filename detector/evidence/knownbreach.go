package evidence

import "slices"

// A breach of TLS that a site's own training flows showed (a device whose
// stack cuts its hellos, an appliance whose records stop being records)
// is that site's normal, not a decision. A table for a site's model knows
// which breaches its training showed (Table.KnownBreaches, by check id),
// and there they weigh their corpus rate, as every check did before a
// breach could decide on its own (Table.SetDecisive).

// LearnBreaches returns a copy of t that also knows the breaches in
// showed (the ids of the violation checks that fired on them, in the
// order of the checks), where the capture missed none of the bytes they
// were read from: a training flow whose packets the capture dropped
// shows breaches its stack never made. in needs transcripts: several
// breaches are read from the records. t is not changed.
func (t *Table) LearnBreaches(in []*Input) *Table {
	seen := map[string]int{}
	for _, x := range in {
		for i := range checks {
			if c := &checks[i]; c.violation && !slices.Contains(t.KnownBreaches, c.id) && c.applies(x) && t.fires(i, x) && !breachLost(i, x) {
				seen[c.id]++
			}
		}
	}
	u := *t
	u.KnownBreaches = slices.Clone(t.KnownBreaches)
	for _, c := range checks {
		if seen[c.id] > 0 {
			u.KnownBreaches = append(u.KnownBreaches, c.id)
		}
	}
	u.prepare()
	return &u
}

// knownBreachSet checks and indexes the known breaches: each a violation
// check's id, listed once.
func knownBreachSet(ids []string) (map[string]struct{}, error) {
	return knownStrings("breach", ids, len(checks), isViolation)
}

// isViolation reports whether id names a violation check.
func isViolation(id string) bool {
	return slices.ContainsFunc(checks, func(c check) bool { return c.violation && c.id == id })
}
