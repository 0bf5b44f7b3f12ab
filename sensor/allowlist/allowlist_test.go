package allowlist

import (
	"net/netip"
	"strings"
	"testing"
)

func testList(t *testing.T) *List {
	t.Helper()
	l, err := New(Config{
		SNISuffixes: []string{"example.com", "Update.Microsoft.COM.", "internal", "example.com"},
		JA3:         []string{"E7D705A3286E19EA42F587B344EE6865"},
		JA4:         []string{"t13d1516h2_8daaf6152771_B186095E22B6"},
		CIDRs:       []string{"10.0.0.0/8", "10.1.0.0/16", "2001:db8::/32", "192.0.2.1", "::ffff:198.51.100.0/120"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestMatch(t *testing.T) {
	l := testList(t)
	if l.Len() != 10 { // the repeated example.com counts once
		t.Errorf("Len() = %d", l.Len())
	}
	ip := netip.MustParseAddr
	outside, outside6 := ip("203.0.113.5"), ip("2001:db9::1")
	tests := []struct {
		name   string
		f      FlowInfo
		reason string
		entry  string
	}{
		{"nothing", FlowInfo{}, "", ""},
		{"other flow", FlowInfo{SNI: "www.google.com", JA3: "00000000000000000000000000000000", Src: outside, Dst: outside6}, "", ""},
		{"sni exact", FlowInfo{SNI: "example.com"}, ReasonSNI, "example.com"},
		{"sni subdomain", FlowInfo{SNI: "a.b.example.com"}, ReasonSNI, "example.com"},
		{"sni case and dot", FlowInfo{SNI: "WWW.Example.Com."}, ReasonSNI, "example.com"},
		{"sni label boundary", FlowInfo{SNI: "badexample.com"}, "", ""},
		{"sni suffix of label", FlowInfo{SNI: "xexample.com.evil"}, "", ""},
		{"sni parent only", FlowInfo{SNI: "microsoft.com"}, "", ""},
		{"sni deeper entry", FlowInfo{SNI: "x.update.microsoft.com"}, ReasonSNI, "update.microsoft.com"},
		{"sni single label", FlowInfo{SNI: "printer.internal"}, ReasonSNI, "internal"},
		{"sni empty labels", FlowInfo{SNI: "..example.com"}, ReasonSNI, "example.com"},
		{"sni just a dot", FlowInfo{SNI: "."}, "", ""},
		{"ja3 any case", FlowInfo{JA3: "e7d705a3286e19ea42f587b344ee6865"}, ReasonJA3, "e7d705a3286e19ea42f587b344ee6865"},
		{"ja3 other", FlowInfo{JA3: "e7d705a3286e19ea42f587b344ee6866"}, "", ""},
		{"ja4", FlowInfo{JA4: "t13d1516h2_8daaf6152771_b186095e22b6"}, ReasonJA4, "t13d1516h2_8daaf6152771_b186095e22b6"},
		{"ja4 other", FlowInfo{JA4: "t12d1516h2_8daaf6152771_b186095e22b6"}, "", ""},
		{"cidr src", FlowInfo{Src: ip("10.2.3.4"), Dst: outside}, ReasonCIDR, "10.0.0.0/8"},
		{"cidr most specific", FlowInfo{Src: ip("10.1.2.3"), Dst: outside}, ReasonCIDR, "10.1.0.0/16"},
		{"cidr dst", FlowInfo{Src: outside, Dst: ip("10.255.255.255")}, ReasonCIDR, "10.0.0.0/8"},
		{"cidr edge", FlowInfo{Src: ip("11.0.0.0")}, "", ""},
		{"cidr v6", FlowInfo{Src: outside6, Dst: ip("2001:db8:1::443")}, ReasonCIDR, "2001:db8::/32"},
		{"cidr single host", FlowInfo{Dst: ip("192.0.2.1")}, ReasonCIDR, "192.0.2.1/32"},
		{"cidr next host", FlowInfo{Dst: ip("192.0.2.2")}, "", ""},
		{"cidr 4in6 address", FlowInfo{Src: ip("::ffff:10.0.0.1")}, ReasonCIDR, "10.0.0.0/8"},
		{"cidr 4in6 prefix", FlowInfo{Src: ip("198.51.100.7")}, ReasonCIDR, "198.51.100.0/24"},
		{"cidr zone", FlowInfo{Src: ip("fe80::1%eth0")}, "", ""},
		{"ja3 before sni before cidr", FlowInfo{SNI: "example.com", JA3: "e7d705a3286e19ea42f587b344ee6865", Src: ip("10.0.0.1")}, ReasonJA3, "e7d705a3286e19ea42f587b344ee6865"},
		{"sni before cidr", FlowInfo{SNI: "example.com", Src: ip("10.0.0.1")}, ReasonSNI, "example.com"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reason, entry, ok := l.MatchEntry(tc.f)
			if ok != (tc.reason != "") || reason != tc.reason || entry != tc.entry {
				t.Errorf("MatchEntry = %q %q %v, want %q %q", reason, entry, ok, tc.reason, tc.entry)
			}
			reason, ok = l.Match(tc.f)
			if ok != (tc.reason != "") || reason != tc.reason {
				t.Errorf("Match = %q %v", reason, ok)
			}
		})
	}
}

func TestEmptyAndNil(t *testing.T) {
	f := FlowInfo{SNI: "example.com", Src: netip.MustParseAddr("10.0.0.1")}
	var nilList *List
	if _, ok := nilList.Match(f); ok || nilList.Len() != 0 {
		t.Error("nil list matched")
	}
	empty, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := empty.Match(f); ok || empty.Len() != 0 {
		t.Error("empty list matched")
	}
	var zero List
	if _, ok := zero.Match(f); ok {
		t.Error("zero list matched")
	}
}

func TestNewRefusesBadEntries(t *testing.T) {
	_, err := New(Config{CIDRs: []string{"10.0.0.1/8"}, JA4: []string{"nope"}})
	want := "allowlist: JA4[0]: \"nope\" is not a JA4 fingerprint (like t13d1516h2_8daaf6152771_b186095e22b6)\n" +
		"CIDRs[0]: \"10.0.0.1/8\" has bits set after the prefix length (did you mean 10.0.0.0/8, or 10.0.0.1 alone?)"
	if err == nil || err.Error() != want {
		t.Errorf("New = %v\nwant %s", err, want)
	}
}

func TestReasonsAreFixed(t *testing.T) {
	for _, r := range Reasons {
		if r == "" || strings.ContainsAny(r, " .:/") {
			t.Errorf("reason %q is not a plain label", r)
		}
	}
}

// FuzzMatch checks that any server name and fingerprint, as they come off
// the network, is matched without a panic, and that a name matches exactly
// when it or a name above it is listed.
func FuzzMatch(f *testing.F) {
	l, err := New(Config{SNISuffixes: []string{"example.com"}, JA3: []string{"e7d705a3286e19ea42f587b344ee6865"}})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"example.com", "a.example.com", "badexample.com", "", ".", "..", "EXAMPLE.COM.", "\xff.example.com"} {
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, sni, ja3 string) {
		reason, ok := l.Match(FlowInfo{SNI: sni, JA3: ja3, JA4: ja3})
		name := strings.ToLower(strings.TrimSuffix(sni, "."))
		wantSNI := name == "example.com" || strings.HasSuffix(name, ".example.com")
		wantJA3 := strings.EqualFold(ja3, "e7d705a3286e19ea42f587b344ee6865")
		if ok != (wantSNI || wantJA3) || (wantJA3 && reason != ReasonJA3) || (!wantJA3 && wantSNI && reason != ReasonSNI) {
			t.Errorf("Match(%q, %q) = %q %v", sni, ja3, reason, ok)
		}
	})
}

func BenchmarkMatch(b *testing.B) {
	cfg := Config{}
	for i := range 200 {
		cfg.SNISuffixes = append(cfg.SNISuffixes, "site"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+".example")
	}
	for i := range 50 {
		cfg.CIDRs = append(cfg.CIDRs, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i), 0, 0}), 16).String())
	}
	l, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	f := FlowInfo{
		SNI: "a.b.c.www.google.com", JA3: "e7d705a3286e19ea42f587b344ee6865", JA4: "t13d1516h2_8daaf6152771_b186095e22b6",
		Src: netip.MustParseAddr("192.168.1.10"), Dst: netip.MustParseAddr("203.0.113.9"),
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := l.Match(f); ok {
			b.Fatal("matched")
		}
	}
}
