package detector

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/detector/evidence"
	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/detector/novelty"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// TestUpdate: flows of a stack the model never saw are new before an
// update and known after it; the networks stay the same bytes.
func TestUpdate(t *testing.T) {
	f, m := trainHybridLab(t)
	newStack := lab(t, labset.LegacyTLS10, 12, 4)
	novel := func(m *Model) float64 {
		s, err := m.NewScorer()
		if err != nil {
			t.Fatal(err)
		}
		hs := s.(*hybridScorer)
		in := Input{Flow: newStack[0], TLS: tlsparse.FromFlow(newStack[0], nil)}
		hs.fill([]Input{in})
		hs.forest.ScoreBatch(hs.rows[:1], hs.fscore[:1])
		return hs.parts(0, in, false).novelty
	}
	if b := novel(m); b == 0 {
		t.Fatal("the new stack is not new before the update")
	}
	g, rep, err := Update(f, newStack)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Flows != 12 || rep.KnownNow != rep.KnownBefore+12 || rep.NewThreshold < rep.OldThreshold {
		t.Errorf("report %+v", rep)
	}
	m2, err := fileToModel(g)
	if err != nil {
		t.Fatal(err)
	}
	if b := novel(m2); b != 0 {
		t.Errorf("after the update the new stack still scores %v bits of novelty", b)
	}
	for _, name := range []string{iforestSection, tailSection, cnnPrefix + "conv1"} {
		for i := range f.Sections {
			if strings.HasPrefix(f.Sections[i].Name, name) && string(f.Sections[i].Data) != string(g.Section(f.Sections[i].Name)) {
				t.Errorf("section %s changed", f.Sections[i].Name)
			}
		}
	}
	// The evidence counts the new flows into its rates and learns their
	// own servers: here, the lab's self-signed certificates.
	var before, after evidence.Table
	if err := unmarshalSection(f, evidenceSection, &before); err != nil {
		t.Fatal(err)
	}
	if err := unmarshalSection(g, evidenceSection, &after); err != nil {
		t.Fatal(err)
	}
	counted := before.With(withPayload(evidenceInputs(newStack, nil)), "this network's baseline updates")
	if !reflect.DeepEqual(counted.Rates, after.Rates) || len(after.KnownSelfMade) < len(before.KnownSelfMade) ||
		!slices.Equal(after.KnownSelfMade[:len(before.KnownSelfMade)], before.KnownSelfMade) {
		t.Errorf("evidence: rates not the new flows' counted in, or known certificates lost (%d -> %d known)", len(before.KnownSelfMade), len(after.KnownSelfMade))
	}
	selfMade := 0
	for _, fl := range newStack {
		h := tlsparse.FromFlow(fl, nil)
		if h.Server == nil || h.Server.Leaf == nil || !h.Server.Leaf.SelfIssued {
			continue
		}
		selfMade++
		if !slices.Contains(after.KnownSelfMade, h.Server.Leaf.SHA256Fingerprint) {
			t.Errorf("the update did not learn the self-made certificate %s", h.Server.Leaf.SHA256Fingerprint)
		}
	}
	if selfMade == 0 {
		t.Error("the new stack's servers showed no self-made certificate to learn")
	}
	cnnFile, _ := trainSmall(t, model.KindCNNIForest)
	if _, _, err := Update(cnnFile, newStack); err == nil {
		t.Error("a cnn-iforest model was updated")
	}
}

// TestTrainWithEncoder refits around a model's encoder: same CNN
// weights, a loadable model whose parts are fitted on the new flows.
func TestTrainWithEncoder(t *testing.T) {
	f, _ := trainHybridLab(t)
	g, err := TrainWithEncoder(context.Background(), f, lab(t, labset.Benign, 32, 5), TrainConfig{Kind: model.KindHybrid, Trees: 20, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fileToModel(g); err != nil {
		t.Fatal(err)
	}
	for _, s := range f.Sections {
		if strings.HasPrefix(s.Name, cnnPrefix) && string(g.Section(s.Name)) != string(s.Data) {
			t.Errorf("encoder section %s differs", s.Name)
		}
	}
	if g.Meta.Training.Flows != 32 || !strings.Contains(g.Meta.Training.Notes, f.ID) {
		t.Errorf("training %+v", g.Meta.Training)
	}
}

// TestUpdateKeepsThresholdForFewFlows: an update of fewer flows than a
// quantile needs keeps the threshold, however high one of them scores (a
// benign gateway with NULL suites once raised it to its own score, and
// every alert under it went quiet), and names the flows that still alert.
func TestUpdateKeepsThresholdForFewFlows(t *testing.T) {
	f, _ := trainHybridLab(t)
	odd := lab(t, labset.NonTLSSSH, 1, 9) // SSH on 443: evidence the other new flows do not show
	flows := append(lab(t, labset.Benign, 6, 5), odd...)
	// A threshold under what the SSH flow scores once counted in, so that
	// it alerts after the update whatever the lab's model (trained on
	// flows made anew each run) makes of it.
	counted, _ := updateScoresOf(t, f, flows)
	f.Meta.Threshold = counted[len(flows)-1] - 0.5
	g, rep, err := Update(f, flows)
	if err != nil {
		t.Fatal(err)
	}
	if g.Meta.Threshold != f.Meta.Threshold || rep.NewThreshold != rep.OldThreshold {
		t.Errorf("threshold %v -> %v (report %v -> %v); want it kept", f.Meta.Threshold, g.Meta.Threshold, rep.OldThreshold, rep.NewThreshold)
	}
	// Named among them, not necessarily first: a benign lab flow made on a
	// loaded machine may score higher still (the forest finds it odd).
	i := slices.IndexFunc(rep.StillAlerting, func(o Outlier) bool { return o.Flow == odd[0] })
	if i < 0 || rep.StillAlerting[i].Score < g.Meta.Threshold {
		t.Fatalf("still alerting: %+v; want the SSH flow among them", rep.StillAlerting)
	}
	for i := 1; i < len(rep.StillAlerting); i++ {
		if rep.StillAlerting[i].Score > rep.StillAlerting[i-1].Score {
			t.Errorf("still alerting not highest first: %+v", rep.StillAlerting)
		}
	}
}

// TestUpdateLeavesOutWhatOnlyItsOwnCountHides: a lone SSH client on port
// 443 among an update's TLS flows, counted into the evidence, would weigh
// its own fact down; where that alone takes it under the threshold, the
// update leaves it out of the evidence (its values join the profile) and
// names it, so that it still alerts. Before, one such flow in a CI run
// fell under the threshold and went unreported.
func TestUpdateLeavesOutWhatOnlyItsOwnCountHides(t *testing.T) {
	f, _ := trainHybridLab(t)
	ssh := lab(t, labset.NonTLSSSH, 1, 9)
	flows := append(lab(t, labset.Benign, 6, 5), ssh...)
	counted, alone := updateScoresOf(t, f, flows)
	last := len(flows) - 1
	if alone[last]-counted[last] < 1 {
		t.Fatalf("SSH flow: %.2f bits counted, %.2f without its own evidence count: its own count should weigh", counted[last], alone[last])
	}
	for i := range last {
		if alone[i]-counted[i] > 0.5 {
			t.Errorf("benign flow %d: %.2f bits counted, %.2f without itself: the others vouch for it", i, counted[i], alone[i])
		}
	}
	// A threshold between the two: only its own count would hide it.
	g := &model.File{Meta: f.Meta, Sections: f.Sections}
	g.Meta.Threshold = (counted[last] + alone[last]) / 2
	h, rep, err := Update(g, flows)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OddFlows != 1 || rep.KnownNow != rep.KnownBefore+len(flows) {
		t.Errorf("report %+v: want the SSH flow alone left out of the evidence, every flow in the profile", rep)
	}
	if i := slices.IndexFunc(rep.StillAlerting, func(o Outlier) bool { return o.Flow == ssh[0] }); i < 0 {
		t.Errorf("still alerting: %+v; want the SSH flow", rep.StillAlerting)
	}
	var before, after evidence.Table
	if err := unmarshalSection(g, evidenceSection, &before); err != nil {
		t.Fatal(err)
	}
	if err := unmarshalSection(h, evidenceSection, &after); err != nil {
		t.Fatal(err)
	}
	if b, a := before.Rates["proto.not_tls.ssh"].Fired, after.Rates["proto.not_tls.ssh"].Fired; a != b {
		t.Errorf("SSH on 443 counted into the rates: fired %d -> %d", b, a)
	}
}

// updateScoresOf is updateScores of an update of f with flows: each
// flow's score counted in, and without its own count.
func updateScoresOf(t *testing.T, f *model.File, flows []*flow.Flow) (counted, alone []float64) {
	t.Helper()
	certs := tlsparse.NewCertCache(64)
	vals := extractValues(flows, certs)
	var prof novelty.Profile
	if err := unmarshalSection(f, noveltySection, &prof); err != nil {
		t.Fatal(err)
	}
	withFlows, err := withValues(f, &prof, vals)
	if err != nil {
		t.Fatal(err)
	}
	counted, alone, err = updateScores(withFlows, flows, evidenceInputs(flows, certs))
	if err != nil {
		t.Fatal(err)
	}
	return counted, alone
}
