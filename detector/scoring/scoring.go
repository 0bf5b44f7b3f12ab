package scoring

import (
	"time"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// Input is a flow to score, with its parsed handshake
// (tlsparse.FromFlow). TLS may be nil: a scorer that needs it parses the
// flow itself.
type Input struct {
	Flow *flow.Flow
	TLS  *tlsparse.Handshake
	// Context is what other flows say about this one that it cannot show
	// by itself (package doc); nil for most flows.
	Context []Fact
}

// Fact is one piece of context: a reason whose Weight is its bits, and
// the group of facts it belongs to (of a group, only the strongest
// counts).
type Fact struct {
	Group  string
	Reason Reason
	// Word, when set, fills in the reason's words (its Field, Value and
	// Text), which Reason then lacks: they are built only for a flow that
	// alerts (ContextReasons), while every flow's score weighs the fact.
	Word func(*Reason)
}

// Witness is a scorer that can say what a flow shows about its server
// that a later flow to it may not show again (a resumed session sends no
// certificate). CertificateEvidence says, without allocating, whether the
// flow's leaf certificate gives evidence at all; CertificateFacts words
// it for that later flow's Context: the checks leaf fails when shown in a
// chain that led to chainIssuer (tlsparse.ServerFlight.ChainIssuer, nil
// when unknown) for server name sni at time at.
type Witness interface {
	CertificateEvidence(in Input) bool
	CertificateFacts(leaf *tlsparse.Certificate, chainIssuer []byte, sni string, at time.Time) []Fact
}

// Inputs wraps flows without parsed handshakes.
func Inputs(flows []*flow.Flow) []Input {
	in := make([]Input, len(flows))
	for i, f := range flows {
		in[i].Flow = f
	}
	return in
}

// Layers of detection a reason comes from.
const (
	LayerEvidence = "evidence" // a protocol check that holds on any network
	LayerLearned  = "learned"  // what the model learned of the network (novelty, forest, CNN)
	LayerLists    = "lists"    // the operator's block and allow lists
	LayerRhythm   = "rhythm"   // the timing of a client's connections (beaconing)
	LayerExploit  = "exploit"  // a known exploit's traffic (detector/exploit): alerts whatever the score
	LayerScan     = "scan"     // a client's hellos of many stacks to one server (detector/scan)
)

// Reason is one thing that made a flow score high, for the analyst: which
// layer spoke, the check or feature (a stable id), the record field and
// its value, and in words how they compare with the baseline or the
// public corpus.
type Reason struct {
	Layer   string  // LayerEvidence, LayerLearned, LayerLists, LayerRhythm, LayerExploit or LayerScan
	Feature string  // stable id of the check or feature, e.g. "sni.missing", "tls.ja4"
	Field   string  // the eve record field it is about, e.g. "tls.sni", "app_proto"
	Value   string  // that field's value in this flow
	Text    string  // in words
	Weight  float64 // how much it counted, in bits (hybrid); tree levels (cnn-iforest)
}

// Scorer scores flows. It is not safe for concurrent use: each worker
// gets its own from Model.NewScorer.
type Scorer interface {
	// Score writes one score per flow into out (len(out) == len(in)).
	Score(in []Input, out []float64)
	// Explain says what made one flow's score, most important first (at
	// most a handful of reasons). It is meant for alerts, not every flow.
	Explain(in Input) []Reason
}

// ContextBits is what a flow's context adds to its score: the strongest
// fact of each group, summed. It does not allocate.
func ContextBits(facts []Fact) float64 {
	total := 0.0
	for i, f := range facts {
		if counted(facts, i) {
			total += f.Reason.Weight
		}
	}
	return total
}

// ContextReasons are the facts ContextBits counts, as reasons.
func ContextReasons(facts []Fact) []Reason {
	var out []Reason
	for i, f := range facts {
		if counted(facts, i) {
			r := f.Reason
			if f.Word != nil {
				f.Word(&r)
			}
			out = append(out, r)
		}
	}
	return out
}

// counted says whether facts[i] is the one its group counts: the
// strongest, the first of equals.
func counted(facts []Fact, i int) bool {
	for j, g := range facts {
		if j != i && g.Group == facts[i].Group &&
			(g.Reason.Weight > facts[i].Reason.Weight || (g.Reason.Weight == facts[i].Reason.Weight && j < i)) {
			return false
		}
	}
	return true
}
