package novelty

import "fmt"

// A Baseline says whose flows a profile counts, for the words of reasons:
// "new to this network" from a sensor that never learned its network
// (the embedded default, fitted on public captures) would send an
// analyst looking for a training that never happened.
type Baseline string

const (
	// BaselineNetwork: one network's flows (a site's model; profiles
	// made before baselines were named).
	BaselineNetwork Baseline = ""
	// BaselineCorpus: a public corpus of many networks' captures (make
	// model's: the embedded default).
	BaselineCorpus Baseline = "public-corpus"
	// BaselineCorpusNetwork: a public corpus's profile that a network's
	// own flows were added to (train -update of the default).
	BaselineCorpusNetwork Baseline = "public-corpus+network"
)

// Name is what a reason calls the baseline: "this network", "the public
// corpus", "the public corpus and this network".
func (b Baseline) Name() string {
	switch b {
	case BaselineCorpus:
		return "the public corpus"
	case BaselineCorpusNetwork:
		return "the public corpus and this network"
	}
	return "this network"
}

// WithNetwork is the baseline once a network's own flows are added.
func (b Baseline) WithNetwork() Baseline {
	if b == BaselineCorpus {
		return BaselineCorpusNetwork
	}
	return b
}

func (b Baseline) check() error {
	switch b {
	case BaselineNetwork, BaselineCorpus, BaselineCorpusNetwork:
		return nil
	}
	return fmt.Errorf("novelty profile: baseline %q (want %q, %q or none)", string(b), BaselineCorpus, BaselineCorpusNetwork)
}
