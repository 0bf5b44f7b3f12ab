package main

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/testkit"
	"github.com/tlsentry/tlsentry/sensor/signature"
)

// beaconFiles writes a beacon (10.9.0.5 calling 203.0.113.7:443, SNI
// c2.example, n times every 45 s ± 20%) as two capture files, the first
// half of the calls in the first: a pattern only the two read as one
// stream show.
func beaconFiles(t *testing.T, n int) (first, second string) {
	t.Helper()
	cert, err := capgen.SelfSignedCert(capgen.CertOptions{CommonName: "c2.example", DNSNames: []string{"c2.example"}, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	cc, sc := capgen.TLSConfigs(cert, "c2.example")
	conv, err := capgen.TLSConversation(context.Background(), cc, sc, capgen.TLSOptions{ClientData: []byte("poll"), ServerData: []byte("nothing")})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(45, 20))
	at := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	var halves [2][][]capgen.Packet
	for i := range n {
		at = at.Add(time.Duration(float64(45*time.Second) * (0.8 + 0.4*r.Float64())))
		spec := capgen.FlowSpec{Client: netip.AddrPortFrom(netip.MustParseAddr("10.9.0.5"), uint16(40000+i)),
			Server: netip.MustParseAddrPort("203.0.113.7:443"), Start: at, ClientISN: uint32(100 * (i + 1)), ServerISN: uint32(900 * (i + 1)),
			Handshake: true, Close: capgen.CloseFIN, ACKs: true}
		pkts, err := spec.Packets(conv)
		if err != nil {
			t.Fatal(err)
		}
		halves[2*i/n] = append(halves[2*i/n], pkts)
	}
	var paths [2]string
	for h := range halves {
		paths[h] = filepath.Join(dir, []string{"a.pcap", "b.pcap"}[h])
		if err := capgen.WriteFile(paths[h], capgen.Merge(halves[h]...)); err != nil {
			t.Fatal(err)
		}
	}
	return paths[0], paths[1]
}

// TestScoreBeacon: score reads its files as one stream into the beacon
// tracker: a beacon split across two files gives one periodic-connections
// alert (schema-valid, after the flows), none from either file alone;
// the configuration's beacon.enabled and allowlist apply.
func TestScoreBeacon(t *testing.T) {
	a, b := beaconFiles(t, 24)
	dir := t.TempDir()
	beacons := func(args ...string) []testkit.EveLine {
		t.Helper()
		out, stderr, err := runCmd(t, append([]string{"score"}, args...)...)
		if err != nil {
			t.Fatalf("score %v: %v\n%s", args, err, stderr)
		}
		path := filepath.Join(dir, "out.json")
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return beaconLines(testkit.ReadEve(t, path))
	}
	got := beacons("-r", a, "-r", b)
	if len(got) != 1 {
		t.Fatalf("%d beacon alerts over both files, want 1", len(got))
	}
	if bc := got[0].Detail.Beacon; bc.Client != "10.9.0.5" || bc.Destination != "203.0.113.7:443" || bc.SNI != "c2.example" ||
		bc.Count < 16 || bc.Period < 36 || bc.Period > 54 {
		t.Errorf("beacon %+v", bc)
	}
	for _, f := range []string{a, b} {
		if n := len(beacons("-r", f)); n != 0 {
			t.Errorf("%s alone: %d beacon alerts, want 0 (12 calls)", f, n)
		}
	}
	for name, yaml := range map[string]string{
		"disabled":    "beacon:\n  enabled: false\n",
		"allowlisted": "allowlist:\n  cidrs: [203.0.113.7]\n",
	} {
		cfg := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		if n := len(beacons("-config", cfg, "-r", a, "-r", b)); n != 0 {
			t.Errorf("%s: %d beacon alerts, want 0", name, n)
		}
	}
}

// beaconLines are the periodic-connections alerts among lines.
func beaconLines(lines []testkit.EveLine) []testkit.EveLine {
	var out []testkit.EveLine
	for _, l := range lines {
		if l.Alert != nil && l.Alert.SignatureID == signature.BeaconID {
			out = append(out, l)
		}
	}
	return out
}
