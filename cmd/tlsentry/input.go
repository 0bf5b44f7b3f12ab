package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/sensor"
)

// inputFlags are the flags of every command that reads capture files.
type inputFlags struct {
	files   fileList
	table   tableFlags
	workers int
}

func (in *inputFlags) register(fs *flag.FlagSet) {
	fs.Var(&in.files, "r", "capture file to read (pcap or pcapng); repeat for several, read in order")
	fs.IntVar(&in.workers, "workers", 1, "flow table shards, each on its own goroutine; above 1 the results are the same but their order may vary")
	in.table.register(fs)
}

// flowSink receives the flows of a read. emitter(i) is called once per
// shard and returns the function shard i's goroutine hands flows to;
// shardDone(i) is called on that goroutine after the shard's last flow.
type flowSink interface {
	emitter(shard int) func(*flow.Flow)
	shardDone(shard int)
}

// readFlows reads the input files into sharded flow tables feeding sink,
// prints the summary to stderr, and returns the input's problems
// (problems are also reported as they happen, prefixed with cmd).
func readFlows(ctx context.Context, cmd string, in *inputFlags, sink flowSink, stderr io.Writer) error {
	if len(in.files) == 0 {
		return fmt.Errorf("%w: %s needs at least one -r FILE", errUsage, cmd)
	}
	cfg, err := in.table.config()
	if err != nil {
		return err
	}
	n := max(1, in.workers)
	flows, err := flow.NewSharded(n, cfg, sink.emitter)
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	reader := &sensor.FileReader{
		Decoder: sensor.NewDecoder(),
		Report:  func(err error) { fmt.Fprintf(stderr, "tlsentry %s: %v\n", cmd, err) },
	}
	var end func()
	if n == 1 {
		reader.Flows = flows
		end = func() {
			flows.Flush()
			sink.shardDone(0)
		}
	} else {
		d := sensor.NewDispatcher(flows, sink.shardDone)
		reader.Flows, end = d, d.Close
	}
	readErr := reader.ReadFiles(ctx, in.files)
	if errors.Is(readErr, context.Canceled) {
		readErr = fmt.Errorf("interrupted: the flows read so far are handed on: %w", readErr)
	}
	end()
	st := flows.Stats()
	printSummary(stderr, &reader.Stats, &st, flows.Len())
	return readErr
}

// recordSink writes flow records through a RecordWriter, one producer per shard.
type recordSink struct {
	records   *sensor.RecordWriter
	producers map[int]*sensor.Producer
}

func newRecordSink(records *sensor.RecordWriter, shards int) *recordSink {
	s := &recordSink{records: records, producers: map[int]*sensor.Producer{}}
	for i := range max(1, shards) {
		s.producers[i] = records.Producer()
	}
	return s
}

func (s *recordSink) emitter(i int) func(*flow.Flow) { return s.producers[i].Add }
func (s *recordSink) shardDone(i int)                { s.producers[i].Flush() }
