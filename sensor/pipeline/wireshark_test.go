package pipeline

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/sharedpcaps"
	"github.com/tlsentry/tlsentry/sensor/eve"
)

// hello is one ClientHello as seen by Wireshark or by the sensor.
type hello struct{ sni, ja3Full, ja3 string }

// tsharkHellos returns, per client endpoint ("ip:port"), the ClientHellos
// Wireshark 4.0 dissects in a capture, decoding extra ports as TLS.
func tsharkHellos(t *testing.T, path string, tlsPorts []uint16) map[string][]hello {
	t.Helper()
	// A hello on a segment without ACK (nor SYN) reaches no endpoint and
	// is no stream byte to the sensor (flow/noack.go); Wireshark reads it.
	args := []string{"-r", path, "-Y", "tcp && tls.handshake.type==1 && (tcp.flags.ack==1 || tcp.flags.syn==1)", "-T", "fields", "-E", "separator=/t", "-E", "occurrence=l",
		"-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport", "-e", "tls.handshake.extensions_server_name",
		"-e", "tls.handshake.ja3_full", "-e", "tls.handshake.ja3"}
	for _, p := range tlsPorts {
		args = append(args, "-d", fmt.Sprintf("tcp.port==%d,tls", p))
	}
	out, err := exec.Command("tshark", args...).Output()
	if err != nil && len(out) == 0 {
		t.Logf("%s: tshark: %v", path, err)
	}
	res := map[string][]hello{}
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 6 {
			continue
		}
		// Inside tunnels the last (innermost) address is the flow's; with
		// IPv4 in IPv6 (or the reverse) either family may be the inner one,
		// so both are listed.
		h := hello{sni: f[3], ja3Full: f[4], ja3: f[5]}
		if f[0] != "" {
			res[f[0]+":"+f[2]] = append(res[f[0]+":"+f[2]], h)
		}
		if f[1] != "" {
			k := "[" + f[1] + "]:" + f[2]
			res[k] = append(res[k], h)
		}
	}
	return res
}

// wiresharkMisses lists captures where the sensor finds a ClientHello that
// Wireshark only finds when told the port is TLS.
var wiresharkMisses = map[string]string{
	"ndpi/gnutella.pcap": "TLS on TCP 6888, a port Wireshark does not try TLS on",
	"ndpi/ookla.pcap":    "TLS on TCP 8080, which Wireshark takes for an HTTP proxy",
}

// TestWiresharkClientHellos: every TCP ClientHello Wireshark 4.0 dissects
// in the shared captures is in a flow from the same client, with the same
// SNI and the same JA3 string and hash (Wireshark's tls.handshake.ja3).
func TestWiresharkClientHellos(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed (apt-get install tshark): the Wireshark cross-check needs it")
	}
	dir := sharedpcaps.PcapDir(t)
	counts := sharedpcaps.ClientHelloCounts(t)
	for _, name := range sharedpcaps.Captures(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			compareWithWireshark(t, name, filepath.Join(dir, name), counts[name])
		})
	}
}

func compareWithWireshark(t *testing.T, name, path string, wiresharkCount int) {
	{
		flows, _ := readCapture(t, path)
		ours := map[string]hello{}
		var ports []uint16
		v2 := map[string]bool{}
		for _, f := range flows {
			if len(f.ClientHandshake) == 0 || f.Transport != flow.TransportTCP {
				continue // QUIC flows: quic_test.go
			}
			h := tlsparse.FromFlow(f, nil)
			rec := eve.NewTLSRecord(h)
			if rec == nil || h.Client == nil {
				t.Errorf("%s: %v: ClientHello kept but not parsed: %v", name, f.Client.AddrPort(), h.ClientErr)
				continue
			}
			key := f.Client.AddrPort().String()
			ours[key] = helloOf(rec)
			v2[key] = h.Client.SSLv2
			ports = append(ports, f.Server.Port)
		}
		if len(ours) == 0 && wiresharkCount == 0 {
			return // nothing to compare: the count test covers this file
		}
		theirs := tsharkHellos(t, path, nil)
		matched := map[string]bool{}
		for key, hs := range theirs {
			got, ok := ours[key]
			if !ok {
				if !otherFamilyMatched(key, hs, theirs, ours) {
					t.Errorf("%s: Wireshark sees a ClientHello from %s (SNI %q), the sensor has no such flow", name, key, hs[0].sni)
				}
				continue
			}
			matched[key] = true
			if v2[key] {
				// SSLv2 hellos: Wireshark 4.0 gives no JA3 for them.
				if hs[0].ja3 != "" {
					t.Errorf("%s: %s: Wireshark has a JA3 for an SSLv2 hello", name, key)
				}
				continue
			}
			// After a HelloRetryRequest Wireshark has two hellos; the flow
			// keeps the first.
			if !slices.Contains(hs, got) {
				t.Errorf("%s: %s:\n sensor    %+v\n wireshark %+v", name, key, got, hs)
			}
		}
		if len(ours) > len(matched) {
			slices.Sort(ports)
			again := tsharkHellos(t, path, slices.Compact(ports))
			for key := range ours {
				if matched[key] {
					continue
				}
				if _, ok := again[key]; !ok {
					t.Errorf("%s: the sensor finds a ClientHello from %s that Wireshark does not, even decoding its port as TLS", name, key)
				} else if _, listed := wiresharkMisses[name]; !listed {
					t.Errorf("%s: Wireshark finds the ClientHello from %s only with -d: list the capture in wiresharkMisses", name, key)
				}
			}
		}
	}
}

// otherFamilyMatched: in a 4in6 or 6in4 tunnel a hello is listed under
// both address families; one of them matching a flow is enough.
func otherFamilyMatched(key string, hs []hello, theirs map[string][]hello, ours map[string]hello) bool {
	for k, other := range theirs {
		if k != key && slices.Equal(other, hs) {
			if _, ok := ours[k]; ok {
				return true
			}
		}
	}
	return false
}

func helloOf(r *eve.TLSRecord) hello {
	h := hello{sni: r.SNI}
	if r.JA3 != nil {
		h.ja3Full, h.ja3 = r.JA3.String, r.JA3.Hash
	}
	return h
}

// ja4Deviations: captures where the reference output departs from the JA4
// specification, which the sensor follows.
var ja4Deviations = map[string]string{
	"ja4/tls-non-ascii-alpn.pcapng": "ALPN with non-alphanumeric bytes 0xba..0xad: the spec gives their hex digits (\"bd\"); the reference tool prints \"99\"",
}

// TestJA4Reference: the JA4 (all four forms) of every TCP stream in the
// JA4 reference output equals the sensor's.
func TestJA4Reference(t *testing.T) {
	dir := sharedpcaps.PcapDir(t)
	compared := 0
	for _, name := range sharedpcaps.Captures(t) {
		streams, ok := sharedpcaps.JA4Expected(t, name)
		if !ok {
			continue
		}
		flows, _ := readCapture(t, filepath.Join(dir, name))
		byPorts := map[string]*flow.Flow{}
		for _, f := range flows {
			byPorts[fmt.Sprint(f.Client.Port, " ", f.Server.Port)] = f
			byPorts[fmt.Sprint(f.Server.Port, " ", f.Client.Port)] = f
		}
		for _, s := range streams {
			if s.JA4 == "" || strings.HasPrefix(s.JA4, "q") {
				continue
			}
			f := byPorts[s.SrcPort+" "+s.DstPort]
			if f == nil {
				t.Errorf("%s: stream %d: no flow on ports %s/%s", name, s.Stream, s.SrcPort, s.DstPort)
				continue
			}
			h := tlsparse.FromFlow(f, nil)
			if h.Client == nil {
				t.Errorf("%s: stream %d: no ClientHello parsed: %v", name, s.Stream, h.ClientErr)
				continue
			}
			got := h.Client.JA4('t')
			compared++
			if _, dev := ja4Deviations[name]; dev {
				continue
			}
			if got.JA4 != s.JA4 || got.JA4R != s.JA4R || got.JA4O != s.JA4O || got.JA4RO != s.JA4RO {
				t.Errorf("%s: stream %d:\n got  %s %s\n want %s %s", name, s.Stream, got.JA4, got.JA4O, s.JA4, s.JA4O)
			}
		}
	}
	t.Logf("%d JA4 reference streams compared", compared)
}
