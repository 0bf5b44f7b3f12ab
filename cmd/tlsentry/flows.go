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
	var files fileList
	var tf tableFlags
	fs.Var(&files, "r", "capture file to read (pcap or pcapng); repeat for several, read in order")
	outPath := fs.String("w", "", "write the JSON lines to this file instead of stdout")
	workers := fs.Int("workers", 1, "flow table shards, each on its own goroutine; above 1 the records are the same but their order may vary")
	noTLS := fs.Bool("no-tls", false, "skip TLS parsing: no app_proto and tls fields (for measuring the packet path alone)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file (for performance work)")
	tf.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: tlsentry flows -r FILE [-r FILE ...] [-w OUT] [flags]\n\nOne JSON object per TCP flow: addresses, counters, the 1024-byte prefix (base64).")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return ignoreHelp(err)
	}
	if len(files) == 0 {
		fs.Usage()
		return fmt.Errorf("%w: flows needs at least one -r FILE", errUsage)
	}
	cfg, err := tf.config()
	if err != nil {
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
	records := sensor.NewRecordWriter(w, !*noTLS, tlsparse.NewCertCache(certCacheSize))
	reader := &sensor.FileReader{
		Decoder: sensor.NewDecoder(),
		Report:  func(err error) { fmt.Fprintln(stderr, "tlsentry flows:", err) },
	}
	var (
		flows *flow.Sharded
		end   func() // hands out what is left in the tables
	)
	if *workers <= 1 {
		flows, err = flow.NewSharded(1, cfg, func(int) func(*flow.Flow) { return records.Add })
		reader.Flows, end = flows, flows.Flush
	} else {
		producers := make([]*sensor.Producer, *workers)
		for i := range producers {
			producers[i] = records.Producer()
		}
		flows, err = flow.NewSharded(*workers, cfg, func(i int) func(*flow.Flow) { return producers[i].Add })
		if err == nil {
			d := sensor.NewDispatcher(flows, func(i int) { producers[i].Flush() })
			reader.Flows, end = d, d.Close
		}
	}
	if err != nil {
		records.Close()
		closeOut()
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	readErr := reader.ReadFiles(ctx, files)
	if errors.Is(readErr, context.Canceled) {
		readErr = fmt.Errorf("interrupted: the flows read so far are written: %w", readErr)
	}
	end()
	writeErr := records.Close()
	closeErr := closeOut()
	st := flows.Stats()
	printSummary(stderr, &reader.Stats, &st, flows.Len())
	return errors.Join(readErr, writeErr, closeErr)
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
