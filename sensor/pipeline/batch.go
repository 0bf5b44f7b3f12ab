package pipeline

import (
	"sync"
	"time"

	"github.com/tlsentry/tlsentry/detector/scoring"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/sensor/signature"
	"github.com/tlsentry/tlsentry/sensor/verdict"
)

// Result is one flow on its way to the sink.
type Result struct {
	Flow *flow.Flow
	// Scored: the flow had payload and the pipeline a scorer; Verdict
	// holds its score (and, with a policy, the decision).
	Scored  bool
	Verdict verdict.Verdict
	// Reasons explain an alert; Findings are its alert records, one per
	// signature (package signature), each written or held back by the
	// rate limit.
	Reasons  []scoring.Reason
	Findings []Finding
	// Shed says why the flow was not scored: the live queue was full and
	// it was shed to keep flows that matter more (package doc).
	Shed string

	handedOut time.Time // live: when its table handed it out (wall clock)
}

// Finding is one alert record of an alerting flow.
type Finding struct {
	signature.Finding
	// Written: the rate limit let it through; HeldBefore counts the
	// alerts of its track held back since the last one written.
	Written    bool
	HeldBefore uint64
}

// Batch is a run of flows from one table, handled by one worker: parsed,
// scored, judged, then encoded and committed by the sink.
type Batch struct {
	Results []Result
	// InIface is the capture interface its flows came from (live only).
	InIface string
	// Out is the sink's to fill in Encode and use in Commit (encoded
	// lines, say); the pipeline keeps its memory for the next batch.
	Out []byte
	// TLSOut is likewise the sink's, for a second output (the tls
	// records of RecordSink).
	TLSOut []byte
	// Model names the model that scored the batch ("" when unscored).
	Model string
	// Beacons are the beacon findings its flows completed, for the sink
	// to write at Commit (Config.Beacons).
	Beacons []BeaconAlert

	hs     []*tlsparse.Handshake // parsed handshakes, by result
	parser *parser               // nil: no TLS parsing
	opened time.Time             // when its first flow came (wall clock)
	sent   time.Time             // when it left its table
	ready  chan struct{}         // closed once encoded (ordered commits)
	// Ordered: gathered is closed once the batch has gathered (gather.go),
	// after is the batch's before it (nil for the first).
	after, gathered chan struct{}
	found           []beaconFound // beacon findings, for the commit
	err             error         // the sink's Encode error
}

// Handshake returns result i's parsed handshake, parsing it now if the
// pipeline has not yet (nil when the pipeline does not parse TLS). It is
// valid until Release(i) or the end of the sink's Encode.
func (b *Batch) Handshake(i int) *tlsparse.Handshake {
	if b.parser == nil {
		return nil
	}
	if b.hs[i] == nil {
		b.hs[i] = b.parser.parse(b.Results[i].Flow)
	}
	return b.hs[i]
}

// Release gives result i's handshake memory back for the next parse: a
// sink that encodes flow by flow releases each as it goes, so that one
// parse's memory serves the whole batch while it is in the CPU's cache.
func (b *Batch) Release(i int) {
	if h := b.hs[i]; h != nil {
		h.Release()
		b.hs[i] = nil
	}
}

// releaseAll releases what the sink did not.
func (b *Batch) releaseAll() {
	for i := range b.hs {
		b.Release(i)
	}
}

// reset empties the batch for reuse.
func (b *Batch) reset() {
	clear(b.Results) // let the flows go
	b.Results = b.Results[:0]
	b.hs = b.hs[:0]
	b.Out = b.Out[:0]
	clear(b.Beacons)
	b.Beacons = b.Beacons[:0]
	b.TLSOut = b.TLSOut[:0]
	b.ready = nil
	b.after, b.gathered = nil, nil
	clear(b.found)
	b.found = b.found[:0]
	b.err = nil
	b.Model = ""
	b.InIface = ""
}

// parser parses handshakes with the pipeline's certificate cache.
type parser struct{ certs *tlsparse.CertCache }

func (p *parser) parse(f *flow.Flow) *tlsparse.Handshake { return tlsparse.FromFlow(f, p.certs) }

// producer gathers one table's finished flows into batches. The table's
// goroutine offers flows; the pipeline's ticker sends a batch that waited
// long enough (tick), so that a quiet input, live or a stream read from a
// pipe, still has its verdicts on time.
type producer struct {
	p     *Pipeline
	iface *string    // the shard's capture interface (Shards.ifaces)
	mu    sync.Mutex // the table's goroutine and the ticker
	batch *Batch
}

// offer takes a flow the table handed out.
func (pr *producer) offer(f *flow.Flow) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	p := pr.p
	if len(f.Prefix) == 0 {
		p.noPayload.Add(1)
		if !p.cfg.EmptyFlows && p.cfg.Beacons == nil {
			return
		}
		if p.backlog != nil {
			p.logUnscored(shedFlow{f: f}) // nothing to score: never queued
			return
		}
	} else {
		p.in.Add(1)
	}
	if p.backlog != nil {
		p.admit(f, *pr.iface) // unordered: one flow at a time, shed when full
		return
	}
	b := pr.batch
	if b == nil {
		b = p.newBatch()
		b.InIface = *pr.iface
		pr.batch = b
	}
	b.Results = append(b.Results, Result{Flow: f})
	b.hs = append(b.hs, nil)
	if len(b.Results) == p.cfg.BatchSize {
		pr.send()
	}
}

// tick sends a batch whose first flow has waited long enough.
func (pr *producer) tick(now time.Time) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if b := pr.batch; b != nil && now.Sub(b.opened) >= pr.p.cfg.BatchTimeout {
		pr.send()
	}
}

// flush sends the batch being filled.
func (pr *producer) flush() {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	pr.send()
}

func (pr *producer) send() {
	if b := pr.batch; b != nil {
		pr.batch = nil
		pr.p.send(b)
	}
}
