package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tlsentry/tlsentry/detector"
	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/termsafe"
)

// trainModel trains, or with an encoder model refits around its encoder.
func trainModel(ctx context.Context, encoder string, flows []*flow.Flow, cfg detector.TrainConfig) (*model.File, error) {
	if encoder == "" {
		return detector.Train(ctx, flows, cfg)
	}
	base, err := readModelFile(encoder)
	if err != nil {
		return nil, err
	}
	return detector.TrainWithEncoder(ctx, base, flows, cfg)
}

func readModelFile(path string) (*model.File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	f, err := model.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", path, err)
	}
	return f, nil
}

// runUpdate adds flows to a model's baseline (train -update). The flow
// log cannot feed it: its records hold the parsed fields, not the
// handshake bytes and prefix the features are computed from.
func runUpdate(path, out string, flows []*flow.Flow, stdout io.Writer, loadErr error) error {
	f, err := readModelFile(path)
	if err != nil {
		return err
	}
	g, rep, err := detector.Update(f, flows)
	if err != nil {
		return err
	}
	data, err := g.Encode()
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	fmt.Fprintf(stdout, "model %s: %s %s, baseline of %s updated with %d flows (%d -> %d known); threshold %.3f -> %.3f bits\n",
		termsafe.Value(out), g.Meta.Kind, g.ID, termsafe.Value(path), rep.Flows, rep.KnownBefore, rep.KnownNow, rep.OldThreshold, rep.NewThreshold)
	fmt.Fprintf(stdout, "  rhythm: %s\n", rhythmWords(rep.RhythmNow, rep.PeriodicKnownNow))
	fmt.Fprintf(stdout, "  private CAs known as this network's own: %d -> %d\n", rep.IssuersKnownBefore, rep.IssuersKnownNow)
	fmt.Fprintf(stdout, "  servers with small TLS 1.3 certificates known as this network's own: %d -> %d\n", rep.FlightsKnownBefore, rep.FlightsKnownNow)
	fmt.Fprintf(stdout, "  generic TLDs known (the public corpus's and this network's): %d -> %d\n", rep.TLDsKnownBefore, rep.TLDsKnownNow)
	fmt.Fprintf(stdout, "  new flows left out of the evidence's rates (odd among the others, each judged without itself): %d\n", rep.OddFlows)
	printStillAlerting(stdout, rep.StillAlerting)
	return loadErr
}

// printStillAlerting names the new flows the updated model still alerts
// on: the baseline learned their values but not their evidence, which
// the other new flows did not show, and the threshold was not raised for
// them.
func printStillAlerting(w io.Writer, out []detector.Outlier) {
	if len(out) == 0 {
		return
	}
	fmt.Fprintf(w, "  %d of the new flows still alert (evidence the other new flows do not show; allowlist them if they are this network's own):\n", len(out))
	for _, o := range out[:min(len(out), maxListed)] {
		fmt.Fprintf(w, "    %s -> %s %.2f bits\n", o.Flow.Client.AddrPort(), o.Flow.Server.AddrPort(), o.Score)
	}
	if n := len(out) - maxListed; n > 0 {
		fmt.Fprintf(w, "    and %d more\n", n)
	}
}

// maxListed bounds the flows printStillAlerting lists, highest first.
const maxListed = 10

// tlsPortFlows keeps the flows with payload to a well-known TLS port:
// what a TLS sensor watches.
func tlsPortFlows(flows []*flow.Flow) []*flow.Flow {
	var out []*flow.Flow
	for _, f := range flows {
		if len(f.Prefix) > 0 && flow.IsDefaultTLSPort(f.Server.Port) {
			out = append(out, f)
		}
	}
	return out
}

// readWords reads a word list, one word a line; nil when it cannot.
func readWords(path string) []string {
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []string
	for _, w := range strings.Fields(string(data)) {
		if !strings.ContainsRune(w, '\'') {
			out = append(out, strings.ToLower(w))
		}
	}
	return out
}
