package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNumericFlagsRangeChecked: every numeric flag of every command is
// refused out of its range as a usage error (exit status 2) that names
// the flag and its range, before anything is read, opened or written.
func TestNumericFlagsRangeChecked(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.model")
	png := filepath.Join(dir, "png")
	flows := []string{"flows", "-r", sample}
	score := []string{"score", "-r", sample}
	extract := []string{"extract", "-r", sample, "-png", png}
	eval := []string{"eval", "-benign", sample, "-anomalous", sample}
	train := []string{"train", "-r", sample, "-out", out}
	live := []string{"train", "-i", "lo", "-out", out}
	for _, tc := range []struct {
		args []string
		want []string // each in the message
	}{
		{[]string{"-workers", "0"}, []string{"-workers: 0 is out of range (1-256)"}},
		{[]string{"-workers", "100000"}, []string{"-workers: 100000 is out of range (1-256)"}},
		{[]string{"-max-flows", "0"}, []string{"-max-flows: 0 is out of range (1-16777216)"}},
		{[]string{"-max-flows", "16777217"}, []string{"-max-flows: 16777217 is out of range (1-16777216)"}},
		{[]string{"-idle-timeout", "0s"}, []string{"-idle-timeout: 0s is out of range (1s-24h)"}},
		{[]string{"-idle-timeout", "25h"}, []string{"-idle-timeout: 25h is out of range (1s-24h)"}},
		{[]string{"-max-age", "-1s"}, []string{"-max-age: -1s is out of range (1s-24h)"}},
		{[]string{"-verdict-timeout", "3m"}, []string{"-verdict-timeout: 3m is out of range (1s-2m)"}},
		{[]string{"-idle-timeout", "30s", "-verdict-timeout", "0s"}, []string{"-verdict-timeout: 0s is out of range (1s-30s)"}},
		{[]string{"-handshake-limit", "10"}, []string{"-handshake-limit: 10 is out of range (512-1048576)"}},
		{[]string{"-max-flows", "-1", "-handshake-limit", "1073741824"}, []string{"-max-flows: -1 is out of range", "-handshake-limit: 1073741824 is out of range"}},
	} {
		for _, cmd := range [][]string{flows, score, extract, train} {
			if cmd[0] == "train" && tc.args[0] == "-workers" {
				continue // train's -workers is the live capture's (below)
			}
			checkUsage(t, append(append([]string{}, cmd...), tc.args...), tc.want...)
		}
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{append(score, "-threshold", "NaN"), []string{"-threshold: threshold NaN: must be more than 0 and at most 1000"}},
		{append(score, "-threshold", "-1"), []string{"-threshold: threshold -1: must be more than 0"}},
		{append(score, "-threshold", "1001"), []string{"-threshold: threshold 1001: must be more than 0 and at most 1000"}},
		{append(eval, "-threshold", "NaN"), []string{"-threshold: threshold NaN: must be more than 0 and at most 1000"}},
		{append(eval, "-threshold", "0"), []string{"-threshold: threshold 0: must be more than 0"}},
		{append(eval, "-threshold", "-2"), []string{"-threshold: threshold -2: must be more than 0"}},
		{append(eval, "-threshold", "+Inf"), []string{"-threshold: threshold +Inf: must be more than 0 and at most 1000"}},
		{append(train, "-epochs", "-1"), []string{"-epochs: -1 is out of range (0-1000)"}},
		{append(train, "-epochs", "100000"), []string{"-epochs: 100000 is out of range (0-1000)"}},
		{append(train, "-batch", "-8"), []string{"-batch: -8 is out of range (0-1024)"}},
		{append(train, "-batch", "65536"), []string{"-batch: 65536 is out of range (0-1024)"}},
		{append(train, "-trees", "1000000"), []string{"-trees: 1000000 is out of range (0-5000)"}},
		{append(train, "-patience", "0"), []string{"-patience: 0 is out of range (1-100)"}},
		{append(train, "-val-split", "0.5"), []string{"-val-split: 0.5 is out of range (more than 0 and less than 0.5)"}},
		{append(train, "-val-split", "NaN"), []string{"-val-split: NaN is not a number (more than 0 and less than 0.5)"}},
		{append(train, "-alert-rate", "0"), []string{"-alert-rate: 0 is out of range (more than 0 and less than 0.5)"}},
		{append(train, "-alert-rate", "Inf"), []string{"-alert-rate: +Inf is out of range"}},
		{append(train, "-model", "svm"), []string{`-model: "svm" is not a model kind`}},
		{append(train, "-epochs", "-1", "-alert-rate", "1", "-trees", "-1"), []string{"-epochs: -1", "-alert-rate: 1 is out", "-trees: -1"}},
		// Learning mode's flags: refused before any capture opens.
		{append(live, "-duration", "0s"), []string{"-duration: 0s is out of range (1s-744h)"}},
		{append(live, "-duration", "1000h"), []string{"-duration: 1000h is out of range (1s-744h)"}},
		{append(live, "-stop-after", "0"), []string{"-stop-after: 0 is out of range (1-1048576)"}},
		{append(live, "-stop-after", "100000000"), []string{"-stop-after: 100000000 is out of range (1-1048576)"}},
		{append(live, "-workers", "-1"), []string{"-workers: -1 is out of range (1-256)"}},
		{append(live, "-workers", "100000"), []string{"-workers: 100000 is out of range (1-256)"}},
		{append(live, "-ports", "0"), []string{"-ports: item 1, 0, is not a TCP port (1-65535)"}},
		{append(live, "-ports", "443,70000"), []string{"-ports: item 2, 70000, is not a TCP port (1-65535)"}},
		{append(live, "-ports", "443,x\x1b[2J"), []string{`-ports: item 2, "x\x1b[2J", is not a TCP port`}},
		{append(live, "-ports", "443, 443"), []string{"-ports: port 443 is listed twice"}},
		{[]string{"train", "-i", "an-interface-name-too-long", "-out", out}, []string{`-i: "an-interface-name-too-long"`}},
	} {
		checkUsage(t, tc.args, tc.want...)
	}
	// Nothing was written.
	if ents, err := os.ReadDir(dir); err != nil || len(ents) != 0 {
		t.Errorf("files written by refused commands: %v %v", ents, err)
	}
	// The largest values are taken (what they cost: TestLargestValuesStartSmall).
	for _, args := range [][]string{
		append(flows, "-workers", "256", "-max-flows", "16777216", "-idle-timeout", "24h", "-max-age", "24h", "-handshake-limit", "1048576"),
		append(score, "-threshold", "1000", "-workers", "1", "-max-flows", "1", "-idle-timeout", "1s", "-max-age", "1s", "-handshake-limit", "512"),
	} {
		if _, stderr, err := runCmd(t, args...); err != nil {
			t.Errorf("%q: %v\n%s", args, err, stderr)
		}
	}
}

// checkUsage runs a command that must fail with a usage error saying
// each of want.
func checkUsage(t *testing.T, args []string, want ...string) {
	t.Helper()
	_, _, err := runCmd(t, args...)
	if !errors.Is(err, errUsage) {
		t.Errorf("%q: %v, want a usage error", args, err)
		return
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q: %q does not say %q", args, err, w)
		}
	}
}
