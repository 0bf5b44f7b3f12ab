package eval

import (
	"cmp"
	"fmt"
	"image/color"
	"io"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

var (
	benignColor    = color.NRGBA{R: 40, G: 110, B: 200, A: 150}
	anomalousColor = color.NRGBA{R: 220, G: 60, B: 40, A: 150}
)

// Plot writes a PNG with two panels: the score histograms of both classes
// (each normalised to area 1) with the threshold as a vertical line, and
// the ROC curve.
func Plot(w io.Writer, title string, benign, anomalous []float64, threshold float64) error {
	hist := plot.New()
	hist.Title.Text = title + ": scores"
	hist.X.Label.Text = "score"
	hist.Y.Label.Text = "density"
	ymax := 0.0
	for _, c := range []struct {
		name   string
		scores []float64
		col    color.Color
	}{{"benign", benign, benignColor}, {"anomalous", anomalous, anomalousColor}} {
		h, err := plotter.NewHist(plotter.Values(c.scores), 40)
		if err != nil {
			return fmt.Errorf("plot %s histogram: %w", c.name, err)
		}
		h.Normalize(1)
		h.FillColor = c.col
		h.LineStyle.Width = 0
		for _, b := range h.Bins {
			ymax = max(ymax, b.Weight)
		}
		hist.Add(h)
		hist.Legend.Add(c.name, h)
	}
	tl, err := plotter.NewLine(plotter.XYs{{X: threshold, Y: 0}, {X: threshold, Y: ymax}})
	if err != nil {
		return err
	}
	tl.LineStyle.Width = vg.Points(1.5)
	tl.LineStyle.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	hist.Add(tl)
	hist.Legend.Add(fmt.Sprintf("threshold %.4g", threshold), tl)
	hist.Legend.Top = true

	roc := plot.New()
	roc.Title.Text = fmt.Sprintf("ROC (AUC %.3f)", ROCAUC(benign, anomalous))
	roc.X.Label.Text = "false-positive rate"
	roc.Y.Label.Text = "recall"
	roc.X.Min, roc.X.Max, roc.Y.Min, roc.Y.Max = 0, 1, 0, 1
	curve, err := plotter.NewLine(rocPoints(benign, anomalous))
	if err != nil {
		return err
	}
	curve.LineStyle.Width = vg.Points(1.5)
	curve.LineStyle.Color = anomalousColor
	diag, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	diag.LineStyle.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
	roc.Add(curve, diag)

	img := vgimg.New(vg.Points(900), vg.Points(360))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Points(20), PadY: vg.Points(10), PadLeft: vg.Points(10), PadRight: vg.Points(10), PadTop: vg.Points(10), PadBottom: vg.Points(10)}
	canvases := plot.Align([][]*plot.Plot{{hist, roc}}, tiles, dc)
	hist.Draw(canvases[0][0])
	roc.Draw(canvases[0][1])
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(w); err != nil {
		return fmt.Errorf("write plot: %w", err)
	}
	return nil
}

// rocPoints is the ROC curve: (FPR, recall) at every distinct threshold.
func rocPoints(benign, anomalous []float64) plotter.XYs {
	all := labelled(benign, anomalous)
	slices.SortFunc(all, func(a, b scored) int { return cmp.Compare(b.s, a.s) })
	pts := plotter.XYs{{X: 0, Y: 0}}
	var tp, fp float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].s == all[i].s {
			if all[j].pos {
				tp++
			} else {
				fp++
			}
			j++
		}
		pts = append(pts, plotter.XY{X: fp / float64(len(benign)), Y: tp / float64(len(anomalous))})
		i = j
	}
	return pts
}
