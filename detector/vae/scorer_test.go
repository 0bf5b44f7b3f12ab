package vae

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// gorgoniaForward runs imgs through the VAE graph with epsilon = 0 and
// returns the reconstructions and latent means, each image's after the
// other.
func gorgoniaForward(t *testing.T, w *Weights, imgs [][]float32) (out, mu []float32) {
	t.Helper()
	n := len(imgs)
	m, err := newGraph(w, n, false)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(m.g)
	defer vm.Close()
	x := make([]float32, 0, n*Pixels)
	for _, img := range imgs {
		x = append(x, img...)
	}
	if err := G.Let(m.x, tensor.New(tensor.WithShape(n, Pixels), tensor.WithBacking(x))); err != nil {
		t.Fatal(err)
	}
	eps := tensor.New(tensor.WithShape(n, Latent), tensor.WithBacking(make([]float32, n*Latent)))
	if err := G.Let(m.eps, eps); err != nil {
		t.Fatal(err)
	}
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	out = append([]float32(nil), m.out.Value().Data().([]float32)...)
	mu = append([]float32(nil), m.mu.Value().Data().([]float32)...)
	return out, mu
}

// TestScorerMatchesGorgonia checks the hand-written forward pass against
// gorgonia's with the same weights (trained, with non-zero biases).
func TestScorerMatchesGorgonia(t *testing.T) {
	w, _ := trainedModel(t)
	w = w.Clone()
	r := rand.New(rand.NewPCG(3, 4))
	for i := range w.Layers {
		for j := range w.Layers[i].B {
			w.Layers[i].B[j] += float32(r.NormFloat64() * 0.05)
		}
	}
	imgs := append(normalImages(6, 5), randomImages(7, 3)...)
	wantOut, wantMu := gorgoniaForward(t, w, imgs)

	s, err := NewScorer(w)
	if err != nil {
		t.Fatal(err)
	}
	rec := make([]float32, Pixels)
	var worst, worstMu float64
	for i, img := range imgs {
		s.Reconstruct(rec, img)
		worst = max(worst, maxAbsDiff(rec, wantOut[i*Pixels:(i+1)*Pixels]))
		mu, _ := s.Latent(img)
		worstMu = max(worstMu, maxAbsDiff(mu[:], wantMu[i*Latent:(i+1)*Latent]))
	}
	t.Logf("max |diff|: reconstructions %.3g, latent means %.3g", worst, worstMu)
	if worst > 1e-4 || worstMu > 1e-4 {
		t.Errorf("Scorer differs from gorgonia: reconstructions by %g, latent means by %g (want <= 1e-4)", worst, worstMu)
	}
}

func TestScoreSeparatesPatterns(t *testing.T) {
	w, _ := trainedModel(t)
	s, err := NewScorer(w)
	if err != nil {
		t.Fatal(err)
	}
	normal, odd := normalImages(8, 32), randomImages(9, 32)
	ns, os := make([]float64, len(normal)), make([]float64, len(odd))
	s.ScoreBatch(normal, ns)
	s.ScoreBatch(odd, os)
	mn, mo := mean(ns), mean(os)
	t.Logf("mean score: normal %.3f, random bytes %.3f", mn, mo)
	if !(mo > 2*mn) {
		t.Errorf("random-byte images score %.3f on average, normal ones %.3f: want more than twice as high", mo, mn)
	}
	// The trained model reconstructs normal images better than untrained
	// weights do.
	u, err := NewScorer(NewWeights(5))
	if err != nil {
		t.Fatal(err)
	}
	us := make([]float64, len(normal))
	u.ScoreBatch(normal, us)
	if !(mn < mean(us)) {
		t.Errorf("normal images score %.3f after training, %.3f before", mn, mean(us))
	}
}

func TestScoreBatchEqualsScore(t *testing.T) {
	s, err := NewScorer(NewWeights(11))
	if err != nil {
		t.Fatal(err)
	}
	imgs := append(normalImages(10, 2*block+3), randomImages(11, 2)...)
	batch := make([]float64, len(imgs))
	s.ScoreBatch(imgs, batch)
	for i, img := range imgs {
		one := s.Score(img)
		if math.Float64bits(one) != math.Float64bits(batch[i]) {
			t.Errorf("image %d: Score %v, ScoreBatch %v", i, one, batch[i])
		}
		if !(one > 0) {
			t.Errorf("image %d: score %v", i, one)
		}
	}
	// A score is the L2 distance to the reconstruction.
	rec := s.Reconstruct(make([]float32, Pixels), imgs[0])
	var sum float64
	for i, x := range imgs[0] {
		d := float64(x) - float64(rec[i])
		sum += d * d
	}
	if got := s.Score(imgs[0]); math.Abs(got-math.Sqrt(sum)) > 1e-9 {
		t.Errorf("Score %v, distance to Reconstruct %v", got, math.Sqrt(sum))
	}
}

func TestScorerOwnsWeights(t *testing.T) {
	w := NewWeights(12)
	s, err := NewScorer(w)
	if err != nil {
		t.Fatal(err)
	}
	img := normalImages(12, 1)[0]
	before := s.Score(img)
	for i := range w.Layers[Out].B {
		w.Layers[Out].B[i] = 5
	}
	if after := s.Score(img); after != before {
		t.Errorf("changing the caller's weights changed the score from %v to %v", before, after)
	}
}

func TestScorerAllocs(t *testing.T) {
	s, err := NewScorer(NewWeights(13))
	if err != nil {
		t.Fatal(err)
	}
	imgs := normalImages(13, block+1)
	scores := make([]float64, len(imgs))
	rec := make([]float32, Pixels)
	for name, f := range map[string]func(){
		"Score":       func() { s.Score(imgs[0]) },
		"ScoreBatch":  func() { s.ScoreBatch(imgs, scores) },
		"Reconstruct": func() { s.Reconstruct(rec, imgs[1]) },
		"Latent":      func() { s.Latent(imgs[2]) },
	} {
		if n := testing.AllocsPerRun(5, f); n != 0 {
			t.Errorf("%s: %v allocations per call, want 0", name, n)
		}
	}
}

func TestScorerPanicsOnBadInput(t *testing.T) {
	s, err := NewScorer(NewWeights(14))
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func(){
		"short image":  func() { s.Score(make([]float32, 10)) },
		"short scores": func() { s.ScoreBatch(normalImages(1, 2), make([]float64, 1)) },
		"short dst":    func() { s.Reconstruct(make([]float32, 3), make([]float32, Pixels)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
