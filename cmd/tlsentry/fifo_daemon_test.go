package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/internal/testkit"
)

// fifoDaemon is `tlsentry run` in a child process reading a capture
// streamed through a named pipe: the test feeds it flows in steps and
// rotates or moves its logs in between, while it runs.
type fifoDaemon struct {
	dir    string // holds the configuration and the logs
	cmd    *exec.Cmd
	in     *os.File
	exited <-chan error
	stderr *testkit.LockedBuffer
	header bool // the stream's pcap header is written
}

// startFIFODaemon starts the daemon with the test model at a threshold
// every flow passes, alert rate limits off, and the given sections on
// top (writeConfig's layout: logs alerts.json, flows.json, tlsentry.log
// in dir).
func startFIFODaemon(t *testing.T, dir string, sections map[string]string) *fifoDaemon {
	t.Helper()
	fifo := filepath.Join(dir, "in.pcap")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("needs a named pipe: %v", err)
	}
	base := map[string]string{
		"capture":  "  workers: 1\n", // the table sees each packet as soon as it is read
		"detector": "  model: " + trainedModelFile(t) + "\n  batch_timeout: 10ms\n  threshold: 0.01\n",
		"alerts":   "  rate_limit: []\n", // every alert written
	}
	for k, v := range sections {
		base[k] = v
	}
	cfg := writeConfig(t, dir, base)
	d := &fifoDaemon{dir: dir, stderr: &testkit.LockedBuffer{}}
	d.cmd = exec.Command(os.Args[0], "run", "-config", cfg, "-r", fifo)
	d.cmd.Env = append(os.Environ(), "TLSENTRY_TEST_MAIN=1")
	d.cmd.Stderr = d.stderr
	d.exited = testkit.Start(t, d.cmd, func() { t.Logf("daemon stderr:\n%s", d.stderr.String()) })
	in, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	d.in = in
	return d
}

// feed writes a capture (sshCapture's bytes) into the stream and waits
// until the flow logs (all files) hold want flows in all.
func (d *fifoDaemon) feed(t *testing.T, capture []byte, want int) {
	t.Helper()
	if d.header {
		capture = capture[24:] // one stream: no second file header
	}
	d.header = true
	if _, err := d.in.Write(capture); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, "the daemon to log the flows fed", func() bool { return len(logLines(t, d.dir, "flows.json")) >= want })
}

// signal sends sig and waits for the daemon's log to say logged.
func (d *fifoDaemon) signal(t *testing.T, sig syscall.Signal, logged string) {
	t.Helper()
	before := strings.Count(d.logText(t), logged)
	if err := d.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, "the daemon to log "+logged, func() bool { return strings.Count(d.logText(t), logged) > before })
}

// logText is the daemon's own log, across the files it was rotated into.
func (d *fifoDaemon) logText(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, l := range logLines(t, d.dir, "tlsentry.log") {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// stop ends the input and waits for the daemon to score the rest and exit.
func (d *fifoDaemon) stop(t *testing.T) {
	t.Helper()
	d.in.Close()
	select {
	case err := <-d.exited:
		if err != nil {
			t.Fatalf("daemon exited with %v\n%s", err, d.stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("the daemon did not exit at the end of its input")
	}
}

// logLines reads every line of the log base in dir and of the files it
// was rotated into (base.N by the daemon, base-DATE[.gz] by logrotate),
// oldest file first.
func logLines(t *testing.T, dir, base string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, base+"*"))
	if err != nil {
		t.Fatal(err)
	}
	byAge := func(path string) time.Time {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return st.ModTime()
	}
	// The files' last writes come in rotation order.
	for i := 1; i < len(files); i++ {
		for j := i; j > 0 && byAge(files[j]).Before(byAge(files[j-1])); j-- {
			files[j], files[j-1] = files[j-1], files[j]
		}
	}
	var lines []string
	for _, f := range files {
		lines = append(lines, fileLines(t, f)...)
	}
	return lines
}

// fileLines reads the lines of a file, gunzipping a .gz.
func fileLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r io.Reader = bytes.NewReader(data)
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		r = zr
	}
	var lines []string
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return lines
}
