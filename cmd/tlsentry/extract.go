package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/tlsentry/tlsentry/detector/image"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
)

var extractHelp = help{
	usage: []string{"tlsentry extract -r FILE [-r FILE ...] -png DIR [flags]"},
	about: `Writes each flow's 1024-byte prefix as a 32x32 greyscale PNG (byte i at row
i/32, column i%32, black padding), named FLOWID_CLIENT_PORT-SERVER_PORT.png,
and prints the names written. Flows without payload are skipped unless -all.`,
}

func runExtract(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("extract", extractHelp)
	var in inputFlags
	in.register(fs)
	dir := fs.String("png", "", "folder to write one 32x32 greyscale PNG per flow into (created if missing)")
	all := fs.Bool("all", false, "also flows without payload (their images are black)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *dir == "" {
		fs.Usage()
		return fmt.Errorf("%w: extract needs -png DIR", errUsage)
	}
	if err := in.check("extract"); err != nil {
		return err
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	sink := &pngSink{dir: *dir, out: stdout}
	readErr := readFiles(ctx, "extract", &in, pipeline.Config{EmptyFlows: *all, Sink: sink}, stderr)
	fmt.Fprintf(stderr, "summary: images_written=%d\n", sink.written)
	if sink.err != nil {
		return fmt.Errorf("extract: %w", sink.err)
	}
	return readErr
}

// pngSink writes one PNG per flow: the workers write the images, the
// names are printed in the order the flows came.
type pngSink struct {
	dir     string
	out     io.Writer
	written int // Commit's alone

	mu  sync.Mutex
	err error // the first image that could not be written
}

// Encode writes the batch's images, going on after a failure.
func (s *pngSink) Encode(b *pipeline.Batch) error {
	for _, r := range b.Results {
		name := pngName(r.Flow)
		if err := writePNG(filepath.Join(s.dir, name), r.Flow.Prefix); err != nil {
			s.mu.Lock()
			s.err = cmp.Or(s.err, err)
			s.mu.Unlock()
			continue
		}
		b.Out = append(append(b.Out, name...), '\n')
	}
	return nil
}

func (s *pngSink) Commit(b *pipeline.Batch) error {
	s.written += bytes.Count(b.Out, []byte{'\n'})
	_, err := s.out.Write(b.Out)
	return err
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
