package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/detector/model"
)

// crafted is a name with a newline (to forge a line), a screen clear and
// a window title sequence.
const crafted = "evil\n\x1b[2J\x1b]0;pwned\x07"

// craftedEscaped is how every text output writes it.
const craftedEscaped = `evil\n\x1b[2J\x1b]0;pwned\a`

// checkEscaped fails when text holds the crafted string, or any part a
// terminal acts on, raw; want is what must be there instead.
func checkEscaped(t *testing.T, what, text string, want ...string) {
	t.Helper()
	if strings.ContainsAny(text, "\x1b\x07") || strings.Contains(text, "evil\n") {
		t.Errorf("%s: the crafted name reached the output raw:\n%q", what, text)
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s: no %s in:\n%s", what, w, text)
		}
	}
}

// TestTextOutputsEscape: every text output that prints strings from files
// or from the command line's file names escapes them (the train summary's
// server names: TestTrainSummaryEscapes): the capture problems of flows,
// score and extract, eval's problems, check-config's summary and
// problems, train's model report, and the final error line.
func TestTextOutputsEscape(t *testing.T) {
	dir := t.TempDir()
	evil := filepath.Join(dir, crafted+".pcap")
	if err := os.WriteFile(evil, []byte("not a capture at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(dir, "png")
	for _, args := range [][]string{
		{"flows", "-r", evil},
		{"score", "-r", evil},
		{"extract", "-png", png, "-r", evil},
	} {
		_, stderr, err := runCmd(t, args...)
		if err == nil {
			t.Fatalf("%s on a file that is not a capture: no error", args[0])
		}
		checkEscaped(t, args[0], stderr, craftedEscaped+".pcap: not a pcap or pcapng file")
	}

	_, stderr, err := runCmd(t, "eval", "-benign", evil, "-anomalous", sample)
	if err == nil {
		t.Fatal("eval without benign flows: no error")
	}
	checkEscaped(t, "eval", stderr, "eval: "+dir+"/"+craftedEscaped+".pcap: not a pcap or pcapng file")

	// The final error line.
	var b bytes.Buffer
	_, _, err = runCmd(t, "score", "-r", sample, "-model", filepath.Join(dir, crafted+".model"))
	printError(&b, errors.Join(err, fmt.Errorf("second: %s", crafted)))
	checkEscaped(t, "the final error", b.String(), craftedEscaped+".model: no such file", "tlsentry: second: "+craftedEscaped+"\n")
	if n := strings.Count(b.String(), "\n"); n != 2 {
		t.Errorf("the final error takes %d lines, want 2 (one per joined error):\n%s", n, b.String())
	}

	// check-config: a log path with the crafted name passes, and is
	// escaped in the summary; one under a regular file is a problem, escaped.
	logs := filepath.Join(dir, "logs")
	yaml := func(alertLog string) string {
		path := filepath.Join(dir, "crafted.yaml")
		text := fmt.Sprintf("sensor:\n  name: s1\noutput:\n  alert_log: %q\nmetrics:\n  listen: \"\"\n", alertLog)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	out, stderr, err := runCmd(t, "check-config", "-offline", "-no-model", yaml(filepath.Join(logs, crafted+".json")))
	if err != nil {
		t.Fatalf("check-config: %v\n%s", err, stderr)
	}
	checkEscaped(t, "check-config summary", out, `alerts to "`+logs+`/`+craftedEscaped+`.json"`)
	_, stderr, err = runCmd(t, "check-config", "-offline", "-no-model", yaml(filepath.Join(evil, crafted+".json")))
	if err == nil {
		t.Fatal("check-config with a log under a regular file: no error")
	}
	checkEscaped(t, "check-config problems", stderr+err.Error(), "output.alert_log: mkdir "+dir+"/"+craftedEscaped+".pcap: not a directory")

	// train's report of the model it wrote: the file's path and the
	// capture files it learned from.
	b.Reset()
	f := &model.File{ID: "0123456789ab", Meta: model.Meta{Kind: model.KindHybrid, Training: model.Training{Sources: []string{crafted + ".pcap"}}}}
	printModel(&b, crafted+".model", f)
	checkEscaped(t, "train's model report", b.String(), `model "`+craftedEscaped+`.model"`, `from "`+craftedEscaped+`.pcap"`)
}
