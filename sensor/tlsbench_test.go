package sensor

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
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
				h.Release() // as the record writer does once a batch is written
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

// BenchmarkRecordBatch measures the record writer's work per flow (TLS
// parsing, record, JSON) without and with TLS parsing, in batches as the
// writer does, over every flow of a capture: TLSENTRY_BENCH_PCAP names
// it (the benchmark capture of ../shared/bench, say; its first
// $TLSENTRY_BENCH_FLOWS flows, 100,000 by default: far more than the
// processor caches hold, as in a sensor), else the TLS captures of
// BenchmarkTLSRecord. The difference
// of the two is what TLS parsing adds to `tlsentry flows`.
func BenchmarkRecordBatch(b *testing.B) {
	limit := 100_000
	if n, err := strconv.Atoi(os.Getenv("TLSENTRY_BENCH_FLOWS")); err == nil && n > 0 {
		limit = n
	}
	flows := benchFlows(b, limit)
	for _, mode := range []string{"without-tls", "with-tls"} {
		b.Run(mode, func(b *testing.B) {
			r := &RecordWriter{parseTLS: mode == "with-tls", certs: tlsparse.NewCertCache(4096)}
			var e batchEncoder
			var buf []byte
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				from := (i * recordBatch) % len(flows)
				batch := flows[from:min(from+recordBatch, len(flows))]
				buf = r.encodeBatch(&e, batch, buf[:0])
			}
			perBatch := float64(min(recordBatch, len(flows)))
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/(float64(b.N)*perBatch), "ns/flow")
		})
	}
}

// benchFlows reads the flows of $TLSENTRY_BENCH_PCAP (at most max), or
// of a few TLS captures from ../shared.
func benchFlows(b *testing.B, max int) []*flow.Flow {
	var paths []string
	if p := os.Getenv("TLSENTRY_BENCH_PCAP"); p != "" {
		paths = []string{p}
	} else {
		dir, ok := testdata.Dir()
		if !ok {
			b.Skip("needs TLSENTRY_BENCH_PCAP or ../shared/pcaps")
		}
		for _, n := range []string{"ja4/tls-handshake.pcapng", "ja4/latest.pcapng", "ja4/browsers-x509.pcapng", "ndpi/sites.pcapng", "suricata-verify/tls_tls-subjectaltname_input.pcap", "zeek/tls-conn-with-extensions.pcap"} {
			paths = append(paths, filepath.Join(dir, n))
		}
	}
	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()
	var flows []*flow.Flow
	table, err := flow.NewTable(flow.Config{}, func(f *flow.Flow) {
		if len(flows) < max {
			flows = append(flows, f)
		} else {
			cancel()
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	r := &FileReader{Decoder: NewDecoder(), Flows: table}
	if err := r.ReadFiles(ctx, paths); err != nil && ctx.Err() == nil {
		b.Fatal(err)
	}
	table.Flush()
	if len(flows) == 0 {
		b.Fatal("no flows")
	}
	return flows[:min(len(flows), max)]
}
