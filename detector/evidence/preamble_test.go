package evidence

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// TestOneBytePreamble: frp's TLS mode sends one byte (0x17) before its
// ClientHello, so that its server tells TLS from plain on one port; the
// reason counts it in words.
func TestOneBytePreamble(t *testing.T) {
	tab := Calibrate("labset benign", inputs(t, labset.Benign, 8), nil)
	conv := append(capgen.Conversation{capgen.ClientWrite([]byte{0x17})},
		tlsConv(t, capgen.ECDSAP256, tls.VersionTLS13, []tls.CurveID{tls.X25519}, nil, "tunnel.example.com")...)
	in := input(flowOf(t, conv, "192.0.2.9:443"))
	var text string
	for _, f := range tab.Explain(in) {
		if f.Field == "tls.client.preamble" {
			text = f.Text
		}
	}
	if !strings.HasPrefix(text, "1 byte before the ClientHello: ") {
		t.Errorf("preamble reason %q", text)
	}
}
