package pipeline

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/tlsentry/tlsentry/detector/beacon"
	"github.com/tlsentry/tlsentry/detector/recall"
	"github.com/tlsentry/tlsentry/detector/scan"
	"github.com/tlsentry/tlsentry/detector/scoring"
	"github.com/tlsentry/tlsentry/sensor/metrics"
)

// beaconFound is a beacon finding a flow of the batch completed, for the
// sink's commit (trackBeacons).
type beaconFound struct {
	index int
	beacon.Finding
}

// gather is the one step of a batch that runs in the order the tables
// handed the flows out (an ordered pipeline's batch waits for the batch
// sent before it; an unordered pipeline's batches take turns): the
// beacon tracker takes each flow, and a flow's Context takes what the
// flows before it said about it: its pair keeps a rhythm (a beacon), or
// its resumed session's server showed a certificate with evidence in an
// earlier full handshake. inputs are the batch's flows to score (index:
// their results), empty without a scorer.
func (p *Pipeline) gather(b *Batch, scorer scoring.Scorer, inputs []scoring.Input, index []int) {
	if !p.gathers {
		return
	}
	if b.gathered != nil { // ordered
		if b.after != nil {
			<-b.after
		}
		defer close(b.gathered)
	} else {
		p.gatherMu.Lock()
		defer p.gatherMu.Unlock()
	}
	witness, _ := scorer.(scoring.Witness)
	rhythm := rhythmOf(scorer)
	if p.servers != nil {
		defer func() { p.m.RecallServers.Set(float64(p.servers.Len())) }()
	}
	k := 0 // the input of result i, when it has one
	for i := range b.Results {
		var in *scoring.Input
		for k < len(index) && index[k] < i {
			k++
		}
		if k < len(index) && index[k] == i {
			in = &inputs[k]
		}
		if in != nil && witness != nil && p.servers != nil {
			p.recallServer(witness, in)
		}
		if in != nil && p.scans != nil {
			p.observeScan(in)
		}
		if p.cfg.Beacons != nil {
			p.observeBeacon(b, i, in, &rhythm)
		}
	}
}

// observeScan gives a flow's hello to the scan tracker; a hello of a scan
// says so in the flow's Context, weighed by the rate of scans among the
// public benign captures' pairs (worded only for an alert).
func (p *Pipeline) observeScan(in *scoring.Input) {
	h := in.TLS
	if h == nil || h.Client == nil {
		return
	}
	f := in.Flow
	server := f.Server.AddrPort()
	ja4 := h.Prints(h.Transport()).JA4
	found, ok := p.scans.Observe(f.Client.AddrPort().Addr(), server, f.Start, ja4, scan.Refused(h))
	if !ok {
		return
	}
	in.Context = append(in.Context, scoring.Fact{Group: "scan",
		Reason: scoring.Reason{Layer: scoring.LayerScan, Feature: scanCheck, Weight: scan.Bits()},
		Word: func(r *scoring.Reason) {
			r.Field, r.Value = "tls.ja4", ja4
			r.Text = fmt.Sprintf("scan: hello %d of this client to %s in %s, which refused %d distinct TLS client stacks (JA4) among them with an alert: a scanner probing what the server accepts, one stack per question; %d of %d client-server pairs of the public benign captures show more than %d",
				found.Hellos, server, beacon.FormatDuration(found.Span), found.Stacks, scan.BenignScans, scan.BenignPairs, scan.BenignMostRefused)
		}})
	p.m.ContextFacts.WithLabelValues(metrics.ContextScan).Inc()
}

// scanCheck is the id of a scan's fact (its signature's prefix).
const scanCheck = "scan.stacks"

// rhythmModel is what the batch's scorer says of a flow of a beacon: its
// pair is known (training found it periodic), or the flow takes a fact
// weighed by base.
type rhythmModel struct {
	base  beacon.Baseline
	known beacon.Rhythmic // nil: no pair is known
}

// rhythmOf is what weighs a flow of a beacon: the rate of periodic pairs
// the scorer's model measured on its network, else the public captures',
// and the pairs its training found periodic. It is the batch's scorer's:
// a model swapped in on SIGHUP weighs the batches it scores.
func rhythmOf(s scoring.Scorer) rhythmModel {
	if r, ok := s.(beacon.Rhythmic); ok {
		return rhythmModel{base: r.RhythmBaseline(), known: r}
	}
	return rhythmModel{base: beacon.PublicBaseline()}
}

// observeBeacon gives result i to the beacon tracker (with the names its
// handshake showed when rhythm is set: the flow is scored, or could be):
// a finding it completes is kept for the commit, and a flow of a beacon
// (in: when it is scored) says so in its Context, weighed by rhythm,
// unless the model knows its pair from training.
func (p *Pipeline) observeBeacon(b *Batch, i int, in *scoring.Input, rhythm *rhythmModel) {
	r := &b.Results[i]
	f, found, rh := p.cfg.Beacons.Observe(p.beaconEvent(b, i, rhythm != nil))
	if found {
		b.found = append(b.found, beaconFound{index: i, Finding: f})
	}
	if rh.Beacon && in != nil {
		if rhythm.known != nil && rhythm.known.KnownPeriodic(r.Flow.Client.AddrPort().Addr(), r.Flow.Server.AddrPort()) {
			p.m.ContextFacts.WithLabelValues(metrics.ContextRhythmKnown).Inc()
			return
		}
		in.Context = append(in.Context, rhythmFact(r, rh, &rhythm.base))
		p.m.ContextFacts.WithLabelValues(metrics.ContextRhythm).Inc()
	}
}

// gatherUnscored feeds a batch of flows that are not scored (shed, or
// without payload) to the beacon tracker by their addresses, unparsed.
func (p *Pipeline) gatherUnscored(b *Batch) {
	if p.cfg.Beacons == nil {
		return
	}
	p.gatherMu.Lock()
	defer p.gatherMu.Unlock()
	for i := range b.Results {
		p.observeBeacon(b, i, nil, nil)
	}
}

// recallServer remembers what a full handshake's certificate showed, and
// gives a resumed session, which sends none, what its server showed last.
func (p *Pipeline) recallServer(w scoring.Witness, in *scoring.Input) {
	h := in.TLS
	if h == nil || h.Server == nil || h.Client == nil {
		return
	}
	f := in.Flow
	k := recall.Key{Server: f.Server.AddrPort(), SNI: h.Client.ServerName}
	if h.Server.Leaf != nil {
		shown := recall.Shown{FlowID: f.ID, At: f.Start}
		if w.CertificateEvidence(*in) {
			shown.Leaf = h.Server.Leaf
			if issuer, ok := h.Server.ChainIssuer(); ok {
				shown.ChainIssuer = bytes.Clone(issuer) // the flow's buffer is reused
			}
		}
		p.servers.Remember(k, shown)
		return
	}
	if !h.Resumed() {
		return
	}
	s, ok := p.servers.Recall(k, f.Start)
	if !ok {
		return
	}
	p.m.ContextFacts.WithLabelValues(metrics.ContextResumed).Inc()
	for _, fact := range w.CertificateFacts(s.Leaf, s.ChainIssuer, k.SNI, f.Start) {
		// Worded for an alert only, as the fact itself (Fact.Word).
		word, shownIn, since := fact.Word, s.FlowID, f.Start.Sub(s.At)
		fact.Word = func(r *scoring.Reason) {
			if word != nil {
				word(r)
			}
			r.Text = fmt.Sprintf("evidence: a resumed session (no certificate sent); its server showed one in flow %d, %s before: %s",
				shownIn, beacon.FormatDuration(since), strings.TrimPrefix(r.Text, "evidence: "))
		}
		in.Context = append(in.Context, fact)
	}
}

// rhythmFact says that a flow is one of a beacon's connections. It
// weighs what the tracker's findings on benign pairs (base) say, counted
// as the evidence checks' are (their smoothed rate, -log2 of (fired +
// 1/2) / (applied + 1)), and says which pairs those were.
func rhythmFact(r *Result, rh beacon.Rhythm, base *beacon.Baseline) scoring.Fact {
	id := fmt.Sprintf("%016x", rh.ID) // as the beacon alert's tlsentry.beacon.id
	text := fmt.Sprintf("rhythm: one of %d connections of this client to %s that keep a rhythm, every %s (beacon %s, score %.2f); %d of %d client-destination pairs of %s do",
		rh.Count, r.Flow.Server.AddrPort(), beacon.FormatDuration(rh.Period), id, rh.Score, base.Periodic, base.Pairs, base.Of())
	return scoring.Fact{Group: "rhythm", Reason: scoring.Reason{Layer: scoring.LayerRhythm, Feature: beaconCheck,
		Field: "tlsentry.beacon.id", Value: id, Text: text, Weight: base.Bits()}}
}
