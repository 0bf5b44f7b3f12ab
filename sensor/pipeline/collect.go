package pipeline

import (
	"context"
	"fmt"
	"sync"

	"github.com/tlsentry/tlsentry/flow"
)

// Collector keeps the flows a pipeline hands out, in commit order: with
// an Ordered pipeline of one table, the order the table handed them out.
type Collector struct {
	// Keep, when set, says which flows to keep; nil keeps all.
	Keep func(*flow.Flow) bool
	// Limit, when positive, is the most flows kept; Full is called (once)
	// when it is reached, to stop the source.
	Limit int
	Full  func()

	mu    sync.Mutex
	flows []*flow.Flow
}

// Encode does nothing: collecting is Commit's.
func (c *Collector) Encode(*Batch) error { return nil }

// Commit keeps the batch's flows.
func (c *Collector) Commit(b *Batch) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range b.Results {
		if c.Limit > 0 && len(c.flows) >= c.Limit {
			return nil
		}
		if r.Shed != "" || (c.Keep != nil && !c.Keep(r.Flow)) {
			continue
		}
		c.flows = append(c.flows, r.Flow)
		if c.Limit > 0 && len(c.flows) == c.Limit && c.Full != nil {
			c.Full()
		}
	}
	return nil
}

// Flows returns the flows kept so far.
func (c *Collector) Flows() []*flow.Flow {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.flows
}

// SourcedFlow is a flow with the capture file it was read from.
type SourcedFlow struct {
	*flow.Flow
	Source string
}

// LoadFlows reads each capture file through its own pipeline (flows never
// span files: a table per file) and returns the flows with payload in
// file order, as a table hands them out. Problems in a file are returned
// together after every file was read; the flows read are kept.
func LoadFlows(ctx context.Context, files []string, table flow.Config) ([]SourcedFlow, error) {
	var (
		out      []SourcedFlow
		problems []error
	)
	for _, path := range files {
		flows, err := ReadFlows(ctx, []string{path}, table, nil)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", path, err))
		}
		for _, f := range flows {
			out = append(out, SourcedFlow{Flow: f, Source: path})
		}
	}
	if len(problems) > 0 {
		return out, fmt.Errorf("%d file(s) with problems, first: %w", len(problems), problems[0])
	}
	return out, nil
}

// ReadFlows reads capture files, in order, as one stream into one table
// and returns the flows with payload it handed out, in that order;
// report (may be nil) gets each problem of the input as it is found.
func ReadFlows(ctx context.Context, files []string, table flow.Config, report func(error)) ([]*flow.Flow, error) {
	var c Collector
	tuning := DefaultTuning()
	p, err := New(Config{Shards: 1, Table: table, Tuning: tuning, Ordered: true, Sink: &c})
	if err != nil {
		return nil, err
	}
	err = p.Run(ctx, &FileInput{Paths: files, Report: report})
	return c.Flows(), err
}
