package testkit

import (
	"encoding/json"
	"net/netip"
	"os"
	"testing"
)

// CommunityIDVector is one entry of the Community ID spec's baseline:
// the flow (ports unset for portless protocols) and the ID the reference
// implementation gave it under Seed.
type CommunityIDVector struct {
	Seed     uint16
	Proto    uint8
	Src, Dst netip.AddrPort
	Ports    bool
	ID       string
}

// CommunityIDBaseline reads the spec's baseline file (seeds 0 and 1; the
// project keeps it in sensor/eve/testdata, which names its commit).
func CommunityIDBaseline(t testing.TB, path string) []CommunityIDVector {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var base map[string]json.RawMessage
	if err := json.Unmarshal(data, &base); err != nil {
		t.Fatal(err)
	}
	var out []CommunityIDVector
	for name, seed := range map[string]uint16{"seed 0": 0, "seed 1": 1} {
		var entries []struct {
			Proto        uint8
			Saddr, Daddr string
			Sport, Dport *uint16
			CommunityID  string `json:"communityid"`
		}
		if err := json.Unmarshal(base[name], &entries); err != nil {
			t.Fatalf("%s: %s: %v", path, name, err)
		}
		for _, e := range entries {
			v := CommunityIDVector{Seed: seed, Proto: e.Proto, Ports: e.Sport != nil && e.Dport != nil, ID: e.CommunityID}
			var sp, dp uint16
			if v.Ports {
				sp, dp = *e.Sport, *e.Dport
			}
			v.Src = netip.AddrPortFrom(netip.MustParseAddr(e.Saddr), sp)
			v.Dst = netip.AddrPortFrom(netip.MustParseAddr(e.Daddr), dp)
			out = append(out, v)
		}
	}
	if len(out) < 10 {
		t.Fatalf("%s: %d vectors: the baseline file looks cut", path, len(out))
	}
	return out
}
