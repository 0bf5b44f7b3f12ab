package evidence

import (
	"crypto/tls"
	"testing"

	"github.com/tlsentry/tlsentry/internal/labset"
)

// TestObsoleteVersions: a real client capped at TLS 1.1 fires
// version.tls11 alone (RFC 8996 deprecated 1.1 with 1.0), one capped at
// 1.0 fires version.tls10 alone, and one that offers 1.2 or 1.3 fires
// neither; each weighs its own rate.
func TestObsoleteVersions(t *testing.T) {
	tab := Calibrate("labset benign", inputs(t, labset.Benign, 8), nil)
	for _, c := range []struct {
		max  uint16
		want string
	}{
		{tls.VersionTLS10, "version.tls10"},
		{tls.VersionTLS11, "version.tls11"},
		{tls.VersionTLS12, ""},
		{tls.VersionTLS13, ""},
	} {
		in := input(tlsFlow(t, c.max, "old.example.com"))
		for _, id := range []string{"version.tls10", "version.tls11"} {
			f, ok := fired(tab, in, id)
			if ok != (id == c.want) {
				t.Errorf("client capped at %s: %s fired %v (%+v)", tls.VersionName(c.max), id, ok, f)
			}
			if ok && (f.Field != "tls.client.max_version" || f.Bits != tab.Rates[id].Bits()) {
				t.Errorf("client capped at %s: %+v", tls.VersionName(c.max), f)
			}
		}
	}
}
