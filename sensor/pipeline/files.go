package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/sensor/capture"
	"github.com/tlsentry/tlsentry/sensor/decode"
	"github.com/tlsentry/tlsentry/sensor/defrag"
)

// FileInput is the offline Source: capture files read in order on one
// goroutine. With one table the reader processes segments itself; with
// more, a Dispatcher spreads them over one goroutine per table and
// advances every table's packet time as the files go.
type FileInput struct {
	Paths []string
	// Report receives each problem of the input (a *capture.Error); nil
	// discards them.
	Report func(error)
	// Decoder; nil: decode.NewDecoder() with the pipeline's watched ports
	// as its UDP ports.
	Decoder *decode.Decoder

	stats FileStats
}

// FileStats counts what the packet path saw of capture files.
type FileStats struct {
	Packets decode.Stats
	Files   uint64 // capture files opened
	Errors  uint64 // capture problems reported
	// Reassembled counts the IP datagrams made whole from fragments (the
	// frame of the last fragment is counted decoded, the others skipped
	// as ip_fragment).
	Reassembled uint64
}

// Run reads the files into the shards. It returns ctx's error if
// cancelled, and otherwise an error when any file had problems.
func (in *FileInput) Run(ctx context.Context, shards *Shards) error {
	r := &fileReader{dec: in.Decoder, report: in.Report}
	if r.dec == nil {
		r.dec = decode.NewDecoder()
		r.dec.UDPPorts = shards.Ports()
	}
	tables := shards.Tables()
	end := func() {}
	if tables.Shards() == 1 {
		r.flows = shards.Watched(0, tables)
	} else {
		d := NewDispatcher(tables, shards.Done) // Close flushes the tables
		r.flows, end = shards.Watched(0, d), d.Close
	}
	err := r.readFiles(ctx, in.Paths)
	end()
	in.stats = r.stats
	shards.PublishPackets(0, &r.stats.Packets)
	return err
}

// Stats returns what the packet path saw; valid after Run.
func (in *FileInput) Stats() FileStats { return in.stats }

// maxDecodeWarnings bounds the per-file messages about frames that do not
// decode; the rest are only counted.
const maxDecodeWarnings = 10

// fileReader feeds capture files, one after the other, through a decoder
// into the flow tables, reporting every problem and going on where it can.
type fileReader struct {
	dec    *decode.Decoder
	flows  SegmentSink
	report func(error) // nil discards
	stats  FileStats
}

// readFiles reads the files in order. It returns ctx's error if cancelled,
// and otherwise an error when any file had problems (after reading all of
// them). It does not flush the table: the caller decides when input ends.
func (r *fileReader) readFiles(ctx context.Context, paths []string) error {
	problems := 0
	for _, p := range paths {
		src, err := capture.OpenFile(p)
		if err != nil {
			problems++
			r.problem(err)
			continue
		}
		r.stats.Files++
		n, err := r.readSource(ctx, src)
		src.Close()
		problems += n
		if err != nil {
			return err
		}
	}
	if problems > 0 {
		return fmt.Errorf("%d problem(s) in the input", problems)
	}
	return nil
}

func (r *fileReader) problem(err error) {
	r.stats.Errors++
	if r.report != nil {
		r.report(err)
	}
}

// readSource reads one source to its end; it returns the number of
// problems reported, and a non-nil error only when ctx was cancelled.
func (r *fileReader) readSource(ctx context.Context, src capture.Source) (int, error) {
	var (
		seg      flow.Segment
		problems int
		warned   int
		unknown  = map[uint32]bool{}
		frags    = defrag.New(defrag.Config{}) // a file's fragments are its own
	)
	defer func() { r.stats.Reassembled += frags.Stats().Reassembled }()
	for {
		if r.stats.Packets.Read&4095 == 0 && ctx.Err() != nil {
			return problems, ctx.Err()
		}
		fr, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			r.problem(err)
			return problems + 1, nil // the file's framing is lost: nothing after it can be read
		}
		r.stats.Packets.Read++
		why := r.dec.Decode(fr.LinkType, fr.Data, &seg)
		if why == decode.SkipFragment {
			why = r.dec.Reassemble(frags, fr.LinkType, fr.Data, fr.Time, &seg)
		}
		if why != decode.SkipNone {
			r.stats.Packets.Skipped[why]++
			switch {
			case why == decode.SkipLinkType && !unknown[fr.LinkType]:
				unknown[fr.LinkType] = true
				problems++
				r.problem(&capture.Error{Source: src.Name(), Packet: fr.Number, Err: fmt.Errorf("link type %d is not supported: its packets are skipped", fr.LinkType)})
			case why == decode.SkipMalformed:
				if warned < maxDecodeWarnings {
					r.problem(&capture.Error{Source: src.Name(), Packet: fr.Number, Err: errors.New("packet does not decode: malformed header")})
				}
				warned++
				problems++
			}
			continue
		}
		r.stats.Packets.Count(&seg)
		seg.Time = fr.Time
		r.flows.Process(&seg)
	}
	if warned > maxDecodeWarnings {
		r.problem(&capture.Error{Source: src.Name(), Err: fmt.Errorf("%d more malformed packets not listed", warned-maxDecodeWarnings)})
	}
	return problems, nil
}
