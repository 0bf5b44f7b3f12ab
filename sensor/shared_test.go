package sensor

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/testdata"
)

// readCapture runs one capture through a decoder and a default table and
// returns the flows and the problems reported.
func readCapture(t *testing.T, path string) ([]*flow.Flow, []error) {
	t.Helper()
	var flows []*flow.Flow
	table, err := flow.NewTable(flow.Config{}, func(f *flow.Flow) { flows = append(flows, f) })
	if err != nil {
		t.Fatal(err)
	}
	var problems []error
	r := &FileReader{Decoder: NewDecoder(), Table: table, Report: func(err error) { problems = append(problems, err) }}
	if err := r.ReadFiles(context.Background(), []string{path}); (err != nil) != (len(problems) > 0) {
		t.Errorf("%s: ReadFiles returned %v with %d problems reported", path, err, len(problems))
	}
	table.Flush()
	return flows, problems
}

// helloDifferences lists, per capture, how the number of flows with a
// ClientHello differs from Wireshark's count of ClientHello messages, and why.
var helloDifferences = map[string]struct {
	delta int
	cause string
}{
	"ja4/tls-handshake.pcapng":                             {-5, "5 connections send a second ClientHello after a HelloRetryRequest: Wireshark counts messages, a flow keeps its first hello"},
	"ja4/tls-sni.pcapng":                                   {-5, "the same 5 HelloRetryRequest connections as tls-handshake.pcapng"},
	"suricata-verify/tls-duplicate-hello_input.pcap":       {-1, "the client sends its ClientHello twice in one connection"},
	"suricata-verify/tls_tls13-draft22_tls13_draft22.pcap": {-1, "second ClientHello after a HelloRetryRequest, same connection"},
	"zeek/hrr.pcap":                                        {-1, "second ClientHello after a HelloRetryRequest, same connection"},
	"ndpi/gnutella.pcap":                                   {+1, "Wireshark misses the TLS on TCP 6888 without -d tcp.port==6888,tls (with it, it finds 5)"},
	"ndpi/ookla.pcap":                                      {+1, "Wireshark takes TCP 8080 for an HTTP proxy and misses the TLS without -d tcp.port==8080,tls (with it, it finds 2)"},
}

// corruptCaptures are broken on purpose (Wireshark calls them damaged too):
// they must give exactly one problem, naming the packet, and lose nothing before it.
var corruptCaptures = map[string]string{
	"suricata-verify/bug-1450-04_tls_DER-incomplete-header.pcap":  "packet 7: capture length exceeds snap length",
	"suricata-verify/bug-1450-05_tls_DER-incomplete-content.pcap": "packet 7: capture length exceeds snap length",
}

// TestSharedCapturesClientHellos checks every shared capture: no problem on
// a valid file, and every connection whose client sends a ClientHello is found.
func TestSharedCapturesClientHellos(t *testing.T) {
	dir := testdata.PcapDir(t)
	want := testdata.ClientHelloCounts(t)
	total, found := 0, 0
	for _, name := range testdata.Captures(t) {
		flows, problems := readCapture(t, filepath.Join(dir, name))
		got := 0
		for _, f := range flows {
			if len(f.ClientHandshake) > 0 {
				got++
			}
		}
		exp, known := want[name]
		if !known {
			t.Errorf("%s: not in clienthello-counts.txt", name)
		}
		d := helloDifferences[name]
		total += exp
		found += got
		if got != exp+d.delta {
			t.Errorf("%s: %d flows with a ClientHello, want %d (Wireshark %d, known difference %+d)", name, got, exp+d.delta, exp, d.delta)
		}
		if msg, bad := corruptCaptures[name]; bad {
			var ce *CaptureError
			if len(problems) != 1 || !errors.As(problems[0], &ce) || !strings.Contains(problems[0].Error(), msg) {
				t.Errorf("%s: problems %v, want one saying %q", name, problems, msg)
			}
		} else if len(problems) > 0 {
			t.Errorf("%s: problems on a valid capture: %v", name, problems)
		}
	}
	t.Logf("flows with a ClientHello: %d; Wireshark's ClientHello messages: %d", found, total)
}
