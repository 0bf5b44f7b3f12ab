package main

import (
	"context"
	"flag"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/tlsentry/tlsentry/detector/image"
	"github.com/tlsentry/tlsentry/flow"
)

func runExtract(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("extract", flag.ContinueOnError)
	var in inputFlags
	in.register(fs)
	dir := fs.String("png", "", "folder to write one 32x32 greyscale PNG per flow into (created if missing)")
	all := fs.Bool("all", false, "also flows without payload (their images are black)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: tlsentry extract -r FILE [-r FILE ...] -png DIR [flags]\n\nWrites each flow's 1024-byte prefix as a 32x32 greyscale PNG (byte i at row i/32, column i%32),\nnamed FLOWID_CLIENT_PORT-SERVER_PORT.png, and prints the names written.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return ignoreHelp(err)
	}
	if *dir == "" {
		fs.Usage()
		return fmt.Errorf("%w: extract needs -png DIR", errUsage)
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	sink := &pngSink{dir: *dir, all: *all, out: stdout}
	readErr := readFlows(ctx, "extract", &in, sink, stderr)
	fmt.Fprintf(stderr, "summary: images_written=%d\n", sink.written)
	if sink.err != nil {
		return fmt.Errorf("extract: %w", sink.err)
	}
	return readErr
}

// pngSink writes one PNG per flow; shards call it from their goroutines.
type pngSink struct {
	dir     string
	all     bool
	mu      sync.Mutex // guards out, written and err
	out     io.Writer
	written int
	err     error
}

func (s *pngSink) emitter(int) func(*flow.Flow) { return s.write }
func (s *pngSink) shardDone(int)                {}

func (s *pngSink) write(f *flow.Flow) {
	if len(f.Prefix) == 0 && !s.all {
		return
	}
	name := pngName(f)
	err := writePNG(filepath.Join(s.dir, name), f.Prefix)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if s.err == nil {
			s.err = err
		}
		return
	}
	s.written++
	fmt.Fprintln(s.out, name)
}

// pngName names a flow's image by its id and addresses, with the
// characters file systems dislike (IPv6 colons) replaced.
func pngName(f *flow.Flow) string {
	c, srv := f.Client.AddrPort(), f.Server.AddrPort()
	safe := strings.NewReplacer(":", "-", "%", "-").Replace
	return fmt.Sprintf("%d_%s_%d-%s_%d.png", f.ID, safe(c.Addr().String()), c.Port(), safe(srv.Addr().String()), srv.Port())
}

func writePNG(path string, prefix []byte) error {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(fh, image.Gray(prefix)); err != nil {
		fh.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return fh.Close()
}
