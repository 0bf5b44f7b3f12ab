package config

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/tlsentry/tlsentry/detector/model"
)

// ResolveThreshold returns the alert threshold c's detector settings give
// with a model of metadata m, and says where it came from:
//
//   - detector.threshold when set;
//   - for detector.alert_rate r, the score that flagged the share r of the
//     model's training flows: the model's own threshold when the model was
//     made for rate r, else its stored score quantile 1-r. A model stores
//     only a few quantiles (training keeps 0.5, 0.9, 0.99 and 0.999, so
//     rates 0.5, 0.1, 0.01 and 0.001, and its own rate); any other rate is
//     an error that lists the ones it has, rather than a guess between
//     them;
//   - otherwise the model's threshold.
//
// An isolation-forest model scores in (0, 1), so a threshold of 1 or more
// for one is an error too (no flow could ever alert). Errors are *Error,
// at the line of the key.
func (c *Config) ResolveThreshold(m model.Meta) (threshold float64, from string, err error) {
	d := c.Detector
	switch {
	case d.Threshold != 0:
		threshold, from = d.Threshold, "detector.threshold"
	case d.AlertRate != 0:
		threshold, from, err = thresholdForRate(m, d.AlertRate)
		if err != nil {
			return 0, "", c.Errorf("detector.alert_rate", "%v", err)
		}
	default:
		threshold, from = m.Threshold, "the model's threshold"
	}
	if m.Kind == model.KindCNNIForest && threshold >= 1 {
		path := "detector.threshold"
		if d.Threshold == 0 {
			path = "detector.alert_rate"
		}
		return 0, "", c.Errorf(path, "%s: %s models score below 1, so nothing would ever alert",
			strconv.FormatFloat(threshold, 'g', -1, 64), m.Kind)
	}
	return threshold, from, nil
}

// sameRate compares alert rates written in decimal and stored as floats.
func sameRate(a, b float64) bool { return math.Abs(a-b) <= 1e-9 }

func thresholdForRate(m model.Meta, rate float64) (float64, string, error) {
	rateText := strconv.FormatFloat(rate, 'g', -1, 64)
	if m.AlertRate > 0 && sameRate(m.AlertRate, rate) {
		return m.Threshold, "detector.alert_rate " + rateText + " (the model's threshold)", nil
	}
	var have []float64
	if m.AlertRate > 0 {
		have = append(have, m.AlertRate)
	}
	for key, score := range m.Training.ScoreQuantiles {
		q, err := strconv.ParseFloat(key, 64)
		if err != nil || q <= 0 || q >= 1 {
			continue
		}
		if sameRate(1-q, rate) {
			return score, fmt.Sprintf("detector.alert_rate %s (the model's training score quantile %s)", rateText, key), nil
		}
		have = append(have, 1-q)
	}
	if len(have) == 0 {
		return 0, "", errors.New("the model stores no score quantiles; set detector.threshold instead")
	}
	slices.Sort(have)
	have = slices.CompactFunc(have, sameRate)
	texts := make([]string, len(have))
	for i, r := range have {
		texts[i] = strconv.FormatFloat(r, 'g', 6, 64)
	}
	return 0, "", fmt.Errorf("%s: the model knows the threshold only for alert rates %s; use one of them or set detector.threshold",
		rateText, strings.Join(texts, ", "))
}
