package detector

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/tlsentry/tlsentry/detector/beacon"
	"github.com/tlsentry/tlsentry/detector/cnn"
	"github.com/tlsentry/tlsentry/detector/evidence"
	"github.com/tlsentry/tlsentry/detector/features"
	"github.com/tlsentry/tlsentry/detector/iforest"
	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/detector/novelty"
	"github.com/tlsentry/tlsentry/detector/scoring"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// A hybrid model scores a flow in bits of surprise, the sum of three
// parts:
//
//   - evidence: protocol checks that hold on any network, each weighing
//     -log2 of how often it fired on the benign corpus the model was built
//     from, one per fact (package evidence);
//   - novelty: values the training flows never showed, one per fact
//     (client stack, server stack, certificate, protocol and framing,
//     bytes before the handshake; package novelty);
//   - the forest: an isolation forest over the flow's CNN code joined with
//     its handshake features, its score turned into bits by the training
//     flows' own scores: -log2 of the share of training flows scoring as
//     high (an exponential tail beyond their 90th percentile).
//
// A score of b bits thus reads "as surprising as one benign flow in 2^b",
// summed over independent facts; the threshold is in the same unit.
//
// A model built on a public corpus of many networks' captures (make
// model's: the embedded default) scores evidence and novelty only
// (scoringCorpus). Its forest learned how those 85 unrelated captures'
// flows sit together; isolated from them, a flow of a network the corpus
// never saw is mostly new, which the novelty already weighs, capped by
// the corpus's drift, and the evidence names. Measured on the out-of-box
// sets, counting it took the main set's file-weighted ROC AUC from 0.890
// to 0.857 (held out 0.920 to 0.892) and three of five later sets down,
// with the same benign alerts. Its forest and encoder stay in the file
// for the models trained from it.
const (
	noveltySection  = "novelty"
	evidenceSection = "evidence"
	tailSection     = "forest_tail"
	paramFeatures   = "features"
	paramScoring    = "scoring"
	scoringBits     = "bits-v1"        // evidence + novelty + forest
	scoringCorpus   = "bits-corpus-v1" // evidence + novelty: a public corpus's model
	maxReasons      = 8
)

func loadHybrid(f *model.File) (*Model, error) {
	// A model of an older feature layout that this build extends reads
	// its first size.Len features.
	size, ok := features.Layout(f.Meta.Params[paramFeatures])
	if !ok {
		return nil, fmt.Errorf("%w: hybrid model uses features %q, this build has %q", model.ErrUnsupported, f.Meta.Params[paramFeatures], features.Schema)
	}
	scoring := f.Meta.Params[paramScoring]
	if scoring != scoringBits && scoring != scoringCorpus {
		return nil, fmt.Errorf("%w: hybrid model scores %q, this build scores %q or %q (retrain it)", model.ErrUnsupported, scoring, scoringBits, scoringCorpus)
	}
	w, err := readCNN(f)
	if err != nil {
		return nil, err
	}
	forest, err := readForest(f, cnn.CodeSize+size.Len)
	if err != nil {
		return nil, err
	}
	var prof novelty.Profile
	if err := unmarshalSection(f, noveltySection, &prof); err != nil {
		return nil, err
	}
	ev, err := fileEvidence(f)
	if err != nil {
		return nil, err
	}
	var tail forestTail
	if err := unmarshalSection(f, tailSection, &tail); err != nil {
		return nil, err
	}
	rhythm, err := FileRhythm(f)
	if err != nil {
		return nil, err
	}
	known, err := fileKnown(f)
	if err != nil {
		return nil, err
	}
	return &Model{File: f, newScorer: func() (Scorer, error) {
		enc, err := cnn.NewEncoder(w, scoreBatch)
		if err != nil {
			return nil, err
		}
		s := newHybridScorer(newCodeScorer(enc, nil, masked(f)), forest, &prof, ev, &tail, size.Len)
		s.rhythm, s.known, s.noForest = rhythm, known, scoring == scoringCorpus
		return s, nil
	}}, nil
}

// fileEvidence is a hybrid model file's evidence table as its scorers
// weigh it: a breach of TLS the corpus never showed alerts on its own, so
// it weighs the model's threshold (0 while a model is being built).
func fileEvidence(f *model.File) (*evidence.Table, error) {
	var ev evidence.Table
	if err := unmarshalSection(f, evidenceSection, &ev); err != nil {
		return nil, err
	}
	ev.SetDecisive(f.Meta.Threshold)
	return &ev, nil
}

type binaryUnmarshaler interface{ UnmarshalBinary([]byte) error }

func unmarshalSection(f *model.File, name string, into binaryUnmarshaler) error {
	data := f.Section(name)
	if data == nil {
		return fmt.Errorf("%w: section %q is missing", model.ErrCorrupt, name)
	}
	if err := into.UnmarshalBinary(data); err != nil {
		return fmt.Errorf("%w: %w", model.ErrCorrupt, err)
	}
	return nil
}

// readForest decodes the model's forest and checks its width.
func readForest(f *model.File, width int) (*iforest.Forest, error) {
	var forest iforest.Forest
	data := f.Section(iforestSection)
	if data == nil {
		return nil, fmt.Errorf("%w: section %q is missing", model.ErrCorrupt, iforestSection)
	}
	if err := forest.UnmarshalBinary(data); err != nil {
		return nil, fmt.Errorf("%w: isolation forest: %w", model.ErrCorrupt, err)
	}
	if forest.NumFeatures() != width {
		return nil, fmt.Errorf("%w: the forest takes %d features, the model gives it %d", model.ErrCorrupt, forest.NumFeatures(), width)
	}
	return &forest, nil
}

// forestTail turns forest scores into bits against the training flows'
// scores: Q are their percentiles 0..100; beyond the 90th, an
// exponential tail with mean excess Beta, so that scores above every
// training flow still rank.
type forestTail struct {
	Q    []float64 `json:"q"`
	Beta float64   `json:"beta"`
}

func fitTail(scores []float64) *forestTail {
	s := slices.Clone(scores)
	slices.Sort(s)
	t := &forestTail{Q: make([]float64, 101)}
	for k := range t.Q {
		t.Q[k] = s[min(len(s)-1, k*len(s)/100)]
	}
	t.Q[100] = s[len(s)-1]
	excess, n := 0.0, 0
	for _, x := range s {
		if x > t.Q[90] {
			excess += x - t.Q[90]
			n++
		}
	}
	t.Beta = 1e-3
	if n > 0 {
		t.Beta = max(t.Beta, excess/float64(n))
	}
	return t
}

func (t *forestTail) bits(s float64) float64 {
	q := t.Q
	switch {
	case s <= q[0]:
		return 0
	case s >= q[90]:
		return math.Log2(10) + (s-q[90])/(t.Beta*math.Ln2)
	}
	k, _ := slices.BinarySearch(q[:91], s)
	k = max(1, k)
	lo, hi := q[k-1], q[k]
	frac := 1.0
	if hi > lo {
		frac = (s - lo) / (hi - lo)
	}
	tail := 1 - (float64(k-1)+frac)/100
	return -math.Log2(tail)
}

func (t *forestTail) MarshalBinary() ([]byte, error) { return json.Marshal(t) }

func (t *forestTail) UnmarshalBinary(data []byte) error {
	var q forestTail
	if err := json.Unmarshal(data, &q); err != nil {
		return fmt.Errorf("forest tail: %w", err)
	}
	if len(q.Q) != 101 || !slices.IsSorted(q.Q) || !(q.Beta > 0) || math.IsInf(q.Beta, 0) {
		return fmt.Errorf("forest tail: %d percentiles (want 101, sorted), mean excess %v", len(q.Q), q.Beta)
	}
	for _, x := range q.Q {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("forest tail: percentile %v", x)
		}
	}
	*t = q
	return nil
}

type hybridScorer struct {
	nfeat   int // handshake features the forest takes (the model's layout)
	code    *codeScorer
	forest  *iforest.Forest
	prof    *novelty.Profile
	ev      *evidence.Table
	tail    *forestTail
	rhythm  beacon.Baseline // what weighs a flow of a beacon (beacon.Rhythmic)
	known   knownPairs      // periodic pairs training saw (read only, shared)
	vals    []features.Values
	hs      []*tlsparse.Handshake
	joined  []float32
	rows    [][]float32
	fscore  []float64
	contrib []float64
	found   []novelty.Finding
	ein     evidence.Input
	learned []parts // each flow's evidence and novelty, taken in fillScored
	// foundAt are each flow's novelty findings, taken with learned:
	// Explain lists them for an alert of the chunk rather than scoring
	// the flow's novelty again. foundLeaveOut: taken with leaveOut.
	foundAt       [][]novelty.Finding
	foundLeaveOut bool
	// firedAt are each flow's evidence checks that fired, taken with
	// learned: Explain words them without running the checks again.
	firedAt []evidence.Fired
	// held are the flows of the last chunk Score worked on, whose
	// features, rows and forest scores are still in the buffers above:
	// Explain reuses them for an alert of that chunk.
	held  []*flow.Flow
	nHeld int
	// certs are the certificate checks CertificateEvidence ran on flows
	// about to be scored (the pipeline's gather step, in the order Score
	// takes the flows), certAt the next to take: Score does not run them
	// again. Emptied when Score returns.
	certs  []certsRun
	certAt int
	// leaves remembers the checks of the leaf certificate alone by
	// certificate, for CertificateEvidence and CertificateFacts.
	leaves *evidence.LeafMemo
	// noForest: the model's score leaves the forest out (scoringCorpus);
	// the flows are then neither encoded nor walked.
	noForest bool
}

// leafMemoSize bounds the certificates a scorer's LeafMemo remembers (the
// pipeline's certificate cache holds as many by default).
const leafMemoSize = 4096

// certsRun is what the certificate checks said of a flow's leaf.
type certsRun struct {
	flow  *flow.Flow
	tls   *tlsparse.Handshake
	fired evidence.Fired
}

// maxCertsRun bounds s.certs (a caller that never scores).
const maxCertsRun = 1 << 16

// newHybridScorer makes a scorer whose forest takes nfeat handshake
// features after the code (features.Len, or fewer for a model of an
// older layout).
func newHybridScorer(code *codeScorer, forest *iforest.Forest, prof *novelty.Profile, ev *evidence.Table, tail *forestTail, nfeat int) *hybridScorer {
	row := cnn.CodeSize + nfeat
	s := &hybridScorer{
		nfeat: nfeat, code: code, forest: forest, prof: prof, ev: ev, tail: tail,
		vals:    make([]features.Values, scoreBatch),
		hs:      make([]*tlsparse.Handshake, scoreBatch),
		joined:  make([]float32, scoreBatch*row),
		rows:    make([][]float32, scoreBatch),
		fscore:  make([]float64, scoreBatch),
		contrib: make([]float64, row),
		held:    make([]*flow.Flow, scoreBatch),
		learned: make([]parts, scoreBatch),
		foundAt: make([][]novelty.Finding, scoreBatch),
		firedAt: make([]evidence.Fired, scoreBatch),
		leaves:  evidence.NewLeafMemo(leafMemoSize),
	}
	for i := range s.rows {
		s.rows[i] = s.joined[i*row : (i+1)*row]
	}
	return s
}

func (s *hybridScorer) Score(in []Input, out []float64) { s.score(in, out, false) }

// parts are one flow's score in its three parts, in bits.
type parts struct{ evidence, novelty, forest float64 }

func (p parts) sum() float64 { return p.evidence + p.novelty + p.forest }

// score scores flows; with leaveOut they are training flows, each scored
// against the novelty profile without itself.
func (s *hybridScorer) score(in []Input, out []float64, leaveOut bool) {
	for start := 0; start < len(in); start += scoreBatch {
		n := min(scoreBatch, len(in)-start)
		batch := in[start : start+n]
		s.fillScored(batch, leaveOut)
		s.scoreForest(n)
		for i := range batch {
			p := s.learned[i]
			p.forest = s.forestBits(i)
			out[start+i] = p.sum()
			s.held[i] = batch[i].Flow
		}
		s.nHeld = n
	}
	clear(s.certs) // let the flows go
	s.certs, s.certAt = s.certs[:0], 0
}

// certsOf returns what CertificateEvidence found of flow f with handshake
// h, when it was the next flow it ran on.
func (s *hybridScorer) certsOf(f *flow.Flow, h *tlsparse.Handshake) (evidence.Fired, bool) {
	if s.certAt < len(s.certs) {
		if c := &s.certs[s.certAt]; c.flow == f && c.tls == h {
			s.certAt++
			return c.fired, true
		}
	}
	return 0, false
}

// heldIndex returns where the buffers hold what Score computed for in,
// or -1.
func (s *hybridScorer) heldIndex(in Input) int {
	for i, f := range s.held[:s.nHeld] {
		if f == in.Flow && (in.TLS == nil || in.TLS == s.hs[i]) {
			return i
		}
	}
	return -1
}

func (s *hybridScorer) parts(i int, x Input, leaveOut bool) parts {
	p := s.learnedParts(i, x, leaveOut)
	p.forest = s.forestBits(i)
	return p
}

// scoreForest walks the forest for the first n rows (not for a model
// that leaves it out).
func (s *hybridScorer) scoreForest(n int) {
	if !s.noForest {
		s.forest.ScoreBatch(s.rows[:n], s.fscore[:n])
	}
}

// forestBits is flow i's forest part: its forest score in bits, 0 for a
// model that leaves the forest out.
func (s *hybridScorer) forestBits(i int) float64 {
	if s.noForest {
		return 0
	}
	return s.tail.bits(s.fscore[i])
}

// learnedParts are the evidence and novelty parts of flow i's score, from
// its features in s.vals[i].
func (s *hybridScorer) learnedParts(i int, x Input, leaveOut bool) parts {
	var p parts
	p.novelty, s.foundAt[i] = s.prof.Score(&s.vals[i], leaveOut, s.foundAt[i][:0])
	s.ein = evidence.Input{Flow: x.Flow, TLS: s.hs[i], T: &s.vals[i].T}
	if cert, ok := s.certsOf(x.Flow, s.hs[i]); ok {
		p.evidence, s.firedAt[i] = s.ev.ScoreCertFired(&s.ein, cert)
	} else {
		p.evidence, s.firedAt[i] = s.ev.ScoreFired(&s.ein)
	}
	p.evidence += scoring.ContextBits(x.Context)
	return p
}

// RhythmBaseline is the rate by which the pipeline weighs a flow of a
// beacon (beacon.Rhythmic): the model's training network's, else the
// public captures'.
func (s *hybridScorer) RhythmBaseline() beacon.Baseline { return s.rhythm }

// CertificateEvidence says whether the flow's leaf fails a certificate
// check (scoring.Witness). Score takes the checks' results rather than
// running them again (the flows it is about to score).
func (s *hybridScorer) CertificateEvidence(in Input) bool {
	s.ein = evidence.Input{Flow: in.Flow, TLS: in.TLS}
	bits, fired := s.ev.CertFiredMemo(&s.ein, s.leaves)
	if h := in.TLS; h != nil && h.Server != nil && h.Server.Leaf != nil && len(s.certs) < maxCertsRun {
		s.certs = append(s.certs, certsRun{flow: in.Flow, tls: h, fired: fired})
	}
	return bits > 0
}

// CertificateFacts are the certificate checks leaf, in a chain that led
// to chainIssuer, fails for sni at time at, as facts (scoring.Witness):
// what a resumed session to the same server will not show again. A fact
// is worded (Fact.Word) only when its flow alerts.
func (s *hybridScorer) CertificateFacts(leaf *tlsparse.Certificate, chainIssuer []byte, sni string, at time.Time) []scoring.Fact {
	var facts []scoring.Fact
	ev := s.ev
	for _, f := range ev.CertFindingsUnworded(leaf, chainIssuer, sni, at, s.leaves) {
		if f.Counted {
			facts = append(facts, scoring.Fact{Group: f.Group, Reason: evidenceReason(f), Word: func(r *Reason) {
				ev.WordCertFinding(&f, leaf, chainIssuer, sni, at)
				*r = evidenceReason(f)
			}})
		}
	}
	return facts
}

// fill extracts a batch's features, encodes it and builds its joined
// rows.
func (s *hybridScorer) fill(batch []Input) { s.fillWith(batch, false, false) }

// fillScored is fill that also takes each flow's evidence and novelty
// parts (s.learned) right after its features: a batch's features do not
// stay in the cache through the encoder and the forest.
func (s *hybridScorer) fillScored(batch []Input, leaveOut bool) { s.fillWith(batch, true, leaveOut) }

func (s *hybridScorer) fillWith(batch []Input, learned, leaveOut bool) {
	clear(s.held[:s.nHeld])
	s.nHeld = 0
	s.foundLeaveOut = leaveOut
	for i, x := range batch {
		h := x.TLS
		if h == nil {
			h = tlsparse.FromFlow(x.Flow, nil)
		}
		s.hs[i] = h
		features.ExtractCoded(x.Flow, h, &s.vals[i]) // novelty names the set values it finds new
		if learned {
			s.learned[i] = s.learnedParts(i, x, leaveOut)
		}
		if !s.noForest { // the rows are the forest's alone
			copy(s.rows[i][cnn.CodeSize:], s.vals[i].Vec[:s.nfeat])
		}
	}
	if s.noForest {
		return
	}
	s.code.encode(batch)
	for i := range batch {
		copy(s.rows[i], s.code.rows[i])
	}
}

// hybridTrees is the hybrid model's default forest size: with 100 trees,
// recall at a strict false-positive rate swung between seeds.
const hybridTrees = 500

func trainHybrid(ctx context.Context, f *model.File, set *trainSet, cfg TrainConfig) error {
	codes, err := trainEncoder(ctx, f, set.train, set.val, cfg)
	if err != nil {
		return err
	}
	return fitHybridParts(f, set.flows, codes, cfg)
}
