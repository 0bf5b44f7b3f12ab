package blocklist

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSSLBLCertificates(t *testing.T) {
	path := filepath.Join("testdata", "sslblacklist.csv")
	kind, entries, err := ReadFile(KindCertSHA1, path)
	if err != nil {
		t.Fatal(err)
	}
	if kind != KindCertSHA1 || len(entries) != 5 {
		t.Fatalf("kind %q, %d entries", kind, len(entries))
	}
	first := entries[0]
	want := Entry{Value: "4d:a1:42:24:45:2c:1f:e6:1f:46:b1:11:2c:43:ec:fd:9f:32:2c:82", Reason: "Rhadamanthys C&C", File: path, Line: 10}
	if first != want {
		t.Errorf("first entry %+v\nwant %+v", first, want)
	}
	if last := entries[4]; last.Reason != "CobaltStrike C&C" || last.Line != 14 {
		t.Errorf("last entry %+v", last)
	}
	// Left to the file, the header names the kind.
	if kind, _, err := ReadFile("", path); err != nil || kind != KindCertSHA1 {
		t.Errorf("detected %q, %v", kind, err)
	}
}

func TestParseSSLBLJA3(t *testing.T) {
	path := filepath.Join("testdata", "ja3_fingerprints.csv")
	kind, entries, err := ReadFile("", path)
	if err != nil {
		t.Fatal(err)
	}
	want := Entry{Value: "b386946a5a44d1ddcc843bc75336dfce", Reason: "Dridex", File: path, Line: 9}
	if kind != KindJA3 || len(entries) != 1 || entries[0] != want {
		t.Errorf("%q %+v", kind, entries)
	}
}

func TestParseLayouts(t *testing.T) {
	tests := []struct {
		name, text string
		kind       Kind // given; "" to detect
		wantKind   Kind
		want       []Entry // File "f"
	}{
		{"one per line", "evil.example\n\n# a comment\nWWW.Bad.Example.\n*.wild.example\n", KindSNI, KindSNI, []Entry{
			{Value: "evil.example", Line: 1}, {Value: "www.bad.example", Line: 4}, {Value: "wild.example", Line: 5}}},
		{"reason after #", "evil.example # Dridex C&C\n", "", KindSNI, []Entry{{Value: "evil.example", Reason: "Dridex C&C", Line: 1}}},
		{"header names the column", "first_seen,domain,threat\n2024-01-01,c2.example,QakBot\n", KindSNI, KindSNI, []Entry{
			{Value: "c2.example", Reason: "QakBot", Line: 2}}},
		{"header detects the kind", "ja4,reason\nt13d1516h2_8daaf6152771_B186095E22B6,Sliver\n", "", KindJA4, []Entry{
			{Value: "t13d1516h2_8daaf6152771_b186095e22b6", Reason: "Sliver", Line: 2}}},
		{"quoted reason with a comma", "sha1,description\n\"6BEF207908BFAD6B19580067CE770BC820D3D2EF\",\"CobaltStrike, C&C\"\n", KindCertSHA1, KindCertSHA1, []Entry{
			{Value: "6b:ef:20:79:08:bf:ad:6b:19:58:00:67:ce:77:0b:c8:20:d3:d2:ef", Reason: "CobaltStrike, C&C", Line: 2}}},
		{"colon form", "6b:ef:20:79:08:bf:ad:6b:19:58:00:67:ce:77:0b:c8:20:d3:d2:ef\n", "", KindCertSHA1, []Entry{
			{Value: "6b:ef:20:79:08:bf:ad:6b:19:58:00:67:ce:77:0b:c8:20:d3:d2:ef", Line: 1}}},
		{"sslbl layout without its header", "2024-09-02 05:19:10,b785d1a9e5784703b98a96698ad05dff5e07229a,DCRat C&C\r\n", "", KindCertSHA1, []Entry{
			{Value: "b7:85:d1:a9:e5:78:47:03:b9:8a:96:69:8a:d0:5d:ff:5e:07:22:9a", Reason: "DCRat C&C", Line: 1}}},
		{"repeats keep the first", "\ufeffb386946a5a44d1ddcc843bc75336dfce,x\nB386946A5A44D1DDCC843BC75336DFCE,y\n", KindJA3, KindJA3, []Entry{
			{Value: "b386946a5a44d1ddcc843bc75336dfce", Reason: "x", Line: 1}}},
		{"controls in a reason", "evil.example,\"a\x1b[31mb\"\n", KindSNI, KindSNI, []Entry{{Value: "evil.example", Reason: "a [31mb", Line: 1}}},
		{"empty", "# nothing listed yet\n", KindJA3, KindJA3, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kind, got, err := Parse(strings.NewReader(tc.text), tc.kind, "f")
			if err != nil {
				t.Fatal(err)
			}
			if kind != tc.wantKind || len(got) != len(tc.want) {
				t.Fatalf("kind %q, entries %+v", kind, got)
			}
			for i := range got {
				tc.want[i].File = "f"
				if got[i] != tc.want[i] {
					t.Errorf("entry %d: %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestParseRefusesBadLines(t *testing.T) {
	tests := []struct {
		name, text string
		kind       Kind
		want       string
	}{
		{"bad hash", "# ja3_md5,Listingreason\nb386946a5a44d1ddcc843bc75336dfce,ok\nnot-a-hash,x\n", KindJA3,
			`f:3: "not-a-hash" is not a JA3 hash (32 hex digits)`},
		{"short column", "domain,reason\nevil.example,x\n\n", KindSNI, ""},
		{"missing column", "first,domain\n2024-01-01\n", KindSNI, `f:2: 1 fields: no column 2, the header's server name`},
		{"no value in the line", "2024-01-01 00:00:00,nothing here,x\n", KindCertSHA1,
			`f:1: no field is a certificate SHA-1: "2024-01-01 00:00:00","nothing here","x"`},
		{"bad name", "evil.example\nbad name.example\n", KindSNI, `f:2: "bad name.example" is not a server name (' ' is not allowed)`},
		{"binary", "evil.example\n\x00\x01\x02\n", KindSNI, "f:2: not text (invalid UTF-8 or a NUL byte): not a block list"},
		{"long line", "evil.example\n" + strings.Repeat("a", MaxLineLen+10) + "\n", KindSNI, "f:2: longer than 4096 bytes: not a block list"},
		{"bad quote", "evil.example,\"x\"y\"\n", KindSNI, `f:1: not a CSV line: parse error on line 1, column 16: extraneous or missing " in quoted-field`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, entries, err := Parse(strings.NewReader(tc.text), tc.kind, "f")
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || err.Error() != tc.want {
				t.Fatalf("Parse = %v, %v\nwant %s", entries, err, tc.want)
			}
			var le *LineError
			if !errors.As(err, &le) || le.File != "f" || le.Line == 0 {
				t.Errorf("not a *LineError: %#v", err)
			}
		})
	}
}

func TestParseBoundsErrors(t *testing.T) {
	var b strings.Builder
	for range 25 {
		b.WriteString("nope\n")
	}
	_, _, err := Parse(strings.NewReader(b.String()), KindJA3, "f")
	if err == nil {
		t.Fatal("accepted")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != maxLineErrors+1 || lines[maxLineErrors] != "f: 25 bad lines in all" {
		t.Errorf("%d lines, last %q", len(lines), lines[len(lines)-1])
	}
}

func TestReadFileRefusesWhatIsNotAList(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for path, want := range map[string]string{
		dir:                          "a directory, not a block list",
		"/dev/zero":                  "not a regular file",
		big:                          "more than a block list may be",
		filepath.Join(dir, "absent"): "no such file",
	} {
		_, _, err := ReadFile(KindSNI, path)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v, want %q", path, err, want)
		}
	}
}

// FuzzParse checks that any file is parsed or refused without a panic,
// that what is accepted is in normal form, and that every entry's line
// is one of the file's.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/sslblacklist.csv", "testdata/ja3_fingerprints.csv"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, "")
	}
	f.Add([]byte("domain,reason\nevil.example,x\n"), "sni")
	f.Add([]byte("a.b # c\n\"x,y\",z\n"), "sni")
	f.Add([]byte("ja4\nt13d1516h2_8daaf6152771_b186095e22b6\n"), "ja4")
	f.Fuzz(func(t *testing.T, data []byte, kind string) {
		k := Kind(kind)
		if _, err := ParseKind(kind); err != nil {
			k = ""
		}
		got, entries, err := Parse(strings.NewReader(string(data)), k, "f")
		if err != nil {
			return
		}
		lines := strings.Count(string(data), "\n") + 1
		seen := map[string]bool{}
		for _, e := range entries {
			if _, err := ParseKind(string(got)); err != nil {
				t.Fatalf("kind %q", got)
			}
			if v, err := normalize(got, e.Value); err != nil || v != e.Value {
				t.Errorf("entry %q is not in normal form (%q, %v)", e.Value, v, err)
			}
			if e.Line < 1 || e.Line > lines || seen[e.Value] || len(e.Reason) > MaxReasonLen {
				t.Errorf("entry %+v", e)
			}
			seen[e.Value] = true
		}
	})
}
