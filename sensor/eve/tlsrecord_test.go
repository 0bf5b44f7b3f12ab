package eve_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/testkit"
	"github.com/tlsentry/tlsentry/sensor/eve"
)

// TestAppendTLS: a TLS flow's tls record holds the flow record's
// addresses, transport, community_id and interface, its tls object
// member for member, and its first packet's time, and nothing else; its
// body is the same less timestamp and event_type. Every record is valid
// against the schema. QUIC sessions (TLS inside QUIC) have one too.
func TestAppendTLS(t *testing.T) {
	paths := sampleAnd("zeek/tls-conn-with-extensions.pcap", "ndpi/tls_long_cert.pcap", "zeek/ssl-v2.pcap", "ndpi/quic_0RTT.pcap", "suricata-verify/quic-v2-ja3_input.pcap")
	sessions, udp := 0, 0
	for _, p := range paths {
		flows, _ := readCapture(t, p)
		for i, f := range flows {
			rec := eve.NewFlowRecord(f, tlsparse.FromFlow(f, nil))
			if rec.TLS == nil {
				continue
			}
			if i%2 == 1 {
				rec.InIface = "eth1"
			}
			var flowRec, tlsRec, body map[string]any
			if err := json.Unmarshal(rec.AppendJSON(nil), &flowRec); err != nil {
				t.Fatal(err)
			}
			line := rec.AppendTLSJSON(nil)
			if err := json.Unmarshal(line, &tlsRec); err != nil {
				t.Fatalf("%s: invalid JSON %v: %s", p, err, line)
			}
			if err := testkit.CheckEve(line); err != nil {
				t.Errorf("%s: %v\n%s", p, err, line)
			}
			want := map[string]any{"timestamp": flowRec["flow"].(map[string]any)["start"], "event_type": "tls", "tls": flowRec["tls"]}
			for _, k := range []string{"flow_id", "in_iface", "src_ip", "src_port", "dest_ip", "dest_port", "proto", "community_id"} {
				if v, ok := flowRec[k]; ok {
					want[k] = v
				}
			}
			if !reflect.DeepEqual(tlsRec, want) {
				t.Fatalf("%s: tls record\n got  %v\n want %v", p, tlsRec, want)
			}
			if err := json.Unmarshal(rec.AppendTLSBody(nil), &body); err != nil {
				t.Fatal(err)
			}
			delete(want, "timestamp")
			delete(want, "event_type")
			if !reflect.DeepEqual(body, want) {
				t.Fatalf("%s: tls body\n got  %v\n want %v", p, body, want)
			}
			sessions++
			if rec.Proto == "UDP" {
				udp++
			}
		}
	}
	if sessions == 0 {
		t.Fatal("no TLS session")
	}
	t.Logf("%d TLS sessions (%d in QUIC)", sessions, udp)
}
