package sensor

import (
	"path/filepath"
	"testing"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/testdata"
)

// BenchmarkTLSRecord measures the per-flow TLS work of a flow record
// (parse both handshakes, fingerprints, tls object, JSON) over the TLS
// flows of real captures, against the same record without TLS:
// with-tls shares one CertCache across flows, as a sensor does (each
// certificate and hello is parsed or rendered once); with-tls-nocache
// parses every certificate and renders every fingerprint.
func BenchmarkTLSRecord(b *testing.B) {
	dir, ok := testdata.Dir()
	if !ok {
		b.Skip("needs ../shared/pcaps")
	}
	var flows []*flow.Flow
	for _, n := range []string{"ja4/tls-handshake.pcapng", "ja4/latest.pcapng", "ja4/browsers-x509.pcapng", "ndpi/sites.pcapng", "suricata-verify/tls_tls-subjectaltname_input.pcap", "zeek/tls-conn-with-extensions.pcap"} {
		fs, _ := readCaptureB(b, filepath.Join(dir, n))
		for _, f := range fs {
			if len(f.ClientHandshake) > 0 {
				flows = append(flows, f)
			}
		}
	}
	var buf []byte
	for _, mode := range []string{"without-tls", "with-tls", "with-tls-nocache"} {
		var certs *tlsparse.CertCache
		if mode == "with-tls" {
			certs = tlsparse.NewCertCache(4096)
		}
		b.Run(mode, func(b *testing.B) {
			b.ReportAllocs()
			for i := range b.N {
				f := flows[i%len(flows)]
				h := &tlsparse.Handshake{}
				if mode != "without-tls" {
					h = ParseHandshake(f, certs)
				}
				rec := NewFlowRecord(f, h)
				buf = rec.AppendJSON(buf[:0])
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/flow")
		})
	}
}

func readCaptureB(b *testing.B, path string) ([]*flow.Flow, error) {
	var flows []*flow.Flow
	table, err := flow.NewTable(flow.Config{}, func(f *flow.Flow) { flows = append(flows, f) })
	if err != nil {
		return nil, err
	}
	r := &FileReader{Decoder: NewDecoder(), Flows: table}
	r.ReadFiles(b.Context(), []string{path})
	table.Flush()
	return flows, nil
}
