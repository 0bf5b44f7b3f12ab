package eve_test

import (
	"bytes"
	"testing"

	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/sensor/eve"
)

// TestSplicedAlertsAreTheRecords: the flow and alert records Spliced
// copies together are byte for byte those AppendJSON and AppendBody
// write for the record with the alert's fields set, for every flow of the
// sample and of a few shared captures (TLS, QUIC, not TLS), with and
// without reasons, suppression, pcap, interface, prefix and held alerts.
func TestSplicedAlertsAreTheRecords(t *testing.T) {
	paths := sampleAnd("ja4/tls-handshake.pcapng", "zeek/tls-conn-with-extensions.pcap", "ndpi/quic_0RTT.pcap", "zeek/ssl-v2.pcap")
	verdicts := []eve.Verdict{
		{Model: "hybrid/x", Score: 31.25, Threshold: 12, Alert: true, Reasons: []string{"evidence: a \"quoted\" one", "new to this network"}},
		{Model: "hybrid/x", Score: 12, Threshold: 12, Alert: true, Pcap: "/var/pcaps/1.pcap"},
		{Model: "m", Score: 40, Threshold: 12, Alert: true, Reasons: []string{"r"}, Suppressed: "allowlisted"},
	}
	alerts := []struct {
		a       eve.Alert
		finding string
		held    uint64
	}{
		{eve.Alert{Action: "allowed", GID: 1, SignatureID: 9100001, Rev: 2, Signature: "TLSENTRY not TLS", Category: "Potentially Bad Traffic", Severity: 2,
			Metadata: &eve.AlertMeta{Layer: []string{"evidence"}, Check: []string{"a", "b"}}}, "evidence: \u2028 odd", 0},
		{eve.Alert{Action: "allowed", GID: 1, SignatureID: 9100002, Rev: 1, Signature: "s", Category: "c", Severity: 3}, "", 7},
	}
	var mem eve.Memory
	n := 0
	for _, p := range paths {
		flows, _ := readCapture(t, p)
		for k, f := range flows {
			rec := mem.FlowRecord(f, tlsparse.FromFlow(f, nil))
			if k%2 == 1 {
				rec.InIface = "eth1"
			}
			if k%3 == 2 {
				rec.Sensor.Prefix = nil
			}
			v := verdicts[k%len(verdicts)]
			rec.Sensor.Verdict = &v
			rec.Flow.Alerted = v.Alert
			for _, body := range []bool{false, true} {
				enc := (*eve.FlowRecord).AppendJSON
				if body {
					enc = (*eve.FlowRecord).AppendBody
				}
				sp := mem.Splice(&rec, body)
				for _, x := range alerts {
					got := sp.AppendAlert([]byte("x"), &rec, "2024-01-01T00:00:01.5+0000", &x.a, x.finding, x.held)
					ar := rec
					vc := v
					vc.Finding, vc.AlertsSuppressed = x.finding, x.held
					ar.Sensor.Verdict, ar.Alert, ar.EventType, ar.Timestamp = &vc, &x.a, eve.TypeAlert, "2024-01-01T00:00:01.5+0000"
					if want := enc(&ar, []byte("x")); !bytes.Equal(got, want) {
						t.Fatalf("%s flow %d, body %v: alert\n got  %s\n want %s", p, f.ID, body, got, want)
					}
				}
				if got, want := sp.Flow(), enc(&rec, nil); !bytes.Equal(got, want) {
					t.Fatalf("%s flow %d, body %v: flow record\n got  %s\n want %s", p, f.ID, body, got, want)
				}
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("no flows")
	}
	t.Logf("%d records compared", n)
}
