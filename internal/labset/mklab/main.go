// Command mklab writes labelled captures for evaluating detectors:
// DIR/benign.pcap (and DIR/benign-train.pcap, another run of the same
// client set-ups, for training) and one DIR/KIND.pcap per anomaly kind.
//
//	go run ./internal/labset/mklab -o DIR [-n 200] [-seed 1]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tlsentry/tlsentry/internal/labset"
)

func main() {
	dir := flag.String("o", "bench/out/lab", "folder to write the captures into")
	n := flag.Int("n", 200, "flows per capture")
	seed := flag.Uint64("seed", 1, "seed of every choice but the TLS randomness")
	flag.Parse()
	if err := run(*dir, *n, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "mklab:", err)
		os.Exit(1)
	}
}

func run(dir string, n int, seed uint64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ctx := context.Background()
	train, err := labset.WriteSet(ctx, dir, labset.Benign, 2*n, seed+1000)
	if err != nil {
		return err
	}
	if err := os.Rename(train, filepath.Join(dir, "benign-train.pcap")); err != nil {
		return err
	}
	for _, kind := range append([]string{labset.Benign}, labset.Anomalies()...) {
		p, err := labset.WriteSet(ctx, dir, kind, n, seed)
		if err != nil {
			return err
		}
		fmt.Println(p)
	}
	return nil
}
