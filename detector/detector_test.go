package detector

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/flow"
)

// tlsLikeFlows makes flows whose prefixes look alike: a fixed TLS record
// header and hello start, then noise, then zero padding.
func tlsLikeFlows(n int, seed uint64) []*flow.Flow {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]*flow.Flow, n)
	for i := range out {
		p := make([]byte, 300+r.IntN(400))
		copy(p, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
		for j := 11; j < len(p); j++ {
			p[j] = byte(r.IntN(32))
		}
		out[i] = &flow.Flow{ID: uint64(i + 1), Prefix: p}
	}
	return out
}

func trainSmall(t *testing.T, kind string) (*model.File, *Model) {
	t.Helper()
	var seen []Progress
	f, err := Train(context.Background(), tlsLikeFlows(64, 1), TrainConfig{
		Kind: kind, Epochs: 1, Batch: 16, Seed: 7, Trees: 10, AlertRate: 0.05, Sources: []string{"synthetic"},
		Progress: func(p Progress) { seen = append(seen, p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0].Epoch != 1 || seen[0].Epochs != 1 || !seen[0].Best || seen[0].TrainLoss <= 0 {
		t.Errorf("progress %+v", seen)
	}
	data, err := f.Encode()
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(data)
	if err != nil {
		t.Fatal(err)
	}
	return f, m
}

func TestTrainSaveLoadScore(t *testing.T) {
	for _, kind := range []string{model.KindCNNIForest, model.KindVAE} {
		t.Run(kind, func(t *testing.T) {
			f, m := trainSmall(t, kind)
			if m.Kind() != kind || m.Threshold() <= 0 || f.Meta.Training.Flows+f.Meta.Training.ValidationFlow != 64 {
				t.Fatalf("meta %+v", f.Meta)
			}
			s, err := m.NewScorer()
			if err != nil {
				t.Fatal(err)
			}
			flows := tlsLikeFlows(64, 1)
			scores := make([]float64, len(flows))
			s.Score(Inputs(flows), scores)
			alerts := 0
			for _, sc := range scores {
				if sc >= m.Threshold() {
					alerts++
				}
			}
			// The threshold was set for 5% of these same flows.
			if alerts < 1 || alerts > 8 {
				t.Errorf("%d of 64 training flows alert at the threshold for 5%%", alerts)
			}
			// Scoring one at a time gives the batch's scores.
			one := make([]float64, 1)
			s.Score(Inputs(flows[5:6]), one)
			if one[0] != scores[5] {
				t.Errorf("single %v, batch %v", one[0], scores[5])
			}
		})
	}
}

func TestLoadRefusesIncompleteModels(t *testing.T) {
	f, _ := trainSmall(t, model.KindCNNIForest)
	var kept []model.Section
	for _, s := range f.Sections {
		if s.Name != iforestSection {
			kept = append(kept, s)
		}
	}
	f.Sections = kept
	data, _ := f.Encode()
	if _, err := Load(data); !errors.Is(err, model.ErrCorrupt) || !strings.Contains(err.Error(), `"iforest" is missing`) {
		t.Errorf("missing forest: %v", err)
	}
	f.Meta.Kind = model.KindHybrid
	data, _ = f.Encode()
	if _, err := Load(data); !errors.Is(err, model.ErrUnsupported) {
		t.Errorf("hybrid: %v", err)
	}
	if _, err := Train(context.Background(), tlsLikeFlows(8, 1), TrainConfig{}); err == nil {
		t.Error("8 flows accepted for training")
	}
}

func TestAutoEpochs(t *testing.T) {
	for _, c := range []struct{ n, batch, want int }{
		{475, 32, 40},  // 15 steps an epoch
		{3000, 32, 10}, // 94 steps an epoch: the floor
		{50, 32, 60},   // 2 steps an epoch: the cap
		{0, 32, 60},
	} {
		if got := AutoEpochs(c.n, c.batch); got != c.want {
			t.Errorf("AutoEpochs(%d, %d) = %d, want %d", c.n, c.batch, got, c.want)
		}
	}
}

// TestLoadFileRefusesWhatIsNoModelFile: a device, a directory, a pipe and
// an oversized file are refused before anything is read (issue: score
// -model /dev/zero never returned).
func TestLoadFileRefusesWhatIsNoModelFile(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.model")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxFileSize + 1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f.Close()
	fifo := filepath.Join(dir, "fifo.model")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/dev/zero": "not a regular file",
		dir:         "is a directory",
		fifo:        "not a regular file",
		big:         "more than a model file may be",
	} {
		start := time.Now()
		_, err := LoadFile(path)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", path, err, want)
		}
		// A hang check, not a timing: reading /dev/zero never ends, and a
		// loaded machine (go test ./... on two cores) takes its time.
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("%s: refused after %v", path, d)
		}
	}
}
