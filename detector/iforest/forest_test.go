package iforest

import (
	"bytes"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
)

// gaussian returns n rows of d independent N(0,1) values.
func gaussian(n, d int, seed uint64) [][]float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	rows := make([][]float32, n)
	for i := range rows {
		rows[i] = make([]float32, d)
		for j := range rows[i] {
			rows[i][j] = float32(r.NormFloat64())
		}
	}
	return rows
}

func mustFit(t testing.TB, rows [][]float32, cfg Config) *Forest {
	t.Helper()
	f, err := Fit(rows, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestAvgPathLength(t *testing.T) {
	for _, c := range []struct {
		n    int
		want float64
	}{
		{0, 0}, {1, 0}, {2, 1},
		// 2(ln 2 + γ) - 4/3
		{3, 1.2073924},
		// 2(ln 255 + γ) - 510/256
		{256, 10.2447709},
	} {
		if got := avgPathLength(c.n); math.Abs(got-c.want) > 1e-6 {
			t.Errorf("c(%d) = %.7f, want %.7f", c.n, got, c.want)
		}
	}
}

func TestHeightLimit(t *testing.T) {
	for psi, want := range map[int]int{2: 1, 3: 2, 4: 2, 5: 3, 255: 8, 256: 8, 257: 9} {
		if got := heightLimit(psi); got != want {
			t.Errorf("heightLimit(%d) = %d, want %d", psi, got, want)
		}
	}
}

func TestConfig(t *testing.T) {
	rows := gaussian(10, 3, 1)
	f := mustFit(t, rows, Config{})
	if f.Trees() != DefaultTrees || f.MaxSamples() != 10 || f.NumFeatures() != 3 {
		t.Errorf("defaults: trees %d, max samples %d, features %d", f.Trees(), f.MaxSamples(), f.NumFeatures())
	}
	f = mustFit(t, gaussian(1000, 2, 1), Config{Trees: 7})
	if f.Trees() != 7 || f.MaxSamples() != DefaultMaxSamples {
		t.Errorf("trees %d, max samples %d", f.Trees(), f.MaxSamples())
	}

	nan := gaussian(10, 3, 1)
	nan[5][2] = float32(math.NaN())
	inf := gaussian(10, 3, 1)
	inf[7][1] = float32(math.Inf(-1))
	ragged := gaussian(10, 3, 1)
	ragged[4] = ragged[4][:2]
	for _, c := range []struct {
		name string
		rows [][]float32
		cfg  Config
		want string
	}{
		{"negative trees", rows, Config{Trees: -1}, "Trees -1 is negative"},
		{"negative samples", rows, Config{MaxSamples: -5}, "MaxSamples -5 is negative"},
		{"no rows", nil, Config{}, "at least 2 rows"},
		{"one row", rows[:1], Config{}, "at least 2 rows"},
		{"no features", [][]float32{{}, {}}, Config{}, "no features"},
		{"ragged", ragged, Config{}, "row 4 has 2 columns"},
		{"nan", nan, Config{}, "row 5 column 2 is NaN"},
		{"inf", inf, Config{}, "row 7 column 1 is -Inf"},
	} {
		_, err := Fit(c.rows, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", c.name, err, c.want)
		}
	}
}

func TestDeterminism(t *testing.T) {
	rows := gaussian(2000, 5, 2)
	a, _ := mustFit(t, rows, Config{Seed: 42}).MarshalBinary()
	prev := runtime.GOMAXPROCS(1)
	b, _ := mustFit(t, rows, Config{Seed: 42}).MarshalBinary()
	runtime.GOMAXPROCS(prev)
	if !bytes.Equal(a, b) {
		t.Error("same seed gave different forests")
	}
	c, _ := mustFit(t, rows, Config{Seed: 43}).MarshalBinary()
	if bytes.Equal(a, c) {
		t.Error("different seeds gave the same forest")
	}
}

// blob is 1000 points of a 2-D standard Gaussian plus far outliers.
func blob() (inliers, outliers [][]float32) {
	inliers = gaussian(1000, 2, 3)
	outliers = [][]float32{{8, 8}, {-9, 0}, {0, 10}, {7, -7}, {-6, -6}}
	return inliers, outliers
}

func TestBlob(t *testing.T) {
	in, out := blob()
	f := mustFit(t, append(slices.Clone(in), out...), Config{Seed: 7})
	for _, o := range out {
		if s := f.Score(o); s <= 0.6 {
			t.Errorf("outlier %v scores %.3f, want > 0.6", o, s)
		}
	}
	scores := make([]float64, len(in))
	f.ScoreBatch(in, scores)
	sorted := slices.Sorted(slices.Values(scores))
	if med := sorted[len(sorted)/2]; med >= 0.5 {
		t.Errorf("inlier median score %.3f, want < 0.5", med)
	}
	dist := make([]float64, len(in))
	for i, p := range in {
		dist[i] = math.Hypot(float64(p[0]), float64(p[1]))
	}
	// Near the centre the expected path length is flat, so with 100 trees
	// the centre is not always the single lowest; it must beat every inlier
	// more than one standard deviation out, and be in the lowest 5%.
	centre := f.Score([]float32{0, 0})
	below := 0
	for i, s := range scores {
		if s < centre {
			below++
			if dist[i] > 1 {
				t.Errorf("inlier %v at distance %.2f scores %.4f, below the centre's %.4f", in[i], dist[i], s, centre)
			}
		}
	}
	if below > len(in)/20 {
		t.Errorf("%d of %d inliers score below the centre", below, len(in))
	}
	if rho := spearman(dist, scores); rho < 0.8 {
		t.Errorf("Spearman(distance, score) = %.3f, want > 0.8", rho)
	} else {
		t.Logf("Spearman(distance, score) = %.3f; median %.3f; outliers %.3f", rho, sorted[len(sorted)/2], f.Score(out[0]))
	}
	for _, s := range scores {
		if !(s > 0 && s <= 1) {
			t.Fatalf("score %v outside (0, 1]", s)
		}
	}
}

func ranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	r := make([]float64, len(x))
	for rank, i := range idx {
		r[i] = float64(rank)
	}
	return r
}

func spearman(x, y []float64) float64 {
	rx, ry := ranks(x), ranks(y)
	n := float64(len(x))
	var d2 float64
	for i := range rx {
		d := rx[i] - ry[i]
		d2 += d * d
	}
	return 1 - 6*d2/(n*(n*n-1))
}

func TestConstantFeatureNeverSplit(t *testing.T) {
	rows := gaussian(500, 4, 4)
	for _, r := range rows {
		r[0] = 3.5
	}
	f := mustFit(t, rows, Config{Seed: 1})
	for i, n := range f.nodes {
		if !f.isLeaf(int32(i)) && n.feature == 0 {
			t.Fatalf("node %d splits on constant feature 0", i)
		}
	}
}

func TestAllConstant(t *testing.T) {
	rows := make([][]float32, 300)
	for i := range rows {
		rows[i] = []float32{1, 2, 3}
	}
	f := mustFit(t, rows, Config{Trees: 10})
	if len(f.nodes) != f.Trees() {
		t.Fatalf("%d nodes in %d trees, want single-leaf trees", len(f.nodes), f.Trees())
	}
	for _, r := range [][]float32{{1, 2, 3}, {100, -5, 0}, {float32(math.NaN()), 0, 0}} {
		// h = 0 + c(psi) in every tree, so the score is exactly 2^-1.
		if s := f.Score(r); s != 0.5 {
			t.Errorf("Score(%v) = %v, want 0.5", r, s)
		}
	}
}

func TestContributions(t *testing.T) {
	const d = 8
	rows := gaussian(2000, d, 5)
	f := mustFit(t, rows, Config{Seed: 9})
	row := make([]float32, d)
	row[3] = 9
	out := make([]float64, d)
	f.Contributions(row, out)
	best := 0
	for j := range out {
		if out[j] > out[best] {
			best = j
		}
	}
	if best != 3 {
		t.Errorf("largest contribution on feature %d, want 3: %v", best, out)
	}
	// The credits telescope: Σ out = c(psi) - E[h], so they give the score.
	for _, r := range append(rows[:20], row) {
		f.Contributions(r, out)
		var sum float64
		for _, v := range out {
			sum += v
		}
		want := f.Score(r)
		if got := math.Exp2(sum/f.cMax - 1); math.Abs(got-want) > 1e-12 {
			t.Fatalf("score from contributions %v, Score %v", got, want)
		}
	}
	again := make([]float64, d)
	f.Contributions(row, out)
	f.Contributions(row, again)
	if !slices.Equal(out, again) {
		t.Error("Contributions not deterministic")
	}
}

func TestNoAllocs(t *testing.T) {
	f := mustFit(t, gaussian(1000, 16, 6), Config{})
	rows := gaussian(64, 16, 7)
	out := make([]float64, len(rows))
	contrib := make([]float64, 16)
	for name, fn := range map[string]func(){
		"Score":         func() { f.Score(rows[0]) },
		"ScoreBatch":    func() { f.ScoreBatch(rows, out) },
		"Contributions": func() { f.Contributions(rows[1], contrib) },
	} {
		if a := testing.AllocsPerRun(100, fn); a != 0 {
			t.Errorf("%s: %v allocs per run", name, a)
		}
	}
}

func TestScorePanicsOnWrongLength(t *testing.T) {
	f := mustFit(t, gaussian(100, 4, 8), Config{Trees: 3})
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "row has 3 features, forest has 4") {
			t.Errorf("recovered %v", r)
		}
	}()
	f.Score(make([]float32, 3))
}

// TestScoreMatchesWalk checks the fixed-step, four-tree loop against a plain
// walk to the leaf, with the path length recomputed from depth and size.
func TestScoreMatchesWalk(t *testing.T) {
	f := mustFit(t, gaussian(3000, 6, 10), Config{Trees: 37, Seed: 3})
	for _, r := range gaussian(200, 6, 11) {
		var sum float64
		for _, i := range f.roots {
			depth := 0
			for !f.isLeaf(i) {
				n := f.nodes[i]
				if r[n.feature] < f.thresh[i] {
					i = n.left
				} else {
					i = n.left + 1
				}
				depth++
			}
			sum += float64(depth) + avgPathLength(int(f.nodes[i].size))
		}
		want := math.Exp2(-sum / float64(f.Trees()) / avgPathLength(f.MaxSamples()))
		if got := f.Score(r); math.Abs(got-want) > 1e-12 {
			t.Fatalf("Score %v, walk %v", got, want)
		}
	}
}

// TestScoreBatchEqualsScore: the tree-major batch walk gives exactly the
// row-by-row scores, for batch sizes around its 8-row step.
func TestScoreBatchEqualsScore(t *testing.T) {
	in, _ := blob()
	f := mustFit(t, in, Config{Seed: 3})
	for _, n := range []int{1, 7, 8, 9, 17, 64} {
		rows := in[:n]
		got := make([]float64, n)
		f.ScoreBatch(rows, got)
		for i, r := range rows {
			if want := f.Score(r); got[i] != want {
				t.Fatalf("batch of %d, row %d: %v, Score gives %v", n, i, got[i], want)
			}
		}
	}
}
