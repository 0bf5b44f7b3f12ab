package main

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
)

// TestTrainSaysWhyNothingWasLearned: when the input fails, train says
// what failed, not only that it has too few flows.
func TestTrainSaysWhyNothingWasLearned(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.model")
	// A capture that cannot be opened: nothing at all to learn from.
	_, _, err := runCmd(t, "train", "-r", filepath.Join(t.TempDir(), "missing.pcap"), "-out", out)
	if err == nil || !strings.Contains(err.Error(), "nothing to learn from") || !strings.Contains(err.Error(), "missing.pcap") {
		t.Errorf("train on a missing file: %v", err)
	}
	// Live capture that cannot start (no such interface here, or no
	// privilege to capture): the cause, not "0 flows with payload".
	_, _, err = runCmd(t, "train", "-i", "nosuch0", "-duration", "1s", "-out", out)
	if err == nil || !strings.Contains(err.Error(), "nothing to learn from") || strings.Contains(err.Error(), "need at least") {
		t.Errorf("train -i on a missing interface: %v", err)
	}
	// A capture cut short inside a packet, with too few flows before the
	// cut: both are said.
	data, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	if err := os.WriteFile(cut, data[:len(data)-100], 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := runCmd(t, "train", "-r", cut, "-out", out)
	if err == nil || !strings.Contains(err.Error(), "need at least 16") || !strings.Contains(err.Error(), "the input was cut short") {
		t.Errorf("train on a cut capture: %v", err)
	}
	if !strings.Contains(stderr, "flows with payload from 1 file(s)") {
		t.Errorf("stderr does not say where the flows came from:\n%s", stderr)
	}
}

// TestTrainSummaryEscapes: a server name crafted with a newline and a
// terminal escape sequence is printed escaped in what train learned.
func TestTrainSummaryEscapes(t *testing.T) {
	const crafted = "evil\n\x1b[2J\x1b]0;pwned\x07.example"
	cert, err := capgen.SelfSignedCert(capgen.CertOptions{CommonName: "ok.test"})
	if err != nil {
		t.Fatal(err)
	}
	clientCfg, serverCfg := capgen.TLSConfigs(cert, "ok.test")
	clientCfg.ServerName, clientCfg.InsecureSkipVerify = crafted, true
	conv, err := capgen.TLSConversation(context.Background(), clientCfg, serverCfg, capgen.TLSOptions{ClientData: []byte("GET / HTTP/1.1\r\n\r\n")})
	if len(conv) == 0 {
		t.Fatalf("no conversation: %v", err)
	}
	spec := capgen.FlowSpec{
		Client: netip.MustParseAddrPort("10.0.0.1:40000"), Server: netip.MustParseAddrPort("192.0.2.1:443"),
		Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), ClientISN: 1, ServerISN: 2,
		Handshake: true, Close: capgen.CloseFIN, ACKs: true,
	}
	pkts, err := spec.Packets(conv)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "crafted.pcap")
	if err := capgen.WriteFile(path, pkts); err != nil {
		t.Fatal(err)
	}
	set, err := pipeline.LoadFlows(context.Background(), []string{path}, flow.DefaultConfig())
	if err != nil || len(set) != 1 {
		t.Fatalf("%d flows: %v", len(set), err)
	}
	var b strings.Builder
	summarise([]*flow.Flow{set[0].Flow}).print(&b)
	text := b.String()
	if strings.ContainsAny(text, "\x1b\x07") || strings.Contains(text, "evil\n") {
		t.Errorf("the crafted server name reached the output raw:\n%q", text)
	}
	if want := `"evil\n\x1b[2J\x1b]0;pwned\a.example" 1 (100%)`; !strings.Contains(text, want) {
		t.Errorf("no escaped server name %s in:\n%s", want, text)
	}
}
