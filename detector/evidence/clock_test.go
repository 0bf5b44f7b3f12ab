package evidence

import (
	"slices"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// certIDs are the ids of the certificate findings on leaf c, in a chain
// that led to chainIssuer (nil: none read), shown at at.
func certIDs(tab *Table, c *tlsparse.Certificate, chainIssuer []byte, at time.Time) []string {
	var ids []string
	for _, f := range tab.CertFindings(c, chainIssuer, "www.example.com", at) {
		ids = append(ids, f.ID)
	}
	return ids
}

// validFor is a copy of the lab's leaf valid from nb for d.
func validFor(t *testing.T, nb time.Time, d time.Duration) *tlsparse.Certificate {
	t.Helper()
	for _, in := range inputs(t, labset.SelfSigned, 1) {
		if l := leaf(in); l != nil {
			c := *l
			c.NotBefore, c.NotAfter = nb, nb.Add(d)
			return &c
		}
	}
	t.Fatal("the lab's self-signed flow shows no certificate")
	return nil
}

// TestCaptureClock: a flow whose capture clock cannot be right (zeroed,
// years behind its server's certificate, in the future) is undated: its
// certificate is neither expired nor not yet valid, and it has no era. A
// certificate that starts hours after the flow (a server's clock skew, a
// forger's) or that expired a year before it still fires.
func TestCaptureClock(t *testing.T) {
	wallClock = func() time.Time { return time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC) }
	defer func() { wallClock = time.Now }()
	tab := Calibrate("b", inputs(t, labset.Benign, 8), nil, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	year := 365 * 24 * time.Hour
	c := validFor(t, time.Date(2023, 5, 29, 0, 0, 0, 0, time.UTC), 90*24*time.Hour)
	for _, tc := range []struct {
		name string
		at   time.Time
		want string // the time check that fires, "" none
	}{
		{"zeroed clock (1970)", time.Unix(0, 0), ""},
		{"clock 7500 days behind the certificate", c.NotBefore.Add(-7500 * 24 * time.Hour), ""},
		{"clock in the future, long after the certificate expired", time.Date(2061, 3, 1, 0, 0, 0, 0, time.UTC), ""},
		{"hours before the certificate", c.NotBefore.Add(-4 * time.Hour), "cert.not_yet_valid"},
		{"eleven months before the certificate", c.NotBefore.Add(-year + 30*24*time.Hour), "cert.not_yet_valid"},
		{"a year after it expired", c.NotAfter.Add(year), "cert.expired"},
		{"while it is valid", c.NotBefore.Add(24 * time.Hour), ""},
	} {
		ids := certIDs(tab, c, nil, tc.at)
		for _, id := range []string{"cert.not_yet_valid", "cert.expired"} {
			if fired := slices.Contains(ids, id); fired != (id == tc.want) {
				t.Errorf("%s: %s fired %v (findings %v)", tc.name, id, fired, ids)
			}
		}
	}
	// The era: a flow of 1970 or of 2061 is judged by the whole corpus.
	for _, at := range []time.Time{time.Unix(0, 0), time.Date(2061, 3, 1, 0, 0, 0, 0, time.UTC), c.NotBefore.Add(-3 * year)} {
		if e := eraOf(tab.Eras, certInput(c, nil, "", at)); e != -1 {
			t.Errorf("flow at %v judged in era %d", at, e)
		}
	}
	if e := eraOf(tab.Eras, certInput(c, nil, "", c.NotBefore.Add(time.Hour))); e != 1 {
		t.Errorf("flow of 2023 judged in era %d, want 1", e)
	}
}
