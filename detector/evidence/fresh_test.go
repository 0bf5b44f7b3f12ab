package evidence

import (
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/internal/labset"
)

// TestFreshCertificate: a public CA's certificate fires cert.fresh in its
// first week and not after; a self-made one, a private CA's, one that lives
// under four weeks, and one not yet valid (cert.not_yet_valid's) never do.
func TestFreshCertificate(t *testing.T) {
	wallClock = func() time.Time { return time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC) }
	defer func() { wallClock = time.Now }()
	tab := Calibrate("b", inputs(t, labset.Benign, 8), nil, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	nb := time.Date(2023, 7, 8, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	issued := validFor(t, nb, 90*day)
	issued.SelfSigned, issued.SelfIssued, issued.Issuer = false, false, "C=US, O=Let's Encrypt, CN=R3"
	selfSigned := validFor(t, nb, 90*day)
	short := validFor(t, nb, 6*day)
	short.SelfSigned, short.SelfIssued, short.Issuer = false, false, issued.Issuer
	isrg, err := hex.DecodeString(isrgRootX1)
	if err != nil {
		t.Fatal(err)
	}
	public := isrg[2:]                                                  // the Name's content octets, as a chain gives them
	private := []byte("\x31\x0b\x30\x09\x06\x03\x55\x04\x03\x0c\x02CA") // CN=CA
	for _, tc := range []struct {
		name  string
		which string // the public CA's 90-day certificate, else "self", "short" or "private"
		at    time.Time
		want  bool
	}{
		{"an hour after it became valid", "", nb.Add(time.Hour), true},
		{"six days on", "", nb.Add(6*day + 23*time.Hour), true},
		{"a week on", "", nb.Add(7 * day), false},
		{"two months on", "", nb.Add(60 * day), false},
		{"hours before it became valid", "", nb.Add(-3 * time.Hour), false},
		{"self-signed, an hour old", "self", nb.Add(time.Hour), false},
		{"a 6-day certificate, an hour old", "short", nb.Add(time.Hour), false},
		{"a private CA's, an hour old", "private", nb.Add(time.Hour), false},
	} {
		c, chain := issued, public
		switch tc.which {
		case "self":
			c = selfSigned
		case "short":
			c = short
		case "private":
			chain = private
		}
		ids := certIDs(tab, c, chain, tc.at)
		if got := slices.Contains(ids, "cert.fresh"); got != tc.want {
			t.Errorf("%s: cert.fresh fired %v, want %v (findings %v)", tc.name, got, tc.want, ids)
		}
	}
	// Its words name the day and the age.
	for _, f := range tab.CertFindings(issued, public, "www.example.com", nb.Add(2*day)) {
		if f.ID == "cert.fresh" {
			if want := "the certificate became valid on 2023-07-08, 2 days before the flow"; !strings.Contains(f.Text, want) {
				t.Errorf("cert.fresh says %q, want it to contain %q", f.Text, want)
			}
			return
		}
	}
	t.Error("cert.fresh did not fire two days after the certificate became valid")
}
