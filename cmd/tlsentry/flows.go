package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/sensor/decode"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
)

var flowsHelp = help{
	usage: []string{"tlsentry flows -r FILE [-r FILE ...] [-w OUT] [flags]"},
	about: `Reads pcap and pcapng files (gzip-compressed or not; - is standard
input) in order, as one stream of packets, and prints one JSON object per
TCP flow or QUIC flow (UDP whose Initial packets carry the TLS handshake)
with Suricata eve.json field names: addresses
and ports (src is the client), packet and byte counters, first and last
packet times, why the flow ended (end_reason), what the client spoke
(app_proto), the TLS handshake (version, SNI, ALPN, cipher suite, JA3,
JA3N, JA3S, JA4, the certificate when it is in clear) and the first 1024
payload bytes of both directions (prefix, base64).

A summary goes to stderr at the end. Problems in the input (a truncated
capture, a file that is not a capture, malformed packets) are reported with
the file and packet number; reading goes on with what can be read, and the
exit status is 1.`,
}

func runFlows(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("flows", flowsHelp)
	var in inputFlags
	in.register(fs)
	outPath := fs.String("w", "", "write the JSON lines to this file instead of stdout")
	noTLS := fs.Bool("no-tls", false, "skip TLS parsing: no app_proto and tls fields (for measuring the packet path alone)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file (for performance work)")
	allocProfile := fs.String("allocprofile", "", "write an allocation profile to this file at the end (for performance work)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if len(in.files) == 0 {
		fs.Usage()
	}
	if err := in.check("flows"); err != nil {
		return err
	}
	if *cpuProfile != "" {
		stopProfile, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	w, closeOut, err := output(*outPath, stdout)
	if err != nil {
		return err
	}
	cfg := pipeline.Config{ParseTLS: !*noTLS, EmptyFlows: true, Sink: pipeline.NewRecordSink(w, "")}
	readErr := readFiles(ctx, "flows", &in, cfg, stderr)
	closeErr := closeOut()
	var profErr error
	if *allocProfile != "" {
		profErr = writeAllocProfile(*allocProfile)
	}
	return errors.Join(readErr, closeErr, profErr)
}

// printSummary writes the end-of-run counters as key=value lines.
func printSummary(w io.Writer, ps *pipeline.FileStats, fs *flow.Stats, open int) {
	var skipped []string
	for _, r := range decode.SkipReasons() {
		if n := ps.Packets.Skipped[r]; n > 0 {
			skipped = append(skipped, fmt.Sprintf("%s=%d", r, n))
		}
	}
	var ended []string
	var total uint64
	for _, r := range flow.EndReasons() {
		total += fs.Emitted[r]
		if n := fs.Emitted[r]; n > 0 {
			ended = append(ended, fmt.Sprintf("%s=%d", r, n))
		}
	}
	fmt.Fprintf(w, "summary: files=%d packets_read=%d decoded=%d (udp=%d, not_quic=%d, reassembled=%d, cut=%d) problems=%d\n",
		ps.Files, ps.Packets.Read, ps.Packets.Decoded, fs.Datagrams, fs.NotQUIC, ps.Reassembled, ps.Packets.Cut, ps.Errors)
	fmt.Fprintf(w, "summary: skipped %s\n", orNone(skipped))
	fmt.Fprintf(w, "summary: flows=%d %s still_open=%d\n", total, orNone(ended), open)
	fmt.Fprintf(w, "summary: evicted_active=%d evicted_finished=%d gaps=%d out_of_order=%d retransmits=%d overlaps=%d overlap_conflicts=%d no_ack_data=%d data_before_start=%d unexpected_signature=%d pending_overflows=%d memcap_given_up=%d memcap_evicted=%d ahead_of_peer=%d ahead_given_up=%d\n",
		fs.EvictedActive, fs.EvictedFinished, fs.Gaps, fs.OutOfOrder, fs.Retransmits, fs.Overlaps, fs.OverlapConflicts, fs.NoACKData, fs.DataBeforeStart, fs.UnexpectedSignature, fs.PendingOverflows, fs.MemcapGiveUps, fs.MemcapEvictions, fs.AheadOfPeer, fs.AheadGivenUp)
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, " ")
}
