package detector

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"

	"github.com/tlsentry/tlsentry/detector/beacon"
	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/flow"
)

// rhythmSection holds a hybrid model's rhythm baseline (beacon.Baseline,
// JSON): how often the network's benign client-server pairs pass for
// beacons, which weighs a beacon's flows. A model without it (older
// files, the embedded default) weighs them by the public measurement.
const rhythmSection = "rhythm"

// rhythmMeasure is what the beacon tracker found in training flows.
type rhythmMeasure struct {
	Periodic, Pairs int // client-server pairs with a finding, of all pairs
	// Scored says whether any pair had the connections to be scored at
	// all (beacon.Config.MinConns within the window): without one, the
	// flows are too few or too short in time to say anything of the
	// network's rhythm.
	Scored bool
	// Known are the periodic pairs, each with its connections.
	Known knownPairs
}

// measureRhythm runs flows through a beacon tracker at the daemon's
// defaults (pairs of client and server address, as the shipped
// configuration has it), in start order, and counts the pairs that got a
// finding. Flows without a time the tracker takes are not counted. With
// capture set, each capture is another network at another time: each
// gets a tracker of its own (as bench/beacon_benign.sh measures the
// public captures).
func measureRhythm(flows []*flow.Flow, capture map[*flow.Flow]string) (rhythmMeasure, error) {
	groups := map[string][]*flow.Flow{}
	var names []string
	for _, f := range flows {
		c := ""
		if capture != nil {
			c = capture[f]
		}
		if _, ok := groups[c]; !ok {
			names = append(names, c)
		}
		groups[c] = append(groups[c], f)
	}
	m := rhythmMeasure{Known: knownPairs{}}
	for _, c := range names {
		if err := m.add(groups[c]); err != nil {
			return m, err
		}
	}
	return m, nil
}

// rhythmTracker is the tracker that measures: the daemon's default (a
// configuration without a beacon section), pairs of client and server
// address.
var rhythmTracker = beacon.Config{Key: beacon.KeyServer}

type rhythmPair struct {
	client netip.Addr
	server netip.AddrPort
}

// add runs one network's flows through a tracker of its own.
func (m *rhythmMeasure) add(flows []*flow.Flow) error {
	tr, err := beacon.NewTracker(rhythmTracker)
	if err != nil {
		return fmt.Errorf("rhythm: %w", err)
	}
	ordered := slices.Clone(flows)
	slices.SortStableFunc(ordered, func(a, b *flow.Flow) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.ID, b.ID))
	})
	pairs, periodic := map[rhythmPair]int64{}, map[rhythmPair]bool{}
	taken := uint64(0)
	for _, f := range ordered {
		ev := beacon.Event{Time: f.Start, FlowID: f.ID, Client: f.Client.AddrPort().Addr(), Server: f.Server.AddrPort(),
			BytesToServer: f.BytesToServer, BytesToClient: f.BytesToClient}
		fd, found := tr.Add(ev)
		if n := tr.Stats().Events; n > taken { // refused for its time otherwise
			taken = n
			pairs[rhythmPair{ev.Client, ev.Server}]++
		}
		if found {
			periodic[rhythmPair{fd.Client, fd.Server}] = true
		}
	}
	m.Pairs += len(pairs)
	m.Periodic += len(periodic)
	for p := range periodic {
		m.Known[p] += pairs[p]
	}
	m.Scored = m.Scored || tr.Stats().Scorings > 0
	return nil
}

// addRhythm measures the training flows' rhythm and stores it in f, when
// it says anything (some pair was scored); otherwise f keeps no rhythm
// section and weighs rhythm by the public measurement. A model of many
// networks' captures (NoveltyByCapture: make model's public corpus)
// measures each capture on its own, and its pairs are not a site's: it
// knows none of them; when it found no periodic pair among fewer pairs
// than beacon.PublicBaseline counted, it keeps no section and weighs
// rhythm by that broader measurement. A site's model knows its periodic pairs (at most
// MaxKnownPairs): their flows take no rhythm fact.
func addRhythm(f *model.File, flows []*flow.Flow, cfg TrainConfig) error {
	var capture map[*flow.Flow]string
	if cfg.NoveltyByCapture {
		capture = cfg.Capture
	}
	m, err := measureRhythm(flows, capture)
	if err != nil || !m.Scored {
		return err
	}
	r := rhythmRecord{Baseline: beacon.Baseline{Periodic: m.Periodic, Pairs: m.Pairs, SitePairs: m.Pairs}, Known: m.Known.list()}
	if cfg.NoveltyByCapture {
		if saysLessThanPublic(m) {
			return nil
		}
		r.SitePairs, r.Known = 0, nil
	}
	return setRhythm(f, r)
}

// saysLessThanPublic reports a public measurement that found no periodic
// pair among fewer pairs than beacon.PublicBaseline, which found none
// either: the built-in one says the same of more pairs (make model's
// captures are among those it counted), so the model keeps no section and
// weighs rhythm by it.
func saysLessThanPublic(m rhythmMeasure) bool {
	pub := beacon.PublicBaseline()
	return m.Periodic == 0 && pub.Periodic == 0 && m.Pairs <= pub.Pairs
}

// setRhythm stores r in f's rhythm section, replacing the one it has.
func setRhythm(f *model.File, r rhythmRecord) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if _, err := r.known(); err != nil {
		return fmt.Errorf("model section %s: %w", rhythmSection, err)
	}
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("model section %s: %w", rhythmSection, err)
	}
	for i := range f.Sections {
		if f.Sections[i].Name == rhythmSection {
			f.Sections[i].Data = data
			return nil
		}
	}
	f.Sections = append(f.Sections, model.Section{Name: rhythmSection, Data: data})
	return nil
}

// FileRhythm is a hybrid model file's rhythm baseline: its section, or
// the public measurement when it has none.
func FileRhythm(f *model.File) (beacon.Baseline, error) {
	data := f.Section(rhythmSection)
	if data == nil {
		return beacon.PublicBaseline(), nil
	}
	b, _, err := readRhythm(data)
	return b, err
}

// Rhythm is how the model weighs a flow of a beacon: the rate at which its
// training network's benign pairs passed for beacons, or the public
// measurement (models that never measured one, and kinds other than
// hybrid).
func (m *Model) Rhythm() beacon.Baseline {
	b, err := FileRhythm(m.File)
	if err != nil || m.Kind() != model.KindHybrid {
		return beacon.PublicBaseline()
	}
	return b
}
