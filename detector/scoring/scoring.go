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

// Reason is one thing that made a flow score high, for the analyst.
type Reason struct {
	Feature string  // stable feature name, e.g. "client.version"
	Text    string  // in words
	Weight  float64 // how much it counted (bits of novelty or path levels)
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
