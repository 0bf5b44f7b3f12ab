package evidence

import (
	"crypto/tls"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/flow"
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

// TestVersionWeighsOlderBests: a client's best version weighs how often
// benign clients' best was that version or older, so that a best of
// TLS 1.1 never outweighs a best of TLS 1.0 where the corpus showed
// clients capped at 1.0 and none at 1.1 (counted by its own value, 1.1
// weighed 10.1 bits against 1.0's 2.6 on the default corpus before 2020).
func TestVersionWeighsOlderBests(t *testing.T) {
	corpus := inputs(t, labset.Benign, 8)
	for range 3 {
		corpus = append(corpus, input(tlsFlow(t, tls.VersionTLS10, "old.example.com")))
	}
	tab := Calibrate("labset benign and TLS 1.0 clients", corpus, nil)
	r10, r11 := tab.Rates["version.tls10"], tab.Rates["version.tls11"]
	if r10.Fired != 3 || r11.Fired != 3 || r11.Applied != r10.Applied {
		t.Fatalf("rates: TLS 1.0 %+v, TLS 1.1 %+v; want both 3 fired (a best of 1.0 counts as 1.1 or older)", r10, r11)
	}
	f10, ok10 := fired(tab, input(tlsFlow(t, tls.VersionTLS10, "old.example.com")), "version.tls10")
	f11, ok11 := fired(tab, input(tlsFlow(t, tls.VersionTLS11, "old.example.com")), "version.tls11")
	if !ok10 || !ok11 || f11.Bits > f10.Bits {
		t.Fatalf("TLS 1.1 at best weighs %.1f bits (%v), TLS 1.0 at best %.1f (%v): 1.1 must not outweigh 1.0", f11.Bits, ok11, f10.Bits, ok10)
	}
	if !strings.Contains(f11.Text, "a best of TLS 1.1 or older; 3 of ") {
		t.Errorf("reason does not say what was counted: %q", f11.Text)
	}
	if _, ok := fired(tab, input(tlsFlow(t, tls.VersionTLS11, "old.example.com")), "version.tls10"); ok {
		t.Error("a client capped at TLS 1.1 fired version.tls10")
	}
}

// sslv2Hello is an SSLv2-format (SSLv2-compatible) ClientHello offering
// version v and the given 3-byte cipher specs, with a 16-byte challenge.
func sslv2Hello(v uint16, specs ...uint32) []byte { return sslv2HelloChallenge(v, 16, specs...) }

// sslv2HelloChallenge is sslv2Hello with an n-byte challenge.
func sslv2HelloChallenge(v uint16, n int, specs ...uint32) []byte {
	body := []byte{1, byte(v >> 8), byte(v), byte(3 * len(specs) >> 8), byte(3 * len(specs)), 0, 0, 0, byte(n)}
	for _, s := range specs {
		body = append(body, byte(s>>16), byte(s>>8), byte(s))
	}
	body = append(body, make([]byte, n)...)
	return append([]byte{0x80 | byte(len(body)>>8), byte(len(body))}, body...)
}

// TestSSLv2FormatHello: an SSLv2-compatible hello is judged by the
// version it offers and its suites like any other (a 2024 capture's
// hello offering TLS 1.0 and EXPORT suites in SSLv2's format went
// unseen): its version field is the highest it offers, and SSL 2.0's own
// export specs count as EXPORT suites. A challenge of a length SSL 2.0
// does not allow (a DROWN exploit's 5 bytes) is a hand-made hello.
func TestSSLv2FormatHello(t *testing.T) {
	tab := Calibrate("labset benign", inputs(t, labset.Benign, 8), nil)
	for _, c := range []struct {
		name  string
		hello []byte
		want  []string
	}{
		{"TLS 1.0, EXPORT suite", sslv2Hello(tls.VersionTLS10, 0x00002f, 0x000003), []string{"version.tls10", "cipher.export_offered"}},
		{"SSL 3.0, SSL 2.0 export spec", sslv2Hello(tls.VersionSSL30, 0x00002f, specV2RC4Export40), []string{"version.sslv3", "cipher.export_offered"}},
		{"SSL 2.0", sslv2Hello(0x0002, 0x010080), []string{"version.sslv2"}},
		{"TLS 1.2, strong suites", sslv2Hello(tls.VersionTLS12, 0x00002f, 0x00009c), nil},
		{"TLS 1.2, a 32-byte challenge", sslv2HelloChallenge(tls.VersionTLS12, 32, 0x00002f), nil},
		{"SSL 2.0, a 5-byte challenge", sslv2HelloChallenge(0x0002, 5, 0x010080), []string{"version.sslv2", "hs.client_inconsistent"}},
	} {
		in := input(&flow.Flow{ClientHandshake: c.hello, Prefix: c.hello, Start: time.Date(2024, 4, 3, 0, 0, 0, 0, time.UTC)})
		if in.TLS.Client == nil || !in.TLS.Client.SSLv2 {
			t.Fatalf("%s: not parsed as an SSLv2-format hello: %+v", c.name, in.TLS.ClientErr)
		}
		for _, id := range []string{"version.sslv2", "version.sslv3", "version.tls10", "version.tls11", "cipher.export_offered", "hs.client_inconsistent"} {
			f, ok := fired(tab, in, id)
			if ok != slices.Contains(c.want, id) {
				t.Errorf("%s: %s fired %v (%s)", c.name, id, ok, f.Text)
			}
		}
	}
	in := input(&flow.Flow{ClientHandshake: sslv2Hello(tls.VersionSSL30, specV2RC4Export40), Prefix: sslv2Hello(tls.VersionSSL30, specV2RC4Export40)})
	if f, _ := fired(tab, in, "cipher.export_offered"); !strings.Contains(f.Text, "SSL2_RC4_128_EXPORT40_WITH_MD5") {
		t.Errorf("SSL 2.0 export spec not named: %q", f.Text)
	}
}
