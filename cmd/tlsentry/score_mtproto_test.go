package main

import (
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/testkit"
)

// TestScoreTellsMTProtoFromRandomBytes: with the embedded default,
// Telegram's obfuscated transport on 443 is named (app_proto mtproto) and
// does not alert, while the same bytes with its transport tag broken are
// random bytes on a TLS port and do, with the reason in words.
func TestScoreTellsMTProtoFromRandomBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	header, err := capgen.MTProtoHeader(r, 0xefefefef)
	if err != nil {
		t.Fatal(err)
	}
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	broken := append([]byte(nil), header...)
	broken[58] ^= 0x40
	at := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	var flows [][]capgen.Packet
	for i, h := range [][]byte{header, broken} {
		conv := capgen.Conversation{
			capgen.ClientWrite(append(append([]byte(nil), h...), random(180)...)),
			capgen.ServerWrite(random(420)),
			capgen.ClientWrite(random(300)),
			capgen.ServerWrite(random(900)),
		}
		spec := capgen.FlowSpec{Client: netip.AddrPortFrom(netip.MustParseAddr("10.20.0.9"), uint16(51000+i)),
			Server: netip.MustParseAddrPort("149.154.167.51:443"), Start: at.Add(time.Duration(i) * time.Minute),
			ClientISN: uint32(1000 * (i + 1)), ServerISN: uint32(7000 * (i + 1)), Handshake: true, Close: capgen.CloseFIN, ACKs: true}
		pkts, err := spec.Packets(conv)
		if err != nil {
			t.Fatal(err)
		}
		flows = append(flows, pkts)
	}
	lines, _ := scoreFlows(t, flows)
	records := map[uint16]testkit.EveLine{}
	alerts := map[uint16][]string{}
	for _, l := range lines {
		switch l.EventType {
		case "flow":
			records[l.SrcPort] = l
		case "alert":
			alerts[l.SrcPort] = append(alerts[l.SrcPort], l.Alert.Signature)
		}
	}
	tg, rnd := records[51000], records[51001]
	if tg.AppProto != "mtproto" || tg.Detail.Verdict == nil || tg.Detail.Alert || len(alerts[51000]) != 0 {
		t.Errorf("Telegram's transport: app_proto %q, verdict %+v, alerts %q; want mtproto, no alert", tg.AppProto, tg.Detail.Verdict, alerts[51000])
	}
	if rnd.AppProto != "binary" || rnd.Detail.Verdict == nil || !rnd.Detail.Alert || len(alerts[51001]) == 0 {
		t.Fatalf("random bytes: app_proto %q, verdict %+v, alerts %q; want binary, an alert", rnd.AppProto, rnd.Detail.Verdict, alerts[51001])
	}
	t.Logf("Telegram %.1f bits, random bytes %.1f bits", tg.Detail.Score, rnd.Detail.Score)
	if why := strings.Join(rnd.Detail.Reasons, "\n"); !strings.Contains(why, "random-looking bytes (no framing at all)") {
		t.Errorf("random bytes alerted without saying so:\n%s", why)
	}
}

// TestScoreSnappedStartUndetermined: a capture whose snap length kept 40
// bytes of each packet holds too little of a client's start to tell
// Telegram's transport from random bytes; neither is called random, and
// the whole capture of the same random bytes still is.
func TestScoreSnappedStartUndetermined(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	header, err := capgen.MTProtoHeader(r, 0xeeeeeeee)
	if err != nil {
		t.Fatal(err)
	}
	random := make([]byte, 700)
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	// A frame keeps 14 (Ethernet) + 20 (IPv4) + 20 (TCP) + 40 bytes.
	const snap = 14 + 20 + 20 + 40
	var flows [][]capgen.Packet
	for i, start := range [][]byte{header, random[:64], random[:64]} {
		conv := capgen.Conversation{
			capgen.ClientWrite(append(append([]byte(nil), start...), random[64:300]...)),
			capgen.ServerWrite(random[300:700]),
		}
		spec := capgen.FlowSpec{Client: netip.AddrPortFrom(netip.MustParseAddr("10.20.0.9"), uint16(52000+i)),
			Server: netip.MustParseAddrPort("149.154.167.51:443"), Start: at.Add(time.Duration(i) * time.Minute),
			ClientISN: uint32(1000 * (i + 1)), ServerISN: uint32(7000 * (i + 1)), Handshake: true, Close: capgen.CloseFIN, ACKs: true}
		pkts, err := spec.Packets(conv)
		if err != nil {
			t.Fatal(err)
		}
		if i < 2 { // the third flow is captured whole
			for j := range pkts {
				pkts[j].Data = pkts[j].Data[:min(len(pkts[j].Data), snap)]
			}
		}
		flows = append(flows, pkts)
	}
	lines, stderr := scoreFlows(t, flows)
	if !strings.Contains(stderr, "cut=") || strings.Contains(stderr, "cut=0)") {
		t.Errorf("the summary does not count the cut packets:\n%s", stderr)
	}
	records := map[uint16]testkit.EveLine{}
	for _, l := range lines {
		if l.EventType == "flow" {
			records[l.SrcPort] = l
		}
	}
	for port, name := range map[uint16]string{52000: "Telegram's transport, snapped", 52001: "random bytes, snapped"} {
		l := records[port]
		if l.Detail.Verdict == nil || l.Detail.Alert {
			t.Errorf("%s: verdict %+v, alert %v; want a verdict, no alert", name, l.Detail.Verdict, l.Detail.Alert)
		}
		if why := strings.Join(l.Detail.Reasons, "\n"); strings.Contains(why, "random-looking") {
			t.Errorf("%s: called random from 40 bytes:\n%s", name, why)
		}
	}
	if whole := records[52002]; whole.Detail.Verdict == nil || !whole.Detail.Alert {
		t.Errorf("random bytes, whole: verdict %+v, alert %v; want an alert", whole.Detail.Verdict, whole.Detail.Alert)
	}
}

// scoreFlows writes the flows' packets as one capture, scores it with the
// embedded default and returns the records and score's standard error.
func scoreFlows(t *testing.T, flows [][]capgen.Packet) ([]testkit.EveLine, string) {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pcap")
	if err := capgen.WriteFile(in, capgen.Merge(flows...)); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := runCmd(t, "score", "-r", in)
	if err != nil {
		t.Fatalf("score: %v\n%s", err, stderr)
	}
	path := filepath.Join(dir, "out.json")
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return testkit.ReadEve(t, path), stderr
}
