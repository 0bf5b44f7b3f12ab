package sensor

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/tlsentry/tlsentry/flow"
)

// PacketStats counts what the packet path saw.
type PacketStats struct {
	Read    uint64                 // frames read
	Decoded uint64                 // frames that gave a TCP segment
	Skipped [numSkipReasons]uint64 // frames without one, by reason
	Files   uint64                 // capture files opened
	Errors  uint64                 // capture problems reported
}

// Add adds o's counters to s.
func (s *PacketStats) Add(o *PacketStats) {
	s.Read += o.Read
	s.Decoded += o.Decoded
	for i := range s.Skipped {
		s.Skipped[i] += o.Skipped[i]
	}
	s.Files += o.Files
	s.Errors += o.Errors
}

// maxDecodeWarnings bounds the per-file messages about frames that do not
// decode; the rest are only counted.
const maxDecodeWarnings = 10

// SegmentSink takes decoded segments: a *flow.Table, a *flow.Sharded, or
// a Dispatcher that spreads them over shard workers.
type SegmentSink interface {
	Process(*flow.Segment)
}

// FileReader feeds capture files, one after the other, through a decoder
// into a flow table, reporting every problem and going on where it can.
type FileReader struct {
	Decoder *Decoder
	Flows   SegmentSink
	// Report receives each problem (a *CaptureError); nil discards them.
	Report func(error)
	Stats  PacketStats
}

// ReadFiles reads the files in order. It returns ctx's error if cancelled,
// and otherwise an error when any file had problems (after reading all of
// them). It does not flush the table: the caller decides when input ends.
func (r *FileReader) ReadFiles(ctx context.Context, paths []string) error {
	problems := 0
	for _, p := range paths {
		src, err := OpenFile(p)
		if err != nil {
			problems++
			r.report(err)
			continue
		}
		r.Stats.Files++
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

func (r *FileReader) report(err error) {
	r.Stats.Errors++
	if r.Report != nil {
		r.Report(err)
	}
}

// readSource reads one source to its end; it returns the number of
// problems reported, and a non-nil error only when ctx was cancelled.
func (r *FileReader) readSource(ctx context.Context, src Source) (int, error) {
	var (
		seg      flow.Segment
		problems int
		warned   int
		unknown  = map[uint32]bool{}
	)
	for {
		if r.Stats.Read&4095 == 0 && ctx.Err() != nil {
			return problems, ctx.Err()
		}
		fr, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			r.report(err)
			return problems + 1, nil // the file's framing is lost: nothing after it can be read
		}
		r.Stats.Read++
		why := r.Decoder.Decode(fr.LinkType, fr.Data, &seg)
		if why != SkipNone {
			r.Stats.Skipped[why]++
			switch {
			case why == SkipLinkType && !unknown[fr.LinkType]:
				unknown[fr.LinkType] = true
				problems++
				r.report(&CaptureError{Source: src.Name(), Packet: fr.Number, Err: fmt.Errorf("link type %d is not supported: its packets are skipped", fr.LinkType)})
			case why == SkipMalformed:
				if warned < maxDecodeWarnings {
					r.report(&CaptureError{Source: src.Name(), Packet: fr.Number, Err: errors.New("packet does not decode: malformed header")})
				}
				warned++
				problems++
			}
			continue
		}
		r.Stats.Decoded++
		seg.Time = fr.Time
		r.Flows.Process(&seg)
	}
	if warned > maxDecodeWarnings {
		r.report(&CaptureError{Source: src.Name(), Err: fmt.Errorf("%d more malformed packets not listed", warned-maxDecodeWarnings)})
	}
	return problems, nil
}
