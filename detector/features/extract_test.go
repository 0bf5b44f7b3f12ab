package features

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/labset"
)

func labFlows(t *testing.T, kind string, n int) []*flow.Flow {
	t.Helper()
	flows, err := labset.Flows(context.Background(), kind, n, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(flows) != n {
		t.Fatalf("%s: %d flows, want %d", kind, len(flows), n)
	}
	return flows
}

func extract(f *flow.Flow) (*Values, *tlsparse.Handshake) {
	h := tlsparse.FromFlow(f, nil)
	var v Values
	Extract(f, h, &v)
	return &v, h
}

func TestExtractTLS(t *testing.T) {
	for _, f := range labFlows(t, labset.Benign, 4) {
		v, h := extract(f)
		ch := h.Client
		if v.Vec[FTLS] != 1 || v.Vec[FClientHello] != 1 || v.Vec[FClientTruncated] != 0 || v.Vec[FClientError] != 0 {
			t.Fatalf("flags %v", v.Vec[:5])
		}
		ciphers := 0
		for _, c := range ch.CipherSuites {
			if !tlsparse.IsGREASE(c) {
				ciphers++
			}
		}
		bucketSum := float32(0)
		for _, x := range v.Vec[FCipherHash : FCipherHash+cipherBuckets] {
			bucketSum += x
		}
		if v.Vec[FCiphers] != float32(ciphers) || bucketSum != float32(ciphers) || len(v.Cats[CCipher]) != ciphers {
			t.Errorf("ciphers %v, buckets %v, set %d; want %d", v.Vec[FCiphers], bucketSum, len(v.Cats[CCipher]), ciphers)
		}
		if v.Vec[FSNIPresent] != 1 || v.Vec[FSNILen] != float32(len(ch.ServerName)) {
			t.Errorf("SNI %q: %v %v", ch.ServerName, v.Vec[FSNIPresent], v.Vec[FSNILen])
		}
		if got := v.Cats[CJA4]; len(got) != 1 || got[0] != ch.JA4(tlsparse.TransportTCP).JA4 {
			t.Errorf("JA4 %v", got)
		}
		if v.Vec[FServerHello] != 1 || v.Cats[CServerVersion][0] != tlsparse.VersionName(h.Version()) {
			t.Errorf("server %v %v", v.Vec[FServerHello], v.Cats[CServerVersion])
		}
		if !slices.IsSorted(v.Cats[CExtension]) || len(slices.Compact(slices.Clone(v.Cats[CExtension]))) != len(v.Cats[CExtension]) {
			t.Errorf("extension set not sorted and unique: %v", v.Cats[CExtension])
		}
		for i, x := range v.Vec {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Errorf("%s = %v", defs[i].Name, x)
			}
		}
	}
}

func TestExtractKinds(t *testing.T) {
	cases := []struct {
		kind  string
		check func(v *Values) bool
	}{
		{labset.NonTLSSSH, func(v *Values) bool {
			return v.Vec[FTLS] == 0 && v.Cats[CAppProto][0] == "ssh" && len(v.Cats[CJA4]) == 0
		}},
		{labset.NonTLSHTTP, func(v *Values) bool { return v.Vec[FTLS] == 0 && v.Cats[CAppProto][0] == "http" }},
		{labset.TruncatedHello, func(v *Values) bool { return v.Vec[FClientTruncated] == 1 && v.Vec[FClientError] == 0 }},
		// The overrunning lengths read as a hello the stream cut short.
		{labset.MalformedHello, func(v *Values) bool { return v.Vec[FClientError]+v.Vec[FClientTruncated] == 1 }},
		{labset.LegacyTLS10, func(v *Values) bool { return v.Cats[CMaxVersion][0] == "TLSv1" && v.Vec[FMaxVersion] == 0x0301 }},
		{labset.OddCiphersNoSNI, func(v *Values) bool { return v.Vec[FSNIPresent] == 0 && v.Vec[FCiphers] <= 2 }},
		{labset.SelfSigned, func(v *Values) bool {
			return v.Vec[FCertPresent] == 1 && v.Vec[FCertSelfSigned] == 1 && len(v.Cats[CCertIssuer]) == 1
		}},
	}
	for _, c := range cases {
		for _, f := range labFlows(t, c.kind, 2) {
			v, _ := extract(f)
			if !c.check(v) {
				t.Errorf("%s: features %v cats %v", c.kind, v.Vec[:FCipherHash], v.Cats)
			}
		}
	}
}

func TestExtractResets(t *testing.T) {
	flows := labFlows(t, labset.Benign, 1)
	ssh := labFlows(t, labset.NonTLSSSH, 1)
	var v Values
	Extract(flows[0], tlsparse.FromFlow(flows[0], nil), &v)
	Extract(ssh[0], tlsparse.FromFlow(ssh[0], nil), &v)
	want, _ := extract(ssh[0])
	if v.Vec != want.Vec {
		t.Error("a reused Values keeps the previous flow's numbers")
	}
	for c := range v.Cats {
		if !slices.Equal(v.Cats[c], want.Cats[c]) {
			t.Errorf("%s: %v, want %v", catDefs[c].Name, v.Cats[c], want.Cats[c])
		}
	}
}

func TestDefsComplete(t *testing.T) {
	names := map[string]bool{}
	for i, d := range Defs() {
		if d.Name == "" || d.Label == "" || names[d.Name] {
			t.Errorf("feature %d: %+v (empty or repeated)", i, d)
		}
		names[d.Name] = true
	}
	for i, d := range CatDefs() {
		if d.Name == "" || d.Label == "" {
			t.Errorf("categorical feature %d: %+v", i, d)
		}
	}
	if got := (Def{Format: FormatVersion}).Text(0x0303); got != "TLS 1.2" {
		t.Errorf("version text %q", got)
	}
	for _, c := range []struct {
		cat      Cat
		in, want string
	}{
		{CCipher, "0x1301", "0x1301 (TLS_AES_128_GCM_SHA256)"},
		{CGroup, "0x11ec", "0x11ec (X25519MLKEM768)"},
		{CSigAlg, "0x0804", "0x0804 (rsa_pss_rsae_sha256)"},
		{CExtension, "0xfe0d", "0xfe0d (encrypted_client_hello)"},
		{CGroup, "0x3e85", "0x3e85"}, // no registry names it
		{CALPN, "0x0804", "0x0804"},  // not a code point
	} {
		if got := (CatDef{}).CatText(c.cat, c.in); got != c.want {
			t.Errorf("%s text %q, want %q", CatDefs()[c.cat].Name, got, c.want)
		}
	}
}

// FuzzExtract feeds arbitrary handshake bytes through the parser into
// the features: never a panic, never a NaN.
func FuzzExtract(f *testing.F) {
	f.Add([]byte("\x16\x03\x01\x00\x05\x01\x00\x00\x01\x03"), []byte("\x16\x03\x03\x00\x02\x02\x00"), []byte("SSH-2.0-x\r\n"), false)
	f.Add([]byte(nil), []byte(nil), []byte("\x17\x03\x03\x00\x02hi"), true) // records without a handshake, seen from the SYN
	f.Fuzz(func(t *testing.T, client, server, prefix []byte, fromSYN bool) {
		fl := &flow.Flow{ClientHandshake: client, ServerHandshake: server, Prefix: prefix,
			PrefixRuns: []flow.PrefixRun{{FromClient: true, Len: len(prefix)}}, ClientSYN: fromSYN}
		var v Values
		Extract(fl, tlsparse.FromFlow(fl, nil), &v)
		for i, x := range v.Vec {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Fatalf("%s = %v", defs[i].Name, x)
			}
		}
	})
}

func TestDomain(t *testing.T) {
	for in, want := range map[string]string{"www.example.com": "example.com", "a.b.example.org.": "example.org", "example.net": "example.net", "localhost": "localhost"} {
		if got := domain(in); got != want {
			t.Errorf("domain(%q) = %q, want %q", in, got, want)
		}
	}
}

// A connection picked up after its start shows a TLS record's inside as
// its client's first bytes: random-looking, yet no other protocol.
func TestMidstreamRandomStaysBinary(t *testing.T) {
	for _, f := range labFlows(t, labset.NonTLSRandom, 2) {
		v, _ := extract(f)
		if got := v.Cats[CAppProto][0]; got != "random" {
			t.Fatalf("seen from its start: app_proto %q", got)
		}
		mid := *f
		mid.Midstream, mid.ClientSYN = true, false
		v, _ = extract(&mid)
		if got := v.Cats[CAppProto][0]; got != "binary" {
			t.Errorf("picked up midstream: app_proto %q, want binary", got)
		}
	}
}
