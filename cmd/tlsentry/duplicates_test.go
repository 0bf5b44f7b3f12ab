package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/tlsentry/tlsentry/internal/capgen"
)

// TestOneRecordPerConnectionUnderSYNFlood is issue 14's reproducer: 10
// real TLS connections among 500k SYNs from other hosts at -max-flows
// 65536. Each real connection completes early and goes on sending for
// seconds while the flood churns the table; a full table used to forget
// the connections already handed out, whose later packets then became a
// second, mid-stream flow (19 records with payload for 10 connections).
// Now each gives exactly one record.
func TestOneRecordPerConnectionUnderSYNFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads a 500k-packet capture")
	}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	server := netip.MustParseAddrPort("192.0.2.1:443")
	cert, err := capgen.SelfSignedCert(capgen.CertOptions{CommonName: "real.example", DNSNames: []string{"real.example"}})
	if err != nil {
		t.Fatal(err)
	}
	clientCfg, serverCfg := capgen.TLSConfigs(cert, "real.example")
	const real = 10
	flows := make([][]capgen.Packet, 0, real+1)
	for i := range real {
		conv, err := capgen.TLSConversation(context.Background(), clientCfg, serverCfg,
			capgen.TLSOptions{ClientData: bytes.Repeat([]byte("a"), 30000), ServerData: bytes.Repeat([]byte("b"), 20000)})
		if err != nil {
			t.Fatal(err)
		}
		spec := capgen.FlowSpec{
			Client: netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 51, 100, byte(i + 1)}), 40000),
			Server: server, Start: start.Add(300*time.Millisecond + time.Duration(i)*50*time.Millisecond),
			Step: 80 * time.Millisecond, Handshake: true, Close: capgen.CloseFIN, ACKs: true,
			ClientISN: uint32(i) * 7919, ServerISN: uint32(i) * 104729,
		}
		pkts, err := spec.Packets(conv)
		if err != nil {
			t.Fatal(err)
		}
		flows = append(flows, pkts)
	}
	var flood []capgen.Packet
	f := capgen.Flood{Kind: capgen.FloodSYN, Flows: 500000, Clients: netip.MustParsePrefix("10.64.0.0/10"), Server: server, Start: start, Interval: 10 * time.Microsecond}
	if err := f.Each(func(p capgen.Packet) error { flood = append(flood, p); return nil }); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "synflood.pcap")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	if err := capgen.WritePcap(bw, layers.LinkTypeEthernet, capgen.Merge(append(flows, flood)...)); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	out.Close()

	stdout, summary, err := runCmd(t, "flows", "-r", path, "-max-flows", "65536")
	if err != nil {
		t.Fatalf("flows: %v\n%s", err, summary)
	}
	records := map[string]int{}
	total := 0
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec struct {
			SrcIP  string `json:"src_ip"`
			Sensor struct {
				PrefixLen int  `json:"prefix_len"`
				Pickup    bool `json:"pickup_after_eviction"`
			} `json:"tlsentry"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		total++
		if strings.HasPrefix(rec.SrcIP, "198.51.100.") || rec.Sensor.PrefixLen > 0 {
			records[rec.SrcIP]++
		}
		if rec.Sensor.Pickup {
			t.Errorf("%s: picked up after eviction", rec.SrcIP)
		}
	}
	if len(records) != real {
		t.Errorf("records of %d clients, want the %d real ones: %v", len(records), real, records)
	}
	for ip, n := range records {
		if n != 1 {
			t.Errorf("%s: %d records", ip, n)
		}
	}
	if total != real+f.Flows {
		t.Errorf("%d records, want one per connection: %d\n%s", total, real+f.Flows, summary)
	}
	t.Logf("%d records\n%s", total, summary)
}
