package eve_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/quic"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/sharedpcaps"
	"github.com/tlsentry/tlsentry/sensor/eve"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
)

// sampleAnd is the project's sample capture and the named shared
// captures, when the shared captures are here.
func sampleAnd(shared ...string) []string {
	paths := []string{"../../testdata/sample.pcap"}
	if dir, ok := sharedpcaps.Dir(); ok {
		for _, n := range shared {
			paths = append(paths, filepath.Join(dir, n))
		}
	}
	return paths
}

// readCapture reads a capture's flows as the sensor does.
func readCapture(t *testing.T, path string) ([]*flow.Flow, error) {
	t.Helper()
	return pipeline.ReadFlows(context.Background(), []string{path}, flow.DefaultConfig(), nil)
}

// TestAppendJSONMatchesEncodingJSON: the hand-written encoder gives the
// same JSON values as encoding/json for every flow of the sample and of
// the shared captures.
// sameEncodings fails unless AppendJSON and encoding/json give the same
// object for rec.
func sameEncodings(t *testing.T, rec *eve.FlowRecord) {
	t.Helper()
	want, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(rec.AppendJSON(nil), &a); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(want, &b)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("differs:\n got  %s\n want %s", rec.AppendJSON(nil), want)
	}
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	paths := []string{"../../testdata/sample.pcap"}
	if dir, ok := sharedpcaps.Dir(); ok {
		for _, n := range []string{"ja4/tls-handshake.pcapng", "zeek/tls-conn-with-extensions.pcap", "suricata-verify/tls_tls-subjectaltname_input.pcap", "ndpi/tls_long_cert.pcap", "zeek/ssl-v2.pcap", "ja4/tls-non-ascii-alpn.pcapng",
			"ndpi/quic_0RTT.pcap", "ndpi/quic-mvfst-22.pcap", "suricata-verify/quic-v2-ja3_input.pcap", "ndpi/quic_frags_different_dcid.pcapng"} {
			paths = append(paths, filepath.Join(dir, n))
		}
	}
	n := 0
	for _, p := range paths {
		flows, _ := readCapture(t, p)
		for _, f := range flows {
			rec := eve.NewFlowRecord(f, tlsparse.FromFlow(f, nil))
			want, err := json.Marshal(rec)
			if err != nil {
				t.Fatal(err)
			}
			got := rec.AppendJSON(nil)
			var a, b any
			if err := json.Unmarshal(got, &a); err != nil {
				t.Fatalf("%s: invalid JSON %v: %s", p, err, got)
			}
			json.Unmarshal(want, &b)
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("%s: differs:\n got  %s\n want %s", p, got, want)
			}
			n++
		}
	}
	t.Logf("%d records compared", n)
}

// TestJA3PairMatches: the fused JA3/JA3N equals the separate ones on every
// ClientHello of the sample and of the shared captures.
func TestJA3PairMatches(t *testing.T) {
	paths := []string{"../../testdata/sample.pcap"}
	if dir, ok := sharedpcaps.Dir(); ok {
		for _, c := range sharedpcaps.Captures(t) {
			paths = append(paths, filepath.Join(dir, c))
		}
	}
	n := 0
	for _, p := range paths {
		flows, _ := readCapture(t, p)
		for _, f := range flows {
			h := tlsparse.FromFlow(f, nil)
			if h.Client == nil {
				continue
			}
			a, b := h.Client.JA3Pair()
			if a != h.Client.JA3() || b != h.Client.JA3N() {
				t.Fatalf("%s: pair %v %v, separate %v %v", p, a, b, h.Client.JA3(), h.Client.JA3N())
			}
			n++
		}
	}
	t.Logf("%d hellos", n)
}

// TestAppendBody: the body is the record less timestamp and event_type,
// with a nil prefix left out, and the verdict and alert objects in full.
func TestAppendBody(t *testing.T) {
	flows, _ := readCapture(t, "../../testdata/sample.pcap")
	if len(flows) == 0 {
		t.Fatal("no flows in the sample")
	}
	for i, f := range flows {
		rec := eve.NewFlowRecord(f, tlsparse.FromFlow(f, nil))
		rec.Sensor.Verdict = &eve.Verdict{Model: "m/1", Score: 0.75, Threshold: 0.5, Reasons: []string{"a \"b\""}, Suppressed: "cidr", AlertsSuppressed: 3, Pcap: "/var/x.pcap"}
		if i%2 == 1 {
			rec.Sensor.Prefix = nil
			rec.InIface = "eth1"
			rec.Alert = &eve.Alert{Action: "allowed", GID: 1, SignatureID: 8100001, Rev: 1, Signature: "x", Category: "y", Severity: 2,
				Metadata: &eve.AlertMeta{Layer: []string{"evidence"}, Check: []string{"a.b"}}}
		}
		var full, body map[string]any
		if err := json.Unmarshal(rec.AppendJSON(nil), &full); err != nil {
			t.Fatal(err)
		}
		got := rec.AppendBody(nil)
		if err := json.Unmarshal(got, &body); err != nil {
			t.Fatalf("invalid JSON %v: %s", err, got)
		}
		delete(full, "timestamp")
		delete(full, "event_type")
		if rec.Sensor.Prefix == nil {
			if _, ok := body["tlsentry"].(map[string]any)["prefix"]; ok {
				t.Errorf("nil prefix written: %s", got)
			}
			delete(full["tlsentry"].(map[string]any), "prefix")
		}
		if !reflect.DeepEqual(full, body) {
			t.Fatalf("body differs:\n got  %v\n want %v", body, full)
		}
		if string(got[:len(`{"flow_id":`)]) != `{"flow_id":` {
			t.Errorf("body does not start with flow_id: %s", got)
		}
	}
}

// TestAppendJSONEveryTLSField: a record with every tls member set
// (flags that no shared capture raises included) encodes as
// encoding/json does.
func TestAppendJSONEveryTLSField(t *testing.T) {
	yes := true
	rec := eve.FlowRecord{EventType: "flow", AppProto: "tls", TLS: &eve.TLSRecord{
		Version: "TLS 1.2", SNI: "a.example", ClientALPNs: []string{"h2"}, ServerALPNs: []string{"h2"},
		CipherSuite: "TLS_RSA_WITH_RC4_128_MD5", JA3: &eve.Hashed{Hash: "h", String: "s"}, JA3N: &eve.Hashed{Hash: "h", String: "s"}, JA3S: &eve.Hashed{Hash: "h", String: "s"},
		JA4: "t13d", JA4R: "t13d_r", Subject: "CN=a", IssuerDN: "CN=b", Serial: "01", NotBefore: "2024-01-01T00:00:00",
		NotAfter: "2025-01-01T00:00:00", Fingerprint: "aa", SHA256: "bb", SANs: []string{"a.example"}, KeyType: "RSA-2048",
		ChainLen: 3, ChainCut: true, SelfSigned: &yes, HRR: true, Truncated: true, ParseError: "x", Alert: "fatal: handshake_failure",
		GREASE: true, Resumed: true,
	}}
	sameEncodings(t, &rec)
}

// TestGoogleQUICRecord: a QUIC flow in Google QUIC Crypto (Q050) reports
// its CHLO's server name and user agent as Suricata's quic.sni and quic.ua,
// and no tls object (it spoke no TLS); both encoders agree.
func TestGoogleQUICRecord(t *testing.T) {
	chlo := []byte("CHLO\x02\x00\x00\x00SNI\x00\x0f\x00\x00\x00UAID\x22\x00\x00\x00www.gstatic.comChrome/85.0 Windows")
	f := &flow.Flow{Transport: flow.TransportUDP, ClientHandshake: chlo, Prefix: chlo,
		QUIC: &flow.QUIC{Info: quic.Info{Version: quic.VersionQ050, DCIDLen: 8}}}
	f.Server.Port = 443
	rec := eve.NewFlowRecord(f, tlsparse.FromFlow(f, nil))
	if rec.TLS != nil || rec.AppProto != "quic" || rec.QUIC == nil || rec.QUIC.Version != "Q050" ||
		rec.QUIC.SNI != "www.gstatic.com" || rec.QUIC.UA != "Chrome/85.0 Windows" || rec.QUIC.Error != "" {
		t.Fatalf("record app_proto %q, tls %+v, quic %+v", rec.AppProto, rec.TLS, rec.QUIC)
	}
	sameEncodings(t, &rec)
	f.ClientHandshake = chlo[:12] // cut inside its entries
	if rec := eve.NewFlowRecord(f, tlsparse.FromFlow(f, nil)); rec.QUIC.SNI != "" || rec.QUIC.Error == "" {
		t.Errorf("cut CHLO: quic %+v", rec.QUIC)
	}
}

// TestGoogleQUICSuricataCYU: Suricata's quic-alerts capture (Google QUIC
// Q046, kept as its UDP payloads in package quic's test data) through the
// flow table gives one record whose quic object holds the version, server
// name and user agent Suricata logs, and the CYU of each of its two CHLOs
// its test expects (tests/quic-alerts/test.yaml, pcap_cnt 1 and 5).
func TestGoogleQUICSuricataCYU(t *testing.T) {
	raw, err := os.ReadFile("../../flow/quic/testdata/gquic-q046-suricata-quic-alerts.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out []*flow.Flow
	tab, err := flow.NewTable(flow.Config{}, func(f *flow.Flow) { out = append(out, f) })
	if err != nil {
		t.Fatal(err)
	}
	client := flow.Endpoint{Addr: netip.MustParseAddr("10.0.0.1").As16(), Port: 51989}
	server := flow.Endpoint{Addr: netip.MustParseAddr("142.250.0.1").As16(), Port: 443}
	for i, line := range strings.Split(string(raw), "\n") {
		dir, h, ok := strings.Cut(line, " ")
		if !ok || dir == "#" {
			continue
		}
		b, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		s := flow.Segment{Transport: flow.TransportUDP, Time: int64(i) * 1e6, Src: client, Dst: server,
			Payload: b, PayloadLen: len(b), WireLen: 42 + len(b)}
		if dir == "s" {
			s.Src, s.Dst = server, client
		}
		tab.Process(&s)
	}
	tab.Flush()
	if len(out) != 1 {
		t.Fatalf("%d flows, want 1", len(out))
	}
	rec := eve.NewFlowRecord(out[0], tlsparse.FromFlow(out[0], nil))
	q := rec.QUIC
	if rec.TLS != nil || q == nil || q.Version != "Q046" || q.SNI != "clients1.google.com" || q.UA != "Chrome/79.0.3945.117 Linux x86_64" {
		t.Fatalf("tls %+v, quic %+v", rec.TLS, q)
	}
	want := []string{"910a5e3a4d51593bd59a44611544f209", "7b3ceb1adc974ad360cfa634e8d0a730"}
	if len(q.CYU) != 2 || q.CYU[0].Hash != want[0] || q.CYU[1].Hash != want[1] {
		t.Errorf("cyu %+v, Suricata %v", q.CYU, want)
	}
	sameEncodings(t, &rec)
}

// TestOverlapDifferentDataRecord: a flow whose sides resent bytes with
// other bytes, or sent data no endpoint takes (without ACK, before the
// stream's start, signed unexpectedly), or sent segments in tiny IP
// fragments, carries them in its tlsentry object, client first, and both
// encoders agree.
func TestOverlapDifferentDataRecord(t *testing.T) {
	f := &flow.Flow{Prefix: []byte("fake!"),
		ClientConflict:      &flow.Conflict{Offset: 0, Kept: []byte("fake!"), Other: []byte("hello"), Segments: 2},
		ServerConflict:      &flow.Conflict{Offset: 7, Kept: []byte{0x16}, Other: []byte{0x17}, Segments: 1},
		ServerNoACK:         &flow.Stray{Offset: 3, Data: []byte("decoy"), Segments: 1, Bytes: 5},
		ClientBeforeStart:   &flow.Stray{Offset: -10000, Data: []byte("early"), Segments: 2, Bytes: 10},
		ClientSigned:        &flow.Stray{Offset: 0, Data: []byte("md5"), Segments: 1, Bytes: 3},
		ServerTinyFragments: &flow.Fragmented{Segments: 2, Smallest: 68}}
	f.Server.Port = 443
	rec := eve.NewFlowRecord(f, tlsparse.FromFlow(f, nil))
	got := rec.Sensor.OverlapDifferentData
	if len(got) != 2 || got[0].Side != "client" || got[0].Segments != 2 || string(got[0].Other) != "hello" || got[1].Side != "server" || got[1].Offset != 7 {
		t.Fatalf("overlap_different_data %+v", got)
	}
	if n := rec.Sensor.DataWithoutACK; len(n) != 1 || n[0].Side != "server" || n[0].Offset != 3 || string(n[0].Data) != "decoy" || n[0].Bytes != 5 {
		t.Fatalf("data_without_ack %+v", n)
	}
	if n := rec.Sensor.DataBeforeStart; len(n) != 1 || n[0].Side != "client" || n[0].Offset != -10000 || n[0].Segments != 2 {
		t.Fatalf("data_before_start %+v", n)
	}
	if n := rec.Sensor.DataUnexpectedSignature; len(n) != 1 || n[0].Side != "client" || string(n[0].Data) != "md5" {
		t.Fatalf("data_unexpected_signature %+v", n)
	}
	if n := rec.Sensor.IPTinyFragments; len(n) != 1 || n[0].Side != "server" || n[0].Segments != 2 || n[0].Smallest != 68 {
		t.Fatalf("ip_tiny_fragments %+v", n)
	}
	sameEncodings(t, &rec)
	plain := &flow.Flow{Prefix: []byte("hello")}
	if rec := eve.NewFlowRecord(plain, tlsparse.FromFlow(plain, nil)); rec.Sensor.OverlapDifferentData != nil || rec.Sensor.DataWithoutACK != nil ||
		rec.Sensor.DataBeforeStart != nil || rec.Sensor.DataUnexpectedSignature != nil || rec.Sensor.IPTinyFragments != nil {
		t.Errorf("a flow without decoys: %+v %+v", rec.Sensor.OverlapDifferentData, rec.Sensor.DataWithoutACK)
	}
}
