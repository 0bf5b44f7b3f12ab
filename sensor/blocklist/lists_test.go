package blocklist

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/detector/scoring"
	"github.com/tlsentry/tlsentry/sensor/signature"
)

func writeList(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func testLists(t *testing.T) *Lists {
	t.Helper()
	dir := t.TempDir()
	cfg := Config{
		JA3:      []string{"testdata/ja3_fingerprints.csv"},
		JA4:      []string{writeList(t, dir, "ja4.txt", "t13d1516h2_8daaf6152771_b186095e22b6 # Sliver\n")},
		CertSHA1: []string{"testdata/sslblacklist.csv"},
		SNI:      []string{writeList(t, dir, "names.csv", "domain,reason\nevil.example,Test C&C\nc2.bad.example,\n"), writeList(t, dir, "more.txt", "evil.example\nother.example\n")},
	}
	l, err := Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLoadCounts(t *testing.T) {
	l := testLists(t)
	for k, want := range map[Kind]int{KindJA3: 1, KindJA4: 1, KindCertSHA1: 5, KindSNI: 3} {
		if got := l.Len(k); got != want {
			t.Errorf("Len(%s) = %d, want %d", k, got, want)
		}
	}
	if l.Total() != 10 {
		t.Errorf("Total() = %d", l.Total())
	}
}

func TestMatch(t *testing.T) {
	l := testLists(t)
	leaf := "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd"
	listed := "6B:EF:20:79:08:BF:AD:6B:19:58:00:67:CE:77:0B:C8:20:D3:D2:EF"
	tests := []struct {
		name  string
		info  Info
		kinds []Kind
		text  []string
		field []string
	}{
		{"nothing", Info{}, nil, nil, nil},
		{"other flow", Info{JA3: "00000000000000000000000000000000", SNI: "www.example.com", Certs: []string{leaf}}, nil, nil, nil},
		{"ja3", Info{JA3: "B386946A5A44D1DDCC843BC75336DFCE"}, []Kind{KindJA3},
			[]string{"JA3 B386946A5A44D1DDCC843BC75336DFCE is on block list ja3_fingerprints.csv line 9: Dridex"}, []string{"tls.ja3.hash"}},
		{"ja4", Info{JA4: "t13d1516h2_8daaf6152771_b186095e22b6"}, []Kind{KindJA4},
			[]string{"JA4 t13d1516h2_8daaf6152771_b186095e22b6 is on block list ja4.txt line 1: Sliver"}, []string{"tls.ja4"}},
		{"leaf", Info{Certs: []string{listed}}, []Kind{KindCertSHA1},
			[]string{"certificate SHA-1 " + listed + " is on block list sslblacklist.csv line 14: CobaltStrike C&C"}, []string{"tls.fingerprint"}},
		{"chain", Info{Certs: []string{leaf, listed}}, []Kind{KindCertSHA1},
			[]string{"the SHA-1 " + listed + " of chain certificate 2 is on block list sslblacklist.csv line 14: CobaltStrike C&C"}, []string{"tls.chain[1]"}},
		{"sni exact", Info{SNI: "evil.example"}, []Kind{KindSNI},
			[]string{"server name evil.example is on block list names.csv line 2: Test C&C"}, []string{"tls.sni"}},
		{"sni below, case, dot", Info{SNI: "A.B.Evil.Example."}, []Kind{KindSNI},
			[]string{"server name A.B.Evil.Example. (under evil.example) is on block list names.csv line 2: Test C&C"}, []string{"tls.sni"}},
		{"sni no reason", Info{SNI: "x.c2.bad.example"}, []Kind{KindSNI},
			[]string{"server name x.c2.bad.example (under c2.bad.example) is on block list names.csv line 3"}, nil},
		{"sni second file", Info{SNI: "other.example"}, []Kind{KindSNI},
			[]string{"server name other.example is on block list more.txt line 2"}, nil},
		{"sni label boundary", Info{SNI: "notevil.example"}, nil, nil, nil},
		{"sni parent only", Info{SNI: "bad.example"}, nil, nil, nil},
		{"every kind", Info{JA3: "b386946a5a44d1ddcc843bc75336dfce", JA4: "t13d1516h2_8daaf6152771_b186095e22b6", SNI: "evil.example", Certs: []string{listed}},
			[]Kind{KindJA3, KindJA4, KindCertSHA1, KindSNI}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hits := l.Match(tc.info)
			if len(hits) != len(tc.kinds) {
				t.Fatalf("%d hits %+v, want %v", len(hits), hits, tc.kinds)
			}
			for i, h := range hits {
				r := h.Reason()
				if h.Kind != tc.kinds[i] || r.Layer != scoring.LayerLists || r.Feature != "list."+string(h.Kind) || r.Value != h.Value {
					t.Errorf("hit %d: %+v, reason %+v", i, h, r)
				}
				if i < len(tc.text) && r.Text != tc.text[i] {
					t.Errorf("text %q\nwant %q", r.Text, tc.text[i])
				}
				if i < len(tc.field) && r.Field != tc.field[i] {
					t.Errorf("field %q, want %q", r.Field, tc.field[i])
				}
			}
		})
	}
}

func TestNilAndEmpty(t *testing.T) {
	info := Info{SNI: "evil.example", JA3: "b386946a5a44d1ddcc843bc75336dfce"}
	var nilLists *Lists
	if nilLists.Match(info) != nil || nilLists.Total() != 0 {
		t.Error("nil lists matched")
	}
	empty, err := Load(Config{})
	if err != nil || empty.Match(info) != nil || empty.Total() != 0 {
		t.Errorf("empty lists: %v", err)
	}
}

// Load is all or nothing, and says every file's problems at once.
func TestLoadRefusesTheLot(t *testing.T) {
	dir := t.TempDir()
	good := writeList(t, dir, "good.txt", "evil.example\n")
	bad := writeList(t, dir, "bad.txt", "evil.example\nno way\n")
	l, err := Load(Config{SNI: []string{good, bad}, JA3: []string{filepath.Join(dir, "absent.csv")}})
	if l != nil || err == nil {
		t.Fatalf("Load = %v, %v", l, err)
	}
	for _, want := range []string{bad + `:2: "no way" is not a server name`, "absent.csv: no such file"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := Load(Config{SNI: []string{good, good, ""}}); err == nil ||
		!strings.Contains(err.Error(), `SNI[1]: "`+good+`" is listed twice`) || !strings.Contains(err.Error(), "SNI[2]: an empty file name") {
		t.Errorf("Validate: %v", err)
	}
}

// A list of 100k entries, as large public lists run, loads and matches.
func TestLoadLargeList(t *testing.T) {
	var b strings.Builder
	b.WriteString("# Listingdate,SHA1,Listingreason\n")
	for i := range 100_000 {
		b.WriteString("2024-01-01 00:00:00,")
		for j := range 5 {
			b.WriteString(strings.Repeat(string("0123456789abcdef"[(i>>(4*j))&15]), 8))
		}
		b.WriteString(",Test C&C\n")
	}
	path := writeList(t, t.TempDir(), "big.csv", b.String())
	l, err := Load(Config{CertSHA1: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	if l.Len(KindCertSHA1) != 100_000 {
		t.Errorf("%d entries", l.Len(KindCertSHA1))
	}
}

func BenchmarkMatch(b *testing.B) {
	var sni strings.Builder
	for i := range 10_000 {
		sni.WriteString("host" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + ".example\n")
	}
	dir := b.TempDir()
	path := filepath.Join(dir, "sni.txt")
	if err := os.WriteFile(path, []byte(sni.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	l, err := Load(Config{SNI: []string{path}, JA3: []string{"testdata/ja3_fingerprints.csv"}, CertSHA1: []string{"testdata/sslblacklist.csv"}})
	if err != nil {
		b.Fatal(err)
	}
	info := Info{SNI: "a.b.c.www.google.com", JA3: "e7d705a3286e19ea42f587b344ee6865", JA4: "t13d1516h2_8daaf6152771_b186095e22b6",
		Certs: []string{"aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd"}}
	b.ReportAllocs()
	for b.Loop() {
		if l.Match(info) != nil {
			b.Fatal("matched")
		}
	}
}

// BenchmarkLoadSSLBL100k loads a certificate list of 100,000 entries in
// SSLBL's layout, the size of a large public list.
func BenchmarkLoadSSLBL100k(b *testing.B) {
	var text strings.Builder
	text.WriteString("# Listingdate,SHA1,Listingreason\n")
	for i := range 100_000 {
		fmt.Fprintf(&text, "2024-01-01 00:00:00,%040x,Test C&C\n", i)
	}
	path := filepath.Join(b.TempDir(), "big.csv")
	if err := os.WriteFile(path, []byte(text.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		l, err := Load(Config{CertSHA1: []string{path}})
		if err != nil || l.Len(KindCertSHA1) != 100_000 {
			b.Fatal(l.Len(KindCertSHA1), err)
		}
	}
}

// Each kind's hit belongs to its catalogue signature, of severity 1.
func TestHitsSignatures(t *testing.T) {
	want := map[Kind]int{KindJA3: 8100030, KindJA4: 8100030, KindCertSHA1: 8100031, KindSNI: 8100032}
	for _, k := range Kinds {
		r := Hit{Kind: k, Value: "v", Entry: &Entry{Value: "v", File: "f", Line: 1}}.Reason()
		if sig := signature.Of(r); sig.ID != want[k] || sig.Severity(r.Weight) != 1 {
			t.Errorf("%s: signature %d severity %d, want %d", k, sig.ID, sig.Severity(r.Weight), want[k])
		}
	}
}
