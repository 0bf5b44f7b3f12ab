package quic_test

import (
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/flow/quic"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/sharedpcaps"
)

// wiresharkHello is one QUIC ClientHello as tshark dissects it.
type wiresharkHello struct {
	client endpoint
	sni    string
}

// tsharkClientHellos lists the QUIC ClientHellos tshark finds in a capture.
func tsharkClientHellos(t *testing.T, tshark, path string) []wiresharkHello {
	t.Helper()
	out, err := exec.Command(tshark, "-r", path, "-Y", "quic && tls.handshake.type==1",
		"-T", "fields", "-E", "separator=/t", "-E", "occurrence=f",
		"-e", "ip.src", "-e", "ipv6.src", "-e", "udp.srcport",
		"-e", "tls.handshake.extensions_server_name").Output()
	if err != nil {
		t.Fatalf("tshark %s: %v", path, err)
	}
	var hellos []wiresharkHello
	for line := range strings.Lines(string(out)) {
		f := strings.Split(strings.TrimRight(line, "\n"), "\t")
		if len(f) != 4 {
			t.Fatalf("tshark line %q", line)
		}
		addr, err := netip.ParseAddr(f[0] + f[1])
		if err != nil {
			t.Fatalf("tshark line %q: %v", line, err)
		}
		port, err := strconv.Atoi(strings.Split(f[2], ",")[0])
		if err != nil {
			t.Fatalf("tshark line %q: %v", line, err)
		}
		hellos = append(hellos, wiresharkHello{endpoint{addr, uint16(port)}, f[3]})
	}
	return hellos
}

// knownMisses are the QUIC ClientHellos Wireshark 4.0 dissects that this
// package does not find, each with the reason. The test fails when one is
// found after all (update the list) or when another one is missed.
var knownMisses = map[string]string{}

// TestWiresharkClientHellos: every QUIC ClientHello Wireshark dissects in
// the shared captures comes out of a quic.Conn of its UDP flow with the same SNI
// (the captures' second column of clienthello-counts.txt; with tshark
// installed, each hello's flow and SNI are compared, else the counts).
func TestWiresharkClientHellos(t *testing.T) {
	dir := sharedpcaps.PcapDir(t)
	counts := sharedpcaps.QUICClientHelloCounts(t)
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Log("tshark not installed: comparing counts only")
		tshark = ""
	}
	captures := make([]string, 0, len(counts))
	for c := range counts {
		captures = append(captures, c)
	}
	sort.Strings(captures)

	type tally struct{ wireshark, found int }
	perVersion := map[string]*tally{}
	var total tally
	var misses []string
	for _, capture := range captures {
		path := filepath.Join(dir, capture)
		flows := readUDPFlows(t, path, 0)

		// Our hellos by client endpoint, and the flow's version.
		ours := map[endpoint][]string{}
		version := map[endpoint]string{}
		for _, fl := range flows {
			if fl.conn == nil {
				continue
			}
			for _, ch := range clientHellos(fl.conn.ClientCrypto()) {
				ours[fl.client] = append(ours[fl.client], ch.ServerName)
				// A whole QUIC hello carries its version's transport
				// parameters.
				if tp := transportParamsExt(fl.conn.Info().Version); !ch.HasExtension(tp) {
					t.Errorf("%s %s: hello without extension %#04x", capture, fl.client, tp)
				}
			}
			version[fl.client] = fl.conn.Info().Version.String()
		}

		var want []wiresharkHello
		if tshark != "" {
			want = tsharkClientHellos(t, tshark, path)
			if len(want) != counts[capture] {
				t.Errorf("%s: tshark lists %d hellos, clienthello-counts.txt %d", capture, len(want), counts[capture])
			}
		}
		found := 0
		if tshark == "" {
			n := 0
			for _, snis := range ours {
				n += len(snis)
			}
			found = min(n, counts[capture])
			if found < counts[capture] {
				misses = append(misses, fmt.Sprintf("%s: %d of %d hellos", capture, found, counts[capture]))
			}
		}
		for _, w := range want {
			v := version[w.client]
			if v == "" {
				v = "no Conn"
			}
			if perVersion[v] == nil {
				perVersion[v] = &tally{}
			}
			perVersion[v].wireshark++
			key := fmt.Sprintf("%s %s %q", capture, w.client, w.sni)
			if i := slices.Index(ours[w.client], w.sni); i >= 0 {
				ours[w.client] = slices.Delete(ours[w.client], i, i+1)
				found++
				perVersion[v].found++
				if reason, ok := knownMisses[key]; ok {
					t.Errorf("%s is found now, yet listed as a known miss (%s)", key, reason)
				}
				continue
			}
			if _, ok := knownMisses[key]; !ok {
				misses = append(misses, key+": "+whyMissed(flows, w.client))
			}
		}
		total.wireshark += counts[capture]
		total.found += found
		t.Logf("%-55s wireshark %2d found %2d", capture, counts[capture], found)
	}
	versions := make([]string, 0, len(perVersion))
	for v := range perVersion {
		versions = append(versions, v)
	}
	sort.Strings(versions)
	for _, v := range versions {
		t.Logf("version %-10s wireshark %2d found %2d", v, perVersion[v].wireshark, perVersion[v].found)
	}
	t.Logf("total: wireshark %d, found %d (%.1f%%), known misses %d", total.wireshark, total.found,
		100*float64(total.found)/float64(total.wireshark), len(knownMisses))
	for _, m := range misses {
		t.Errorf("missed: %s", m)
	}
	if total.found*100 < total.wireshark*99 {
		t.Errorf("found %d of %d QUIC ClientHellos: below 99%%", total.found, total.wireshark)
	}
}

// whyMissed says what the quic.Conn of a client's flow saw.
func whyMissed(flows []*udpFlow, client endpoint) string {
	for _, fl := range flows {
		if fl.client != client && fl.server != client {
			continue
		}
		if fl.conn == nil {
			return fmt.Sprintf("first datagram does not look like QUIC (% x)", fl.first[:min(len(fl.first), 16)])
		}
		if fl.server == client {
			return "flow's direction guessed the other way"
		}
		info := fl.conn.Info()
		return fmt.Sprintf("%d crypto bytes, hello done %v; info %+v", len(fl.conn.ClientCrypto()), fl.conn.ClientHelloDone(), info)
	}
	return "no UDP flow from this endpoint"
}

// transportParamsExt is the quic_transport_parameters codepoint a client of
// version v sends: RFC 9001's from draft 33 on, the drafts' before.
func transportParamsExt(v quic.Version) uint16 {
	if v == quic.Version1 || v == quic.Version2 || quic.Draft(v) >= 33 {
		return tlsparse.ExtQUICTransportParameters
	}
	return tlsparse.ExtQUICTransportParametersDraft
}
