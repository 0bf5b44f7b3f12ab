package detector

import (
	"math"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/internal/bounds"
)

// TestTrainConfigValidate: every field out of its bounds is named, in its
// own *bounds.Error; the defaults are valid, and zero shares and patience
// are not (WithDefaults fills them in).
func TestTrainConfigValidate(t *testing.T) {
	if err := (TrainConfig{}).WithDefaults().Validate(); err != nil {
		t.Fatalf("the defaults: %v", err)
	}
	for _, tc := range []struct {
		set  func(*TrainConfig)
		want string
	}{
		{func(c *TrainConfig) { c.Kind = "svm" }, `Kind: "svm" is not a model kind`},
		{func(c *TrainConfig) { c.Epochs = -1 }, "Epochs: -1 is out of range (0-1000)"},
		{func(c *TrainConfig) { c.Epochs = 1001 }, "Epochs: 1001 is out of range (0-1000)"},
		{func(c *TrainConfig) { c.Batch = 1 << 20 }, "Batch: 1048576 is out of range (0-1024)"},
		{func(c *TrainConfig) { c.Trees = 100000 }, "Trees: 100000 is out of range (0-5000)"},
		{func(c *TrainConfig) { c.Patience = 0 }, "Patience: 0 is out of range (1-100)"},
		{func(c *TrainConfig) { c.ValSplit = 0.5 }, "ValSplit: 0.5 is out of range (more than 0 and less than 0.5)"},
		{func(c *TrainConfig) { c.ValSplit = math.NaN() }, "ValSplit: NaN is not a number"},
		{func(c *TrainConfig) { c.AlertRate = 0 }, "AlertRate: 0 is out of range (more than 0 and less than 0.5)"},
		{func(c *TrainConfig) { c.AlertRate = math.Inf(1) }, "AlertRate: +Inf is out of range"},
	} {
		c := TrainConfig{}.WithDefaults()
		tc.set(&c)
		err := c.Validate()
		field, _, _ := strings.Cut(tc.want, ":")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !bounds.Is(err, field) || len(bounds.Fields(err)) != 1 {
			t.Errorf("%s: %v", tc.want, err)
		}
	}
}
