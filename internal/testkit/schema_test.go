package testkit

import (
	"strings"
	"testing"
)

const goodAlert = `{"timestamp":"2026-11-01T12:00:00.006000+0000","flow_id":1,"in_iface":"eth1","event_type":"alert","host":"s1",` +
	`"src_ip":"10.0.0.10","src_port":50000,"dest_ip":"2001:db8::1","dest_port":443,"proto":"TCP","community_id":"1:eh2BkE1RNYSB9bcoKR5gylYKVLQ=",` +
	`"app_proto":"ssh","alert":{"action":"allowed","gid":1,"signature_id":8100001,"rev":1,"signature":"TLSENTRY not TLS on a TLS port",` +
	`"category":"x","severity":1,"metadata":{"layer":["evidence"],"check":["proto.not_tls"]}},` +
	`"flow":{"pkts_toserver":4,"pkts_toclient":3,"bytes_toserver":1,"bytes_toclient":2,"start":"2026-11-01T12:00:00.000000+0000",` +
	`"end":"2026-11-01T12:00:00.006000+0000","age":0,"reason":"fin","alerted":true},` +
	`"tlsentry":{"prefix_len":4,"prefix":"U1NILQ==","model":"hybrid/2fe628fd905c","score":12.5,"threshold":4.2,"alert":true,"reasons":["r"],"finding":"r"}}`

// TestCheckEve: the schema takes a good alert and refuses records that
// break it in each of the ways it guards.
func TestCheckEve(t *testing.T) {
	if err := CheckEve([]byte(goodAlert)); err != nil {
		t.Fatalf("a good alert: %v", err)
	}
	for name, edit := range map[string][2]string{
		"no community_id":     {`"community_id":"1:eh2BkE1RNYSB9bcoKR5gylYKVLQ=",`, ``},
		"severity 4":          {`"severity":1`, `"severity":4`},
		"an unknown field":    {`"host":"s1",`, `"host":"s1","anomaly":{},`},
		"counters at the top": {`"proto":"TCP",`, `"proto":"TCP","pkts_toserver":4,`},
		"a bad timestamp":     {`"timestamp":"2026-11-01T12:00:00.006000+0000"`, `"timestamp":"2026-11-01 12:00:00"`},
		"prefix too long":     {`"prefix_len":4`, `"prefix_len":2000`},
		"not an address":      {`"src_ip":"10.0.0.10"`, `"src_ip":"ten"`},
		"an alert without it": {`"alert":{"action"`, `"x":{"action"`},
		"a flow with alert":   {`"event_type":"alert"`, `"event_type":"flow"`},
	} {
		bad := strings.Replace(goodAlert, edit[0], edit[1], 1)
		if bad == goodAlert {
			t.Fatalf("%s: the edit did not apply", name)
		}
		if CheckEve([]byte(bad)) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

const goodTLS = `{"timestamp":"2026-11-01T12:00:00.000000+0000","flow_id":1,"in_iface":"eth1","event_type":"tls","host":"s1",` +
	`"src_ip":"10.0.0.10","src_port":50000,"dest_ip":"192.0.2.10","dest_port":443,"proto":"TCP","community_id":"1:eh2BkE1RNYSB9bcoKR5gylYKVLQ=",` +
	`"tls":{"version":"TLS 1.3","sni":"www.example.com"}}`

// TestCheckEveTLS: a tls record is the flow's addresses and its tls
// object, as Suricata's tls log; the flow's other objects are refused in
// it, and flow records still need theirs.
func TestCheckEveTLS(t *testing.T) {
	if err := CheckEve([]byte(goodTLS)); err != nil {
		t.Fatalf("a good tls record: %v", err)
	}
	quic := strings.Replace(goodTLS, `"proto":"TCP"`, `"proto":"UDP"`, 1)
	if err := CheckEve([]byte(quic)); err != nil {
		t.Errorf("a QUIC session's tls record: %v", err)
	}
	for name, edit := range map[string][2]string{
		"no tls object":     {`,"tls":{"version":"TLS 1.3","sni":"www.example.com"}`, ``},
		"a flow object":     {`"proto":"TCP",`, `"proto":"TCP","flow":{"pkts_toserver":4,"pkts_toclient":3,"bytes_toserver":1,"bytes_toclient":2,"start":"2026-11-01T12:00:00.000000+0000","end":"2026-11-01T12:00:00.006000+0000","age":0,"reason":"fin","alerted":false},`},
		"a tlsentry object": {`"proto":"TCP",`, `"proto":"TCP","tlsentry":{"prefix_len":0,"prefix":null},`},
		"no community_id":   {`"community_id":"1:eh2BkE1RNYSB9bcoKR5gylYKVLQ=",`, ``},
		"a flow record":     {`"event_type":"tls"`, `"event_type":"flow"`},
	} {
		bad := strings.Replace(goodTLS, edit[0], edit[1], 1)
		if bad == goodTLS {
			t.Fatalf("%s: the edit did not apply", name)
		}
		if CheckEve([]byte(bad)) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
