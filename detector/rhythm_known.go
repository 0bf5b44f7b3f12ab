package detector

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/tlsentry/tlsentry/detector/beacon"
	"github.com/tlsentry/tlsentry/detector/model"
)

// MaxKnownPairs bounds the periodic pairs a model keeps as known: those
// with the most connections in training (train -update keeps the bound
// too). A site's pollers are a few; the bound keeps a file and a lookup
// small whatever the training flows.
const MaxKnownPairs = 4096

// knownPair is a client-server pair the beacon tracker found periodic in
// the training flows, as the model file keeps it: the addresses as text
// (the tracker's hashes are seeded; text is the same for every seed) and
// the connections training saw of it.
type knownPair struct {
	Client string `json:"client"`
	Server string `json:"server"`
	Conns  int64  `json:"conns"`
}

// rhythmRecord is the rhythm section: the baseline and the periodic
// pairs training saw, which are known (as novelty knows the values seen
// in training): their flows take no rhythm fact.
type rhythmRecord struct {
	beacon.Baseline
	Known []knownPair `json:"known,omitempty"`
}

// knownPairs are the periodic pairs of training and their connections.
type knownPairs map[rhythmPair]int64

// merge adds o's pairs (and connections) to k.
func (k knownPairs) merge(o knownPairs) {
	for p, n := range o {
		k[p] += n
	}
}

// list is k as the file keeps it: the MaxKnownPairs pairs with the most
// connections, most first (then by address, so that a file is the same
// every run).
func (k knownPairs) list() []knownPair {
	ps := make([]rhythmPair, 0, len(k))
	for p := range k {
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(a, b rhythmPair) int {
		return cmp.Or(cmp.Compare(k[b], k[a]), a.client.Compare(b.client), a.server.Compare(b.server))
	})
	ps = ps[:min(len(ps), MaxKnownPairs)]
	out := make([]knownPair, len(ps))
	for i, p := range ps {
		out[i] = knownPair{Client: p.client.String(), Server: p.server.String(), Conns: min(k[p], maxBaselineConns)}
	}
	return out
}

// maxBaselineConns bounds a known pair's connections so that sums of
// updates cannot overflow.
const maxBaselineConns = 1 << 50

// readRhythm decodes and checks a rhythm section: a rate, at most
// MaxKnownPairs known pairs of valid addresses, each once, with at least
// one connection, no more of them than the periodic pairs the rate
// counts, and only where the rate counts the site's pairs.
func readRhythm(data []byte) (beacon.Baseline, knownPairs, error) {
	var r rhythmRecord
	err := json.Unmarshal(data, &r)
	if err == nil {
		err = r.Validate()
	}
	var known knownPairs
	if err == nil {
		known, err = r.known()
	}
	if err != nil {
		return beacon.Baseline{}, nil, fmt.Errorf("%w: section %s: %w", model.ErrCorrupt, rhythmSection, err)
	}
	return r.Baseline, known, nil
}

// known checks r's known pairs and returns them as a set.
func (r *rhythmRecord) known() (knownPairs, error) {
	switch {
	case len(r.Known) > MaxKnownPairs:
		return nil, fmt.Errorf("%d known periodic pairs (at most %d)", len(r.Known), MaxKnownPairs)
	case len(r.Known) > r.Periodic:
		return nil, fmt.Errorf("%d known periodic pairs of %d periodic", len(r.Known), r.Periodic)
	case len(r.Known) > 0 && r.SitePairs == 0:
		return nil, errors.New("known periodic pairs in a public measurement")
	}
	k := make(knownPairs, len(r.Known))
	for _, kp := range r.Known {
		c, err := netip.ParseAddr(kp.Client)
		if err != nil {
			return nil, fmt.Errorf("known pair: %w", err)
		}
		s, err := netip.ParseAddrPort(kp.Server)
		if err != nil {
			return nil, fmt.Errorf("known pair: %w", err)
		}
		p := rhythmPair{c, s}
		if _, dup := k[p]; dup {
			return nil, fmt.Errorf("known pair %s %s twice", kp.Client, kp.Server)
		}
		if kp.Conns < 1 || kp.Conns > maxBaselineConns {
			return nil, fmt.Errorf("known pair %s %s of %d connections", kp.Client, kp.Server, kp.Conns)
		}
		k[p] = kp.Conns
	}
	return k, nil
}

// fileKnown is a hybrid model file's known periodic pairs (none without
// a rhythm section).
func fileKnown(f *model.File) (knownPairs, error) {
	data := f.Section(rhythmSection)
	if data == nil {
		return knownPairs{}, nil
	}
	_, k, err := readRhythm(data)
	return k, err
}

// KnownPeriodic says whether training found the pair of client and
// server periodic (beacon.Rhythmic): its flows are known and take no
// rhythm fact.
func (s *hybridScorer) KnownPeriodic(client netip.Addr, server netip.AddrPort) bool {
	_, ok := s.known[rhythmPair{client, server}]
	return ok
}

// KnownPeriodic is the number of periodic pairs the model knows from
// training (0 for kinds other than hybrid).
func (m *Model) KnownPeriodic() int {
	if m.Kind() != model.KindHybrid {
		return 0
	}
	return FileKnownPeriodic(m.File)
}

// FileKnownPeriodic is the number of periodic pairs a hybrid model file
// knows from training (0 for a file without them or a corrupt section).
func FileKnownPeriodic(f *model.File) int {
	k, err := fileKnown(f)
	if err != nil {
		return 0
	}
	return len(k)
}
