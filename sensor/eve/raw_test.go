package eve_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/sharedpcaps"
	"github.com/tlsentry/tlsentry/internal/testkit"
	"github.com/tlsentry/tlsentry/sensor/eve"
)

// flowLine is an eve flow line as the daemon writes it, with the raw
// object: header, body, raw.
func flowLine(f *flow.Flow) []byte {
	rec := eve.NewFlowRecord(f, tlsparse.FromFlow(f, nil))
	body := eve.AppendRaw(rec.AppendBody(nil), f)
	return append([]byte(`{"timestamp":"2026-01-01T00:00:00.000000+0000","event_type":"flow","host":"s",`), body[1:]...)
}

// trainingView is what of a flow the detector learns from, with times at
// the record's microsecond precision.
func trainingView(f *flow.Flow) flow.Flow {
	c := *f
	c.Start, c.End = f.Start.Truncate(time.Microsecond).UTC(), f.End.Truncate(time.Microsecond).UTC()
	c.Decided = time.Time{}     // the live verdict latency's start: not in the record
	c.ClientHelloSegments = nil // evidence read when scoring; training learns nothing from it
	if q := f.QUIC; q != nil {  // what the quic object carries of it
		k := &flow.QUIC{Undecrypted: q.Undecrypted}
		i := &k.Info
		i.DCIDLen, i.SCIDLen, i.Retry, i.VersionNegotiation = q.DCIDLen, q.SCIDLen, q.Retry, q.VersionNegotiation
		i.Client.Initials, i.Server.Initials = q.Client.Initials, q.Server.Initials
		i.Client.CryptoBytes, i.Server.CryptoBytes = q.Client.CryptoBytes, q.Server.CryptoBytes
		i.Client.DecryptFailures = q.Client.DecryptFailures + q.Server.DecryptFailures
		c.QUIC = k
	}
	if len(c.PrefixRuns) == 0 {
		c.PrefixRuns = nil
	}
	for _, p := range []*[]byte{&c.Prefix, &c.ClientHandshake, &c.ServerHandshake} {
		if len(*p) == 0 {
			*p = nil
		}
	}
	return c
}

// TestRawRoundTrip: every flow of the sample and of every shared capture
// comes back from its flow line as it was, the line is valid JSON, and a
// line without the raw object says so.
func TestRawRoundTrip(t *testing.T) {
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
			line := flowLine(f)
			if err := testkit.CheckEve(line); err != nil {
				t.Fatalf("%s: %v: %s", p, err, line)
			}
			got, err := eve.ParseFlowLine(line)
			if err != nil {
				t.Fatalf("%s flow %d: %v\n%s", p, f.ID, err, line)
			}
			if want := trainingView(f); !reflect.DeepEqual(trainingView(got), want) {
				t.Fatalf("%s flow %d differs:\n got  %+v\n want %+v", p, f.ID, trainingView(got), want)
			}
			n++
		}
	}
	t.Logf("%d flows round-tripped", n)
	if n == 0 {
		t.Fatal("no flows")
	}
	flows, _ := readCapture(t, "../../testdata/sample.pcap")
	rec := eve.NewFlowRecord(flows[0], tlsparse.FromFlow(flows[0], nil))
	if _, err := eve.ParseFlowLine(rec.AppendJSON(nil)); !errors.Is(err, eve.ErrNoRaw) {
		t.Errorf("a line without raw: %v", err)
	}
}

// FuzzParseFlowLine: any line gives a flow or an error, never a panic,
// and a flow it gives is within the sensor's bounds.
func FuzzParseFlowLine(f *testing.F) {
	hello := bytes.Repeat([]byte{0x16, 0x03, 0x01, 0x02}, 100)
	for _, fl := range []*flow.Flow{
		{ID: 7, Client: flow.Endpoint{Addr: [16]byte{10: 0xff, 11: 0xff, 12: 10, 15: 1}, Port: 50000}, Server: flow.Endpoint{Port: 443},
			Prefix: hello[:300], PrefixRuns: []flow.PrefixRun{{FromClient: true, Len: 200}, {Len: 100, Mixed: true}},
			ClientHandshake: hello, ServerHandshake: hello[:50], ServerHandshakeGap: true, EndReason: flow.EndFIN,
			ClientRecords: []flow.RecordHeader{{Type: 22, Clear: true, HeadLen: 3, Head: [3]byte{1, 0, 1}, Len: 300}, {Type: 24, Len: 32}},
			ServerRecords: []flow.RecordHeader{{Type: 24, Len: 16416}}},
		{ID: 1, Prefix: []byte("SSH-2.0-x\r\n"), PrefixRuns: []flow.PrefixRun{{FromClient: true, Len: 11}}, PrefixGap: true, Midstream: true},
		{ID: 2},
	} {
		f.Add(flowLine(fl))
	}
	f.Add([]byte(`{"event_type":"flow","tlsentry":{"raw":{"prefix_runs":[-1024,1024]}}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		fl, err := eve.ParseFlowLine(line)
		if err != nil {
			return
		}
		total := 0
		for _, r := range fl.PrefixRuns {
			total += r.Len
		}
		if len(fl.Prefix) > flow.PrefixSize || total != len(fl.Prefix) || len(fl.PrefixRuns) > 64 ||
			len(fl.ClientHandshake) > flow.MaxHandshakeLimit || len(fl.ServerHandshake) > flow.MaxHandshakeLimit ||
			len(fl.ClientRecords) > flow.MaxRecordLog || len(fl.ServerRecords) > flow.MaxRecordLog {
			t.Fatalf("out of bounds: prefix %d, runs %d (%d bytes)", len(fl.Prefix), len(fl.PrefixRuns), total)
		}
	})
}

// A connection seen from the server's SYN-ACK says so, and a record
// written before the field existed reads as it did: a TCP flow not
// mid-stream was seen from the client's SYN.
func TestRawClientSYN(t *testing.T) {
	base := flow.Flow{ID: 3, Client: flow.Endpoint{Port: 50000}, Server: flow.Endpoint{Port: 443}, Prefix: []byte("x"),
		PrefixRuns: []flow.PrefixRun{{FromClient: true, Len: 1}}, EndReason: flow.EndFIN}
	for _, tc := range []struct {
		name                 string
		midstream, clientSYN bool
		missed               bool // the line says client_syn_missed
	}{
		{"from the SYN", false, true, false},
		{"from the SYN-ACK", false, false, true},
		{"mid-stream", true, false, false},
	} {
		f := base
		f.Midstream, f.ClientSYN = tc.midstream, tc.clientSYN
		line := flowLine(&f)
		if got := bytes.Contains(line, []byte(`"client_syn_missed":true`)); got != tc.missed {
			t.Errorf("%s: client_syn_missed written %v, want %v", tc.name, got, tc.missed)
		}
		if err := testkit.CheckEve(line); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		back, err := eve.ParseFlowLine(line)
		if err != nil {
			t.Fatal(err)
		}
		if back.ClientSYN != tc.clientSYN || back.Midstream != tc.midstream {
			t.Errorf("%s: read back client SYN %v midstream %v", tc.name, back.ClientSYN, back.Midstream)
		}
	}
}

// TestRawRecords: record headers go through the raw object unchanged, and
// headers the flow table never writes are refused.
func TestRawRecords(t *testing.T) {
	fl := &flow.Flow{ID: 3, Server: flow.Endpoint{Port: 443},
		ClientRecords: []flow.RecordHeader{{Type: 22, Clear: true, HeadLen: 3, Head: [3]byte{1, 0, 1}, Len: 262}, {Type: 24, Clear: true, HeadLen: 3, Head: [3]byte{1, 0x40, 0}, Len: 3}},
		ServerRecords: []flow.RecordHeader{{Type: 20, Clear: true, HeadLen: 1, Head: [3]byte{1}, Len: 1}, {Type: 24, Len: 16416}}}
	back, err := eve.ParseFlowLine(flowLine(fl))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.ClientRecords, fl.ClientRecords) || !slices.Equal(back.ServerRecords, fl.ServerRecords) {
		t.Errorf("records %+v %+v, want %+v %+v", back.ClientRecords, back.ServerRecords, fl.ClientRecords, fl.ServerRecords)
	}
	for _, bad := range []string{
		"",             // the line itself is good
		"FgEDAQAB",     // 6 bytes: not whole headers
		"HgEAAAAAAAE=", // content type 30
		"FwADAAAAAAU=", // head bytes of an encrypted record
	} {
		line := []byte(`{"event_type":"flow","proto":"TCP","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","flow":{"start":"2026-01-01T00:00:00.000000+0000","end":"2026-01-01T00:00:00.000000+0000","reason":"fin"},"tlsentry":{"raw":{"prefix_runs":[],"client_records":"` + bad + `"}}}`)
		_, err := eve.ParseFlowLine(line)
		if refused := err != nil && strings.Contains(err.Error(), "eve: record"); refused != (bad != "") || err != nil && bad == "" {
			t.Errorf("client_records %q: error %v", bad, err)
		}
	}
}
