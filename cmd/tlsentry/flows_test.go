package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/internal/sharedpcaps"
	"github.com/tlsentry/tlsentry/sensor/eve"
)

const sample = "../../testdata/sample.pcap"

func runCmd(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var o, e bytes.Buffer
	err = run(context.Background(), args, &o, &e)
	return o.String(), e.String(), err
}

func TestFlowsSample(t *testing.T) {
	out, summary, err := runCmd(t, "flows", "-r", sample)
	if err != nil {
		t.Fatalf("flows: %v\n%s", err, summary)
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		for _, k := range []string{"timestamp", "flow_id", "event_type", "src_ip", "src_port", "dest_ip", "dest_port", "proto", "community_id", "flow", "tlsentry"} {
			if _, ok := rec[k]; !ok {
				t.Errorf("line %d: no %q", n+1, k)
			}
		}
		fl, _ := rec["flow"].(map[string]any)
		for _, k := range []string{"pkts_toserver", "pkts_toclient", "bytes_toserver", "bytes_toclient", "start", "end", "age", "reason", "alerted"} {
			if _, ok := fl[k]; !ok {
				t.Errorf("line %d: no flow.%s", n+1, k)
			}
		}
		ts, _ := rec["tlsentry"].(map[string]any)
		for _, k := range []string{"prefix_len", "prefix"} {
			if _, ok := ts[k]; !ok {
				t.Errorf("line %d: no tlsentry.%s", n+1, k)
			}
		}
		if rec["dest_port"].(float64) != 443 {
			t.Errorf("line %d: dest_port %v: the client side is wrong", n+1, rec["dest_port"])
		}
		n++
	}
	if n != 7 {
		t.Errorf("%d flows, want 7 (4 TLS, HTTP, SSH, random)", n)
	}
	// HTTP and random bytes on 443 are decided (the server answered; the
	// prefix filled) before they close; SSH closes first.
	if !strings.Contains(summary, "flows=7 complete=4 fin=1 decided=2") || !strings.Contains(summary, "problems=0") {
		t.Errorf("summary:\n%s", summary)
	}
}

func TestFlowsWritesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flows.json")
	out, _, err := runCmd(t, "flows", "-r", sample, "-r", sample, "-w", path)
	if err != nil || out != "" {
		t.Fatalf("err %v, stdout %q", err, out)
	}
	data, _ := os.ReadFile(path)
	// Read twice in a row: the second copy reuses the same connections'
	// 5-tuples after they closed, so it yields new flows.
	if got := bytes.Count(data, []byte("\n")); got != 14 {
		t.Errorf("%d lines, want 14", got)
	}
}

func TestFlowsBadInput(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.pcap")
	os.WriteFile(truncated, data[:len(data)-100], 0o644)
	notPcap := filepath.Join(dir, "notes.txt")
	os.WriteFile(notPcap, []byte("this is not a capture file"), 0o644)

	out, stderr, err := runCmd(t, "flows", "-r", notPcap, "-r", truncated, "-r", filepath.Join(dir, "missing.pcap"))
	if err == nil || errors.Is(err, errUsage) {
		t.Fatalf("err %v: want a failure that is not a usage error", err)
	}
	for _, want := range []string{"notes.txt: not a pcap or pcapng file", "truncated.pcap: packet ", "capture file is truncated", "missing.pcap", "problems=3"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	// What came before the cut is still reported.
	if got := strings.Count(out, "\n"); got < 6 {
		t.Errorf("only %d flows from the truncated file", got)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"nope"}, {"flows"}, {"flows", "-r", sample, "extra"}, {"flows", "-r", sample, "-max-flows", "0"}, {"flows", "--bogus"}} {
		if _, _, err := runCmd(t, args...); !errors.Is(err, errUsage) {
			t.Errorf("%q: err %v, want a usage error", args, err)
		}
	}
	if _, _, err := runCmd(t, "flows", "-h"); err != nil {
		t.Errorf("flows -h: %v", err)
	}
}

func TestFlowsInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var o, e bytes.Buffer
	err := run(ctx, []string{"flows", "-r", sample}, &o, &e)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want cancelled", err)
	}
	if !strings.Contains(e.String(), "summary:") {
		t.Errorf("no summary after an interrupt:\n%s", e.String())
	}
}

// TestFlowsWorkersSameRecords: sharding over several workers gives the
// same records as one table (only their order may differ).
func TestFlowsWorkersSameRecords(t *testing.T) {
	args := []string{"flows", "-r", sample, "-r", sample}
	if dir, ok := sharedpcaps.Dir(); ok {
		args = append(args, "-r", filepath.Join(dir, "ja4/tls-handshake.pcapng"), "-r", filepath.Join(dir, "zeek/tls-conn-with-extensions.pcap"))
	}
	one, _, err := runCmd(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	three, _, err := runCmd(t, append(args, "-workers", "3")...)
	if err != nil {
		t.Fatal(err)
	}
	a, b := strings.Split(one, "\n"), strings.Split(three, "\n")
	slices.Sort(a)
	slices.Sort(b)
	if !slices.Equal(a, b) {
		t.Errorf("records differ: %d lines with one worker, %d with three", len(a), len(b))
	}
}

func TestExtractPNGs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "png")
	out, stderr, err := runCmd(t, "extract", "-r", sample, "-png", dir)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	names := strings.Fields(out)
	if len(names) != 7 || !strings.Contains(stderr, "images_written=7") {
		t.Fatalf("wrote %v\n%s", names, stderr)
	}
	flowsOut, _, _ := runCmd(t, "flows", "-r", sample)
	prefixes := map[string][]byte{} // flow id -> prefix
	for _, line := range strings.Split(strings.TrimSpace(flowsOut), "\n") {
		var rec struct {
			ID     uint64     `json:"flow_id"`
			Detail eve.Detail `json:"tlsentry"`
		}
		json.Unmarshal([]byte(line), &rec)
		prefixes[fmt.Sprint(rec.ID)] = rec.Detail.Prefix
	}
	for _, n := range names {
		fh, err := os.Open(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(fh)
		fh.Close()
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		prefix := prefixes[strings.SplitN(n, "_", 2)[0]]
		if len(prefix) == 0 {
			t.Fatalf("%s: no flow with that id", n)
		}
		for i := range 1024 {
			want := byte(0)
			if i < len(prefix) {
				want = prefix[i]
			}
			if r, _, _, _ := img.At(i%32, i/32).RGBA(); byte(r>>8) != want {
				t.Fatalf("%s: pixel %d = %d, want %d", n, i, r>>8, want)
			}
		}
	}
	if _, _, err := runCmd(t, "extract", "-r", sample); !errors.Is(err, errUsage) {
		t.Errorf("extract without -png: %v", err)
	}
}
