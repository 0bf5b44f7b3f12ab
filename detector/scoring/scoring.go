package scoring

import (
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// Input is a flow to score, with its parsed handshake
// (tlsparse.FromFlow). TLS may be nil: a scorer that needs it parses the
// flow itself.
type Input struct {
	Flow *flow.Flow
	TLS  *tlsparse.Handshake
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
)

// Reason is one thing that made a flow score high, for the analyst: which
// layer spoke, the check or feature (a stable id), the record field and
// its value, and in words how they compare with the baseline or the
// public corpus.
type Reason struct {
	Layer   string  // LayerEvidence, LayerLearned or LayerLists
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
