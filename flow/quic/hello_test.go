package quic_test

import (
	"bufio"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/flow/quic"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// TestRFCHellos: the CRYPTO streams a Conn reassembles from the sample
// Initials of RFC 9001 and RFC 9369 Appendix A parse as the ClientHello
// and ServerHello the RFCs describe.
func TestRFCHellos(t *testing.T) {
	for _, name := range []string{"rfc9001", "rfc9369"} {
		t.Run(name, func(t *testing.T) {
			vec := readVectors(t, name)
			c := quic.NewConn(0)
			c.Datagram(vec["client_packet"], true)
			c.Datagram(vec["server_packet"], false)
			ch, err := tlsparse.ParseClientHelloMessage(c.ClientCrypto())
			if err != nil {
				t.Fatal(err)
			}
			if ch.ServerName != "example.com" {
				t.Errorf("SNI = %q, want example.com", ch.ServerName)
			}
			sh, err := tlsparse.ParseServerHelloMessage(c.ServerCrypto())
			if err != nil {
				t.Fatal(err)
			}
			if sh.CipherSuite != 0x1301 || sh.SelectedVersion != 0x0304 {
				t.Errorf("server hello: suite %#x version %#x, want 0x1301 TLS 1.3", sh.CipherSuite, sh.SelectedVersion)
			}
		})
	}
}

// readVectors reads testdata/NAME-appendix-a.txt: "name hex" lines.
func readVectors(tb testing.TB, name string) map[string][]byte {
	tb.Helper()
	f, err := os.Open("testdata/" + name + "-appendix-a.txt")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(k, "#") {
			continue
		}
		b, err := hex.DecodeString(v)
		if err != nil {
			tb.Fatalf("%s %s: %v", name, k, err)
		}
		out[k] = b
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}
