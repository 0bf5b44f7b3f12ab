package dataset

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/testdata"
)

func TestLoadSample(t *testing.T) {
	flows, err := Load(context.Background(), []string{"../../testdata/sample.pcap"}, flow.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(flows) != 7 {
		t.Fatalf("%d flows, want 7", len(flows))
	}
	for _, f := range flows {
		if len(f.Prefix) == 0 || f.Source != "../../testdata/sample.pcap" {
			t.Errorf("flow %d: prefix %d source %q", f.ID, len(f.Prefix), f.Source)
		}
	}
	if _, err := Load(context.Background(), []string{"missing.pcap"}, flow.Config{}); err == nil {
		t.Error("missing file: no error")
	}
}

func TestSplitIsStableAndAboutOneFifth(t *testing.T) {
	var files []string
	for i := range 1000 {
		files = append(files, fmt.Sprintf("/some/where/capture-%d.pcap", i))
	}
	train, held := Split(files)
	if len(held) < 150 || len(held) > 250 || len(train)+len(held) != 1000 {
		t.Errorf("held out %d of 1000", len(held))
	}
	if HeldOut("/a/x.pcap") != HeldOut("/b/c/x.pcap") {
		t.Error("the split depends on the folder")
	}
	if dir, ok := testdata.Dir(); ok {
		var shared []string
		for _, c := range testdata.Captures(t) {
			shared = append(shared, filepath.Join(dir, c))
		}
		tr, ho := Split(shared)
		t.Logf("shared captures: %d for training, %d held out", len(tr), len(ho))
	}
}
