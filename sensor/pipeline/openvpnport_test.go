package pipeline_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/internal/sharedpcaps"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
)

// TestOpenVPNOnItsPortNotJudgedAsWeb: OpenVPN on 1194, its registered
// port, carries TLS in its own framing with the VPN's own CA, a
// self-issued server certificate and a client certificate: the protocol
// working as specified, which the web's conventions (certificates a
// public CA would issue, no client certificates) do not judge, as they do
// not judge STARTTLS on a mail port. nDPI's capture of such a session
// (its name notwithstanding, the server listens on 1194) scores under the
// default threshold, with no certificate evidence (the novelty of its
// issuer still counts, as any new issuer's).
func TestOpenVPNOnItsPortNotJudgedAsWeb(t *testing.T) {
	path := filepath.Join(sharedpcaps.PcapDir(t), "ndpi", "443-opvn.pcap")
	m := defaultModel(t)
	var seen int
	for _, l := range everyVerdict(t, m, pipeline.Config{}, path) {
		if l.DestPort != 1194 {
			continue
		}
		seen++
		v := l.Verdict()
		if v.Score >= m.Threshold() {
			t.Errorf("OpenVPN on 1194 scores %.2f bits, at or above the threshold %.2f: %q", v.Score, m.Threshold(), v.Reasons)
		}
		for _, r := range v.Reasons {
			if strings.HasPrefix(r, "evidence: ") && strings.Contains(r, "certificate") {
				t.Errorf("a web convention judged OpenVPN on its port: %q", r)
			}
		}
	}
	if seen != 1 {
		t.Fatalf("%d flows to 1194, want 1 (the capture changed?)", seen)
	}
}
