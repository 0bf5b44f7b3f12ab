package eve

import (
	"encoding/json"
	"net/netip"
	"os"
	"testing"
)

// TestCommunityIDBaseline: every port-based (and the portless) entry of
// the spec's own baseline, seeds 0 and 1, made by its reference
// implementation (testdata/community-id-baseline.json names the commit).
func TestCommunityIDBaseline(t *testing.T) {
	data, err := os.ReadFile("testdata/community-id-baseline.json")
	if err != nil {
		t.Fatal(err)
	}
	var base map[string]json.RawMessage
	if err := json.Unmarshal(data, &base); err != nil {
		t.Fatal(err)
	}
	n := 0
	for seedName, seed := range map[string]uint16{"seed 0": 0, "seed 1": 1} {
		var entries []struct {
			Proto        uint8
			Saddr, Daddr string
			Sport, Dport *uint16
			CommunityID  string `json:"communityid"`
		}
		if err := json.Unmarshal(base[seedName], &entries); err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			ports := e.Sport != nil
			var sp, dp uint16
			if ports {
				sp, dp = *e.Sport, *e.Dport
			}
			a := netip.AddrPortFrom(netip.MustParseAddr(e.Saddr), sp)
			b := netip.AddrPortFrom(netip.MustParseAddr(e.Daddr), dp)
			if got := CommunityID(seed, e.Proto, a, b, ports); got != e.CommunityID {
				t.Errorf("%s %d %v -> %v: %s, want %s", seedName, e.Proto, a, b, got, e.CommunityID)
			}
			n++
		}
	}
	if n < 10 {
		t.Fatalf("%d vectors: the baseline file looks cut", n)
	}
	// IPv4 in its IPv4-mapped IPv6 form (how flow keys hold it) hashes as IPv4.
	v4 := CommunityID(0, ProtoTCP, netip.MustParseAddrPort("128.232.110.120:34855"), netip.MustParseAddrPort("66.35.250.204:80"), true)
	mapped := CommunityID(0, ProtoTCP, netip.MustParseAddrPort("[::ffff:128.232.110.120]:34855"), netip.MustParseAddrPort("[::ffff:66.35.250.204]:80"), true)
	if v4 != mapped || v4 != "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" {
		t.Errorf("mapped %s, plain %s", mapped, v4)
	}
}
