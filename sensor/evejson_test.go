package sensor

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/tlsentry/tlsentry/internal/testdata"
)

// TestAppendJSONMatchesEncodingJSON: the hand-written encoder gives the
// same JSON values as encoding/json for every flow of the sample and of
// the shared captures.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	paths := []string{"../testdata/sample.pcap"}
	if dir, ok := testdata.Dir(); ok {
		for _, n := range []string{"ja4/tls-handshake.pcapng", "zeek/tls-conn-with-extensions.pcap", "suricata-verify/tls_tls-subjectaltname_input.pcap", "ndpi/tls_long_cert.pcap", "zeek/ssl-v2.pcap", "ja4/tls-non-ascii-alpn.pcapng"} {
			paths = append(paths, filepath.Join(dir, n))
		}
	}
	n := 0
	for _, p := range paths {
		flows, _ := readCapture(t, p)
		for _, f := range flows {
			rec := NewFlowRecord(f, ParseHandshake(f, nil))
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

func FuzzAppendString(f *testing.F) {
	f.Add("plain")
	f.Add("quote\" back\\ nl\n nul\x00 bad\xff\xfe u2028\u2028")
	f.Add("a long plain name.example.com, then\x1f and \" past eight bytes; then é and \u2029 at the end")
	f.Fuzz(func(t *testing.T, s string) {
		b := appendString(nil, s)
		if want := appendStringBytewise(nil, s); string(b) != string(want) {
			t.Fatalf("%q: %s, byte by byte %s", s, b, want)
		}
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q: invalid JSON %s: %v", s, b, err)
		}
		if utf8.ValidString(s) && got != s {
			t.Fatalf("%q round-tripped to %q", s, got)
		}
	})
}

// appendStringBytewise is appendString's rules one byte at a time, with
// no eight-byte skip: the reference the fuzz test holds it to.
func appendStringBytewise(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, `\n`...)
			case c == '\r':
				b = append(b, `\r`...)
			case c == '\t':
				b = append(b, `\t`...)
			case c < 0x20:
				b = fmt.Appendf(b, `\u%04x`, c)
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = fmt.Appendf(b, `\u%04x`, r)
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// TestJA3PairMatches: the fused JA3/JA3N equals the separate ones on every
// ClientHello of the sample and of the shared captures.
func TestJA3PairMatches(t *testing.T) {
	paths := []string{"../testdata/sample.pcap"}
	if dir, ok := testdata.Dir(); ok {
		for _, c := range testdata.Captures(t) {
			paths = append(paths, filepath.Join(dir, c))
		}
	}
	n := 0
	for _, p := range paths {
		flows, _ := readCapture(t, p)
		for _, f := range flows {
			h := ParseHandshake(f, nil)
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
// with a nil prefix left out, and the anomaly object in full.
func TestAppendBody(t *testing.T) {
	flows, _ := readCapture(t, "../testdata/sample.pcap")
	if len(flows) == 0 {
		t.Fatal("no flows in the sample")
	}
	for i, f := range flows {
		rec := NewFlowRecord(f, ParseHandshake(f, nil))
		rec.Anomaly = &AnomalyRecord{Model: "m/1", Score: 0.75, Threshold: 0.5, Reasons: []string{"a \"b\""}, Suppressed: "cidr"}
		if i%2 == 1 {
			rec.Prefix = nil
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
		if rec.Prefix == nil {
			if _, ok := body["prefix"]; ok {
				t.Errorf("nil prefix written: %s", got)
			}
			delete(full, "prefix")
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
	rec := FlowRecord{EventType: "flow", AppProto: "tls", TLS: &TLSRecord{
		Version: "TLS 1.2", SNI: "a.example", ClientALPNs: []string{"h2"}, ServerALPNs: []string{"h2"},
		CipherSuite: "TLS_RSA_WITH_RC4_128_MD5", JA3: &Hashed{"h", "s"}, JA3N: &Hashed{"h", "s"}, JA3S: &Hashed{"h", "s"},
		JA4: "t13d", JA4R: "t13d_r", Subject: "CN=a", IssuerDN: "CN=b", Serial: "01", NotBefore: "2024-01-01T00:00:00",
		NotAfter: "2025-01-01T00:00:00", Fingerprint: "aa", SHA256: "bb", SANs: []string{"a.example"}, KeyType: "RSA-2048",
		ChainLen: 3, ChainCut: true, SelfSigned: &yes, HRR: true, Truncated: true, ParseError: "x", Alert: "fatal: handshake_failure",
		GREASE: true, Resumed: true,
	}}
	want, err := json.Marshal(&rec)
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
