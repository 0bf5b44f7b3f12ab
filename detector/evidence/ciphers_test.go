package evidence

import "testing"

// TestSuiteName holds the words for a suite: four hex digits, then the
// IANA name where the parser's table has one.
func TestSuiteName(t *testing.T) {
	for _, c := range []struct {
		id   uint16
		want string
	}{
		{0x0003, "0x0003 (TLS_RSA_EXPORT_WITH_RC4_40_MD5)"},
		{0xc02f, "0xc02f (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)"},
		{0x1301, "0x1301 (TLS_AES_128_GCM_SHA256)"},
		{0xfefe, "0xfefe"},
	} {
		if got := suiteName(c.id); got != c.want {
			t.Errorf("suiteName(%#04x) = %q, want %q", c.id, got, c.want)
		}
	}
}
