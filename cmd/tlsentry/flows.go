package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/sensor"
)

// certCacheSize bounds the certificates remembered across flows.
const certCacheSize = 4096

func runFlows(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("flows", flag.ContinueOnError)
	var in inputFlags
	in.register(fs)
	outPath := fs.String("w", "", "write the JSON lines to this file instead of stdout")
	noTLS := fs.Bool("no-tls", false, "skip TLS parsing: no app_proto and tls fields (for measuring the packet path alone)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file (for performance work)")
	allocProfile := fs.String("allocprofile", "", "write an allocation profile to this file at the end (for performance work)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: tlsentry flows -r FILE [-r FILE ...] [-w OUT] [flags]\n\nOne JSON object per TCP flow: addresses, counters, TLS handshake, the 1024-byte prefix (base64).")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return ignoreHelp(err)
	}
	if len(in.files) == 0 {
		fs.Usage()
		return fmt.Errorf("%w: flows needs at least one -r FILE", errUsage)
	}
	if _, err := in.table.config(); err != nil {
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
	records := sensor.NewRecordWriter(w, !*noTLS, tlsparse.NewCertCache(certCacheSize), nil)
	readErr := readFlows(ctx, "flows", &in, newRecordSink(records, in.workers), stderr)
	writeErr := records.Close()
	closeErr := closeOut()
	var profErr error
	if *allocProfile != "" {
		profErr = writeAllocProfile(*allocProfile)
	}
	return errors.Join(readErr, writeErr, closeErr, profErr)
}

func ignoreHelp(err error) error {
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}

// printSummary writes the end-of-run counters as key=value lines.
func printSummary(w io.Writer, ps *sensor.PacketStats, fs *flow.Stats, open int) {
	var skipped []string
	for _, r := range sensor.SkipReasons() {
		if n := ps.Skipped[r]; n > 0 {
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
	fmt.Fprintf(w, "summary: files=%d packets_read=%d decoded_tcp=%d problems=%d\n", ps.Files, ps.Read, ps.Decoded, ps.Errors)
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
