package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tlsentry/tlsentry/detector"
	"github.com/tlsentry/tlsentry/detector/evidence"
	"github.com/tlsentry/tlsentry/detector/scoring"
	"github.com/tlsentry/tlsentry/sensor/signature"
)

// runModelShow is `tlsentry model show [-markdown] [MODEL]`: what a model
// is and what each of its evidence checks weighs, so that an analyst can
// read how a reason's bits were set, and an operator what a site's model
// learned of the site.
func runModelShow(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("model show", modelHelp)
	markdown := fs.Bool("markdown", false, "print the checks as docs/checks.md lists them (a Markdown table with what makes each fire)")
	if err := parseFlagsAndArgs(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return fmt.Errorf("%w: give at most one model file (none: the embedded default)", errUsage)
	}
	m, _, err := loadModel(fs.Arg(0), 0)
	if err != nil {
		return err
	}
	t, err := m.Evidence()
	if err != nil {
		return fmt.Errorf("%s: %w", m.Name(), err)
	}
	if *markdown {
		if t == nil {
			return fmt.Errorf("%s: a %s model has no evidence checks", m.Name(), m.Kind())
		}
		return writeChecksMarkdown(stdout, m, t)
	}
	return writeModelText(stdout, m, t)
}

// writeModelText prints the model's summary, then its checks one a line.
func writeModelText(w io.Writer, m *detector.Model, t *evidence.Table) error {
	meta := m.File.Meta
	fmt.Fprintf(w, "model %s: threshold %.2f (alert rate %g of its calibration flows)\n", m.Name(), meta.Threshold, meta.AlertRate)
	tr := meta.Training
	fmt.Fprintf(w, "trained on %d flows (+%d for validation) of %d sources, seed %d, %d epochs\n",
		tr.Flows, tr.ValidationFlow, len(tr.Sources), tr.Seed, tr.Epochs)
	if tr.Notes != "" {
		fmt.Fprintf(w, "notes: %s\n", tr.Notes)
	}
	if t == nil {
		fmt.Fprintf(w, "a %s model scores by its learned part alone: it has no evidence checks\n", m.Kind())
		return nil
	}
	fmt.Fprintf(w, "evidence calibrated on %s\n", t.Corpus)
	fmt.Fprintf(w, "known to this model's site: %d private CAs, %d servers with small TLS 1.3 flights, %d self-made certificates, %d breaches\n",
		len(t.KnownIssuers), len(t.KnownFlights), len(t.KnownSelfMade), len(t.KnownBreaches))
	if len(t.KnownTLDs) > 0 {
		fmt.Fprintf(w, "generic TLDs known (captures that used them): %s\n", knownTLDs(t))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := []string{"CHECK", "GROUP", "CORPUS", "BITS"}
	for _, e := range eraNames(t) {
		head = append(head, strings.ToUpper(e))
	}
	fmt.Fprintln(tw, strings.Join(append(head, "SIGNATURE"), "\t"))
	for _, c := range t.Calibrations() {
		fmt.Fprintln(tw, strings.Join(append([]string{c.ID, c.Group}, weightCells(c)...), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "CORPUS: the benign flows the check fired on, of those it applies to; BITS: -log2((fired + 1/2) / (applied + 1)),")
	fmt.Fprintln(w, "\"breach\": a breach the corpus never showed, weighed at the threshold (it alerts on its own).")
	if len(t.Eras) > 0 {
		fmt.Fprintln(w, "Era columns: what a flow of that time weighs, \"=\" where the era takes the whole corpus's rate (its own does not differ beyond chance).")
	}
	return nil
}

// eraNames are the eras' column names: "before 2020-01-01", "since
// 2020-01-01".
func eraNames(t *evidence.Table) []string {
	starts := t.EraStarts()
	names := make([]string, len(starts))
	for i := range starts {
		switch {
		case i+1 < len(starts) && i == 0:
			names[i] = "before " + day(starts[i+1])
		case i+1 < len(starts):
			names[i] = day(starts[i]) + " to " + day(starts[i+1])
		default:
			names[i] = "since " + day(starts[i])
		}
	}
	return names
}

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func rateText(r evidence.Rate) string { return fmt.Sprintf("%d/%d", r.Fired, r.Applied) }

func bitsText(w evidence.Weight) string {
	if w.Decides {
		return fmt.Sprintf("%.2f breach", w.Bits)
	}
	return fmt.Sprintf("%.2f", w.Bits)
}

// weightCells are a check's columns after its name, as both tables give
// them: its corpus rate and bits, each era's weight, its signature.
func weightCells(c evidence.Calibration) []string {
	cells := []string{rateText(c.Whole.Rate), bitsText(c.Whole)}
	for _, e := range c.Eras {
		cells = append(cells, eraText(e))
	}
	return append(cells, fmt.Sprint(signatureOf(c.CheckInfo).ID))
}

// eraText is an era's weight: "=" where it takes the whole corpus's.
func eraText(w evidence.Weight) string {
	if w.From < 0 {
		return "="
	}
	return bitsText(w) + " (" + rateText(w.Rate) + ")"
}

// signatureOf is the signature a check's findings alert under.
func signatureOf(c evidence.CheckInfo) signature.Signature {
	r := scoring.Reason{Layer: scoring.LayerEvidence, Feature: strings.TrimSuffix(c.ID, "*")}
	if c.Group == evidence.GroupExploit {
		r = scoring.Reason{Layer: scoring.LayerExploit, Feature: c.ID + "."}
	}
	return signature.Of(r)
}

// knownTLDs lists a table's known generic TLDs, those most captures used
// first: ".com 55, .net 14, ...".
func knownTLDs(t *evidence.Table) string {
	tlds := t.KnownTLDsByUse()
	parts := make([]string, len(tlds))
	for i, tld := range tlds {
		parts[i] = fmt.Sprintf(".%s %d", tld, t.KnownTLDs[tld])
	}
	return strings.Join(parts, ", ")
}
