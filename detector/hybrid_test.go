package detector

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/labset"
)

func lab(t *testing.T, kind string, n int, seed uint64) []*flow.Flow {
	t.Helper()
	flows, err := labset.Flows(context.Background(), kind, n, seed)
	if err != nil {
		t.Fatal(err)
	}
	return flows
}

func trainHybridLab(t *testing.T) (*model.File, *Model) {
	t.Helper()
	return trainHybridOn(t, lab(t, labset.Benign, 48, 1))
}

func trainHybridOn(t *testing.T, flows []*flow.Flow) (*model.File, *Model) {
	t.Helper()
	f, err := Train(context.Background(), flows, TrainConfig{
		Kind: model.KindHybrid, Epochs: 1, Batch: 16, Seed: 3, Trees: 50, AlertRate: 0.05,
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := fileToModel(f)
	if err != nil {
		t.Fatal(err)
	}
	return f, m
}

func TestHybridSeparatesLabKinds(t *testing.T) {
	f, m := trainHybridLab(t)
	if f.Meta.Params[paramFeatures] == "" || f.Meta.Params["trees"] != "50" {
		t.Fatalf("params %v", f.Meta.Params)
	}
	s, err := m.NewScorer()
	if err != nil {
		t.Fatal(err)
	}
	benign := lab(t, labset.Benign, 24, 2) // later traffic of the same set-ups
	bs := make([]float64, len(benign))
	s.Score(Inputs(benign), bs)
	worst := slices.Max(bs)
	for _, kind := range []string{labset.NonTLSSSH, labset.LegacyTLS10, labset.TruncatedHello, labset.OddCiphersNoSNI, labset.SelfSigned} {
		an := lab(t, kind, 6, 2)
		as := make([]float64, len(an))
		s.Score(Inputs(an), as)
		switch {
		case kind == labset.TruncatedHello:
			// A hello cut short with nothing missing is a breach that
			// decides on its own: it alerts, though a hello cut deep in
			// its extensions (the lab cuts at 30-80%) shows no other
			// fact: it has no fingerprint to be new (tlsparse makes none
			// up from a cut hello).
			if slices.Min(as) < m.Threshold() {
				t.Errorf("%s: scores %v, threshold %v", kind, as, m.Threshold())
			}
		case slices.Min(as) <= worst:
			t.Errorf("%s: scores %v, the highest benign %v", kind, as, worst)
		}
		reasons := s.Explain(Input{Flow: an[0]})
		if len(reasons) == 0 || !strings.Contains(reasons[0].Text, "training") || reasons[0].Weight <= 0 {
			t.Errorf("%s: reasons %+v", kind, reasons)
		}
	}
	// A parsed handshake given by the caller scores the same.
	withTLS := make([]Input, len(benign))
	for i, fl := range benign {
		withTLS[i] = Input{Flow: fl, TLS: tlsparse.FromFlow(fl, nil)}
	}
	again := make([]float64, len(benign))
	s.Score(withTLS, again)
	if !slices.Equal(again, bs) {
		t.Errorf("scores with the caller's handshakes differ: %v vs %v", again, bs)
	}
}

func TestHybridSameSeedSameModel(t *testing.T) {
	// (labset's handshakes have fresh randoms each run: same flows twice.)
	flows := lab(t, labset.Benign, 48, 1)
	a, _ := trainHybridOn(t, flows)
	b, _ := trainHybridOn(t, flows)
	da, _ := a.Encode()
	db, _ := b.Encode()
	if string(da) != string(db) {
		t.Error("the same flows and seed gave different model files")
	}
}

func TestHybridLoadErrors(t *testing.T) {
	f, _ := trainHybridLab(t)
	mutate := func(change func(*model.File)) error {
		g := *f
		g.Meta.Params = maps(f.Meta.Params)
		g.Sections = slices.Clone(f.Sections)
		change(&g)
		data, err := g.Encode()
		if err != nil {
			t.Fatal(err)
		}
		_, err = Load(data)
		return err
	}
	for name, c := range map[string]struct {
		change func(*model.File)
		is     error
		want   string
	}{
		"schema":  {func(g *model.File) { g.Meta.Params[paramFeatures] = "v0" }, model.ErrUnsupported, `uses features "v0"`},
		"scoring": {func(g *model.File) { g.Meta.Params[paramScoring] = "x" }, model.ErrUnsupported, `scores "x"`},
		"evidence": {func(g *model.File) {
			for i := range g.Sections {
				if g.Sections[i].Name == evidenceSection {
					g.Sections[i].Data = []byte(`{"flows":0}`)
				}
			}
		}, model.ErrCorrupt, "evidence table"},
		"tail": {func(g *model.File) {
			for i := range g.Sections {
				if g.Sections[i].Name == tailSection {
					g.Sections[i].Data = []byte(`{"q":[1],"beta":1}`)
				}
			}
		}, model.ErrCorrupt, "forest tail"},
		"novelty": {func(g *model.File) {
			for i := range g.Sections {
				if g.Sections[i].Name == noveltySection {
					g.Sections[i].Data = []byte("{")
				}
			}
		}, model.ErrCorrupt, "novelty profile"},
		"forest width": {func(g *model.File) {
			cnnFile, _ := trainSmall(t, model.KindCNNIForest)
			for i := range g.Sections {
				if g.Sections[i].Name == iforestSection {
					g.Sections[i].Data = cnnFile.Section(iforestSection)
				}
			}
		}, model.ErrCorrupt, "the forest takes 128 features"},
	} {
		err := mutate(c.change)
		if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %v with %q", name, err, c.is, c.want)
		}
	}
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func trainForBench(b *testing.B, kind string, flows []*flow.Flow) *Model {
	f, err := Train(context.Background(), flows, TrainConfig{Kind: kind, Epochs: 1, Batch: 32, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	m, err := fileToModel(f)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// TestExplainReusesScore: reasons worded from what Score just computed
// are the reasons of a scorer that computes them afresh, for every flow
// of the chunk and after an explain of a flow from elsewhere.
func TestExplainReusesScore(t *testing.T) {
	_, m := trainHybridLab(t)
	var in []Input
	for _, kind := range []string{labset.Benign, labset.NonTLSSSH, labset.SelfSigned, labset.PreambleConnect} {
		for _, f := range lab(t, kind, 3, 9) {
			in = append(in, Input{Flow: f, TLS: tlsparse.FromFlow(f, nil)})
		}
	}
	reused, _ := m.NewScorer()
	fresh, _ := m.NewScorer()
	reused.Score(in, make([]float64, len(in)))
	if i := reused.(*hybridScorer).heldIndex(in[5]); i != 5 {
		t.Fatalf("flow 5 held at %d", i)
	}
	for i, x := range in {
		if got, want := reused.Explain(x), fresh.Explain(x); !reflect.DeepEqual(got, want) {
			t.Errorf("flow %d: reused %+v, fresh %+v", i, got, want)
		}
	}
	other := lab(t, labset.LegacyTLS10, 1, 9)[0]
	reused.Explain(Input{Flow: other})
	if i := reused.(*hybridScorer).heldIndex(in[5]); i != -1 {
		t.Errorf("after explaining another flow, flow 5 still held at %d", i)
	}
	if got, want := reused.Explain(in[5]), fresh.Explain(in[5]); !reflect.DeepEqual(got, want) {
		t.Errorf("after another flow: %+v, want %+v", got, want)
	}
}
