package eval

import (
	"bytes"
	"image/png"
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestROCAUC(t *testing.T) {
	// Perfect, reversed, all tied, and a hand-counted case.
	if v := ROCAUC([]float64{1, 2}, []float64{3, 4}); !near(v, 1) {
		t.Errorf("perfect %v", v)
	}
	if v := ROCAUC([]float64{3, 4}, []float64{1, 2}); !near(v, 0) {
		t.Errorf("reversed %v", v)
	}
	if v := ROCAUC([]float64{1, 1}, []float64{1}); !near(v, 0.5) {
		t.Errorf("ties %v", v)
	}
	// Pairs (anomaly > benign): 0.35>{0.1}=1, 0.8>{0.1,0.4}=2, 0.4 ties 0.4 (0.5) and > 0.1 -> 1.5; total 4.5 of 6.
	if v := ROCAUC([]float64{0.1, 0.4}, []float64{0.35, 0.8, 0.4}); !near(v, 4.5/6) {
		t.Errorf("hand case %v, want %v", v, 4.5/6)
	}
}

func TestAveragePrecision(t *testing.T) {
	// scikit-learn: average_precision_score([0,0,1,1], [0.1,0.4,0.35,0.8]) = 0.8333...
	if v := AveragePrecision([]float64{0.1, 0.4}, []float64{0.35, 0.8}); !near(v, 0.8333333333333333) {
		t.Errorf("AP %v", v)
	}
	if v := AveragePrecision([]float64{0.1}, []float64{0.9, 0.8}); !near(v, 1) {
		t.Errorf("perfect AP %v", v)
	}
}

func TestRecallAtFPR(t *testing.T) {
	benign := make([]float64, 100)
	for i := range benign {
		benign[i] = float64(i) / 100 // 0.00 .. 0.99
	}
	anomalous := []float64{0.995, 0.985, 0.975, 0.5}
	// FPR 1%: one benign (0.99) may alert: threshold just above 0.98.
	if v := RecallAtFPR(benign, anomalous, 0.01); !near(v, 0.5) {
		t.Errorf("recall at 1%% = %v, want 0.5", v)
	}
	// FPR 0: above every benign score.
	if v := RecallAtFPR(benign, anomalous, 0); !near(v, 0.25) {
		t.Errorf("recall at 0%% = %v, want 0.25", v)
	}
	if v := RecallAtFPR(benign, anomalous, 1); !near(v, 1) {
		t.Errorf("recall at 100%% = %v", v)
	}
}

func TestEvaluate(t *testing.T) {
	r, err := Evaluate([]float64{0.1, 0.2, 0.7}, []float64{0.6, 0.9}, 0.65, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	if r.TruePos != 1 || r.FalsePos != 1 || !near(r.Precision, 0.5) || !near(r.Recall, 0.5) || !near(r.FalsePositiveRate, 1.0/3) {
		t.Errorf("%+v", r)
	}
	if _, err := Evaluate(nil, []float64{1}, 0.5); err != ErrNoData {
		t.Errorf("empty benign: %v", err)
	}
	if q := Quantile([]float64{1, 2, 3, 4}, 0.5); !near(q, 2.5) {
		t.Errorf("median %v", q)
	}
}

func TestPlotWritesPNG(t *testing.T) {
	var buf bytes.Buffer
	benign := []float64{0.1, 0.2, 0.2, 0.3, 0.4}
	anomalous := []float64{0.35, 0.6, 0.8}
	if err := Plot(&buf, "test", benign, anomalous, 0.5); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 200 {
		t.Errorf("image %v", b)
	}
	if pts := rocPoints(benign, anomalous); pts[len(pts)-1].X != 1 || pts[len(pts)-1].Y != 1 {
		t.Errorf("ROC ends at %v", pts[len(pts)-1])
	}
}
