package eve_test

import (
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/sensor/eve"
)

// TestTruncatedHelloRecord: a flow whose hellos the capture cut short
// (a snap length, a lost segment) shows no JA3, JA3N, JA4, JA3S or cipher
// suite made up from the part it has, and no version the part does not
// tell; truncated says why. Every TLS flow of the sample, cut at several
// points, with and without a CertCache that saw it whole; the whole flow
// keeps its record.
func TestTruncatedHelloRecord(t *testing.T) {
	flows, err := readCapture(t, "../../testdata/sample.pcap")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, f := range flows {
		cache := tlsparse.NewCertCache(16)
		h := tlsparse.FromFlow(f, cache)
		whole := eve.NewTLSRecord(h)
		if whole == nil || whole.JA3 == nil || whole.JA4 == "" || whole.JA3S == nil || whole.CipherSuite == "" || whole.Truncated {
			continue // only whole handshakes are cut here
		}
		seen++
		// Each hello came in the first record of its side.
		clientEnd := tlsparse.RecordHeaderLen + len(h.Client.Raw)
		serverEnd := tlsparse.RecordHeaderLen + len(h.Server.ServerHello.Raw)
		for _, cut := range []int{6, 9, 11, 43, 44, 80, clientEnd / 2, clientEnd - 1} {
			g := *f
			g.ClientHandshake = f.ClientHandshake[:min(cut, clientEnd-1)]
			g.ServerHandshake = f.ServerHandshake[:min(cut, serverEnd-1)]
			for _, certs := range []*tlsparse.CertCache{nil, cache} {
				r := eve.NewTLSRecord(tlsparse.FromFlow(&g, certs))
				if r == nil || !r.Truncated {
					t.Fatalf("%s cut at %d: not truncated: %+v", f.Client.AddrPort(), cut, r)
				}
				if r.JA3 != nil || r.JA3N != nil || r.JA4 != "" || r.JA4R != "" || r.JA3S != nil {
					t.Errorf("%s cut at %d: fingerprints ja3 %v ja3n %v ja4 %q ja4_r %q ja3s %v", f.Client.AddrPort(), cut, r.JA3, r.JA3N, r.JA4, r.JA4R, r.JA3S)
				}
				if strings.Contains(r.CipherSuite, "NULL_WITH_NULL") {
					t.Errorf("%s cut at %d: cipher suite %q", f.Client.AddrPort(), cut, r.CipherSuite)
				}
				if r.Version != whole.Version && r.Version != "UNDETERMINED" {
					t.Errorf("%s cut at %d: version %q, the whole flow's %q", f.Client.AddrPort(), cut, r.Version, whole.Version)
				}
			}
		}
		if again := eve.NewTLSRecord(tlsparse.FromFlow(f, cache)); again.JA4 != whole.JA4 || *again.JA3 != *whole.JA3 || *again.JA3S != *whole.JA3S {
			t.Errorf("%s: whole after cut: %+v, want %+v", f.Client.AddrPort(), again, whole)
		}
	}
	if seen == 0 {
		t.Fatal("no whole TLS handshake in the sample")
	}
}
