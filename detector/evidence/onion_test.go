package evidence

import (
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/internal/labset"
)

func TestOnionService(t *testing.T) {
	v3 := "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd"
	for _, c := range []struct {
		name, addr, gateway string
	}{
		{"ccjlwb22w6c22p2k.onion.to", "ccjlwb22w6c22p2k", "onion.to"},
		{"F5XRAA2Y2YBTREFZ.tor2web.org.", "f5xraa2y2ybtrefz", "tor2web.org"},
		{"www." + v3 + ".onion.ws", v3, "onion.ws"},
		{v3 + ".onion", v3, ""},
		{"ccjlwb22w6c22p2k.onionlink.example", "ccjlwb22w6c22p2k", "onionlink.example"},
		// Not a gateway's name: a CDN's hash, an address-like label with
		// no onion after it, a label of the wrong length or alphabet, a v3
		// label whose version is not 3.
		{"ccjlwb22w6c22p2k.cloudfront.net", "", ""},
		{"onion.to", "", ""},
		{"www.onion.to", "", ""},
		{"ccjlwb22w6c22p2.onion.to", "", ""},
		{"ccjlwb22w6c22p2k1.onion.to", "", ""},
		{"ccjlwb22w6c22p0k.onion.to", "", ""},
		{v3[:55] + "a.onion", "", ""},
		{"accounts.google.com", "", ""},
		{"", "", ""},
	} {
		addr, gw, ok := onionService(c.name)
		if ok != (c.addr != "") || addr != c.addr || gw != c.gateway {
			t.Errorf("%q: %q %q %v, want %q %q", c.name, addr, gw, ok, c.addr, c.gateway)
		}
	}
}

// TestOnionGatewayFires: a benign lab hello renamed to a Tor2web name
// fires sni.onion_gateway, worded with the address and the gateway, and
// weighs what the corpus's zero rate says; under its own name it does not.
func TestOnionGatewayFires(t *testing.T) {
	tab := Calibrate("b", inputs(t, labset.Benign, 8), nil)
	in := inputs(t, labset.Benign, 1)[0]
	if in.TLS.Client == nil {
		t.Fatal("the lab's benign flow has no hello")
	}
	for _, f := range tab.Explain(in) {
		if f.ID == "sni.onion_gateway" {
			t.Fatalf("fired on %q: %+v", in.TLS.Client.ServerName, f)
		}
	}
	renamed := named(t, in, "www.ccjlwb22w6c22p2k.onion.to", "")
	for _, f := range tab.Explain(renamed) {
		if f.ID != "sni.onion_gateway" {
			continue
		}
		if !strings.Contains(f.Text, "onion service ccjlwb22w6c22p2k.onion through the web gateway onion.to") || f.Bits < 3 {
			t.Errorf("finding %+v", f)
		}
		return
	}
	t.Errorf("sni.onion_gateway did not fire: %+v", tab.Explain(renamed))
}

func FuzzOnionService(f *testing.F) {
	for _, s := range []string{"ccjlwb22w6c22p2k.onion.to", "a.onion", ".", "x..onion", "\xff.onion"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		addr, gw, ok := onionService(s)
		if !ok {
			return
		}
		if !onionAddress(addr) || !strings.Contains(strings.ToLower(s), addr) {
			t.Fatalf("%q: address %q", s, addr)
		}
		if gw != "" && !strings.Contains(gw, "onion") && !strings.Contains(gw, "tor2web") {
			t.Fatalf("%q: gateway %q", s, gw)
		}
		if d := describeOnion(s); !strings.Contains(d, addr+".onion") {
			t.Fatalf("%q: %s", s, d)
		}
	})
}
