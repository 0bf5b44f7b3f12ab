package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/sensor/decode"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
)

func runFlows(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("flows", flag.ContinueOnError)
	var in inputFlags
	in.register(fs)
	outPath := fs.String("w", "", "write the JSON lines to this file instead of stdout")
	noTLS := fs.Bool("no-tls", false, "skip TLS parsing: no app_proto and tls fields (for measuring the packet path alone)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file (for performance work)")
	allocProfile := fs.String("allocprofile", "", "write an allocation profile to this file at the end (for performance work)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: tlsentry flows -r FILE [-r FILE ...] [-w OUT] [flags]\n\nOne JSON object per TCP flow or QUIC flow: addresses, counters, TLS handshake, the 1024-byte prefix (base64).")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return ignoreHelp(err)
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

func ignoreHelp(err error) error {
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
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
	fmt.Fprintf(w, "summary: files=%d packets_read=%d decoded=%d (udp=%d, not_quic=%d) problems=%d\n", ps.Files, ps.Packets.Read, ps.Packets.Decoded, fs.Datagrams, fs.NotQUIC, ps.Errors)
	fmt.Fprintf(w, "summary: skipped %s\n", orNone(skipped))
	fmt.Fprintf(w, "summary: flows=%d %s still_open=%d\n", total, orNone(ended), open)
	fmt.Fprintf(w, "summary: evicted_active=%d evicted_finished=%d gaps=%d out_of_order=%d retransmits=%d overlaps=%d pending_overflows=%d\n",
		fs.EvictedActive, fs.EvictedFinished, fs.Gaps, fs.OutOfOrder, fs.Retransmits, fs.Overlaps, fs.PendingOverflows)
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, " ")
}
