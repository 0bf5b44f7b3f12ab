package config

import (
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/detector/model"
)

func TestResolveThreshold(t *testing.T) {
	meta := model.Meta{
		Kind:      model.KindCNNIForest,
		Threshold: 0.62,
		AlertRate: 0.002,
		Training: model.Training{ScoreQuantiles: map[string]float64{
			"0.5": 0.40, "0.9": 0.47, "0.99": 0.55, "0.999": 0.66,
		}},
	}
	tests := []struct {
		d       Detector
		want    float64
		from    string
		wantErr string
	}{
		{Detector{}, 0.62, "the model's threshold", ""},
		{Detector{Threshold: 0.7}, 0.7, "detector.threshold", ""},
		{Detector{AlertRate: 0.002}, 0.62, "detector.alert_rate 0.002 (the model's threshold)", ""},
		{Detector{AlertRate: 0.001}, 0.66, "detector.alert_rate 0.001 (the model's training score quantile 0.999)", ""},
		{Detector{AlertRate: 0.01}, 0.55, "detector.alert_rate 0.01 (the model's training score quantile 0.99)", ""},
		{Detector{AlertRate: 0.1}, 0.47, "detector.alert_rate 0.1 (the model's training score quantile 0.9)", ""},
		{Detector{AlertRate: 0.5}, 0.40, "detector.alert_rate 0.5 (the model's training score quantile 0.5)", ""},
		{Detector{AlertRate: 0.005}, 0, "",
			"detector.alert_rate: 0.005: the model knows the threshold only for alert rates 0.001, 0.002, 0.01, 0.1, 0.5; use one of them or set detector.threshold"},
		{Detector{Threshold: 1.5}, 0, "",
			"detector.threshold: 1.5: cnn-iforest models score below 1, so nothing would ever alert"},
	}
	for _, tc := range tests {
		c := Default()
		c.Detector = tc.d
		got, from, err := c.ResolveThreshold(meta)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("%+v: error %v, want %s", tc.d, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want || from != tc.from {
			t.Errorf("%+v: got %v %q %v, want %v %q", tc.d, got, from, err, tc.want, tc.from)
		}
	}
	// A VAE scores distances, which may pass 1.
	vae := model.Meta{Kind: model.KindVAE, Threshold: 3}
	c := Default()
	c.Detector.Threshold = 4.5
	if got, _, err := c.ResolveThreshold(vae); err != nil || got != 4.5 {
		t.Errorf("VAE threshold 4.5: %v %v", got, err)
	}
	c.Detector = Detector{AlertRate: 0.01}
	if _, _, err := c.ResolveThreshold(vae); err == nil ||
		err.Error() != "detector.alert_rate: the model stores no score quantiles; set detector.threshold instead" {
		t.Errorf("model without quantiles: %v", err)
	}
	// Errors from a parsed file name its line.
	c, err := Parse([]byte("detector:\n  batch_size: 8\n  alert_rate: 0.02\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.ResolveThreshold(meta)
	if err == nil || !strings.HasPrefix(err.Error(), "t.yaml:3: detector.alert_rate: 0.02: the model knows") {
		t.Errorf("parsed alert_rate 0.02: %v", err)
	}
}

// Every rate the "use one of them" error lists passes validation: 0.5
// (the median every model stores) was listed and then refused.
func TestListedAlertRatesValidate(t *testing.T) {
	for _, rate := range []string{"0.001", "0.01", "0.1", "0.5"} {
		c, err := Parse([]byte("detector: {alert_rate: "+rate+"}\n"), "t.yaml")
		if err == nil {
			err = c.Validate()
		}
		if err != nil {
			t.Errorf("alert_rate %s: %v", rate, err)
		}
	}
	for _, rate := range []string{"0", "-0.1", "0.500001", "1"} {
		c, err := Parse([]byte("detector: {alert_rate: "+rate+"}\n"), "t.yaml")
		if err == nil {
			err = c.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), "out of range (more than 0 and at most 0.5)") {
			t.Errorf("alert_rate %s: %v, want out of range", rate, err)
		}
	}
}
