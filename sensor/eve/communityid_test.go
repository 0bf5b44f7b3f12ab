package eve_test

import (
	"net/netip"
	"testing"

	"github.com/tlsentry/tlsentry/internal/testkit"
	"github.com/tlsentry/tlsentry/sensor/eve"
)

// TestCommunityIDBaseline: every port-based (and the portless) entry of
// the spec's own baseline, seeds 0 and 1, made by its reference
// implementation (testdata/community-id-baseline.json names the commit).
func TestCommunityIDBaseline(t *testing.T) {
	for _, v := range testkit.CommunityIDBaseline(t, "testdata/community-id-baseline.json") {
		if got := eve.CommunityID(v.Seed, v.Proto, v.Src, v.Dst, v.Ports); got != v.ID {
			t.Errorf("seed %d %d %v -> %v: %s, want %s", v.Seed, v.Proto, v.Src, v.Dst, got, v.ID)
		}
	}
	// IPv4 in its IPv4-mapped IPv6 form (how flow keys hold it) hashes as IPv4.
	v4 := eve.CommunityID(0, eve.ProtoTCP, netip.MustParseAddrPort("128.232.110.120:34855"), netip.MustParseAddrPort("66.35.250.204:80"), true)
	mapped := eve.CommunityID(0, eve.ProtoTCP, netip.MustParseAddrPort("[::ffff:128.232.110.120]:34855"), netip.MustParseAddrPort("[::ffff:66.35.250.204]:80"), true)
	if v4 != mapped || v4 != "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" {
		t.Errorf("mapped %s, plain %s", mapped, v4)
	}
}
