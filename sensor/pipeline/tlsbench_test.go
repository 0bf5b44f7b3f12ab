package pipeline

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/sharedpcaps"
	"github.com/tlsentry/tlsentry/sensor/eve"
)

// BenchmarkTLSRecord measures the per-flow TLS work of a flow record
// (parse both handshakes, fingerprints, tls object, JSON) over the TLS
// flows of real captures, against the same record without TLS:
// with-tls shares one CertCache across flows, as a sensor does (each
// certificate and hello is parsed or rendered once); with-tls-nocache
// parses every certificate and renders every fingerprint.
func BenchmarkTLSRecord(b *testing.B) {
	dir, ok := sharedpcaps.Dir()
	if !ok {
		b.Skip("needs ../shared/pcaps")
	}
	var flows []*flow.Flow
	for _, n := range []string{"ja4/tls-handshake.pcapng", "ja4/latest.pcapng", "ja4/browsers-x509.pcapng", "ndpi/sites.pcapng", "suricata-verify/tls_tls-subjectaltname_input.pcap", "zeek/tls-conn-with-extensions.pcap"} {
		fs, _ := readCapture(b, filepath.Join(dir, n))
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
					h = tlsparse.FromFlow(f, certs)
				}
				rec := eve.NewFlowRecord(f, h)
				buf = rec.AppendJSON(buf[:0])
				h.Release() // as the record writer does once a batch is written
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/flow")
		})
	}
}

// benchBatch is the batch size of `tlsentry flows`.
const benchBatch = 256

// BenchmarkRecordBatch measures the record sink's work per flow (TLS
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
			batch := &Batch{}
			if mode == "with-tls" {
				batch.parser = &parser{certs: tlsparse.NewCertCache(4096)}
			}
			sink := NewRecordSink(io.Discard, "")
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				from := (i * benchBatch) % len(flows)
				batch.reset()
				for _, f := range flows[from:min(from+benchBatch, len(flows))] {
					batch.Results = append(batch.Results, Result{Flow: f})
					batch.hs = append(batch.hs, nil)
				}
				if err := sink.Encode(batch); err != nil {
					b.Fatal(err)
				}
				batch.releaseAll()
			}
			perBatch := float64(min(benchBatch, len(flows)))
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
		dir, ok := sharedpcaps.Dir()
		if !ok {
			b.Skip("needs TLSENTRY_BENCH_PCAP or ../shared/pcaps")
		}
		for _, n := range []string{"ja4/tls-handshake.pcapng", "ja4/latest.pcapng", "ja4/browsers-x509.pcapng", "ndpi/sites.pcapng", "suricata-verify/tls_tls-subjectaltname_input.pcap", "zeek/tls-conn-with-extensions.pcap"} {
			paths = append(paths, filepath.Join(dir, n))
		}
	}
	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()
	flows := &Collector{Limit: max, Full: cancel}
	p, err := New(Config{Shards: 1, Tuning: DefaultTuning(), Ordered: true, EmptyFlows: true, Sink: flows})
	if err != nil {
		b.Fatal(err)
	}
	if err := p.Run(ctx, &FileInput{Paths: paths}); err != nil && ctx.Err() == nil {
		b.Fatal(err)
	}
	if len(flows.Flows()) == 0 {
		b.Fatal("no flows")
	}
	return flows.Flows()
}
