package dataset

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tlsentry/tlsentry/internal/sharedpcaps"
)

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
	if dir, ok := sharedpcaps.Dir(); ok {
		var shared []string
		for _, c := range sharedpcaps.Captures(t) {
			shared = append(shared, filepath.Join(dir, c))
		}
		tr, ho := Split(shared)
		t.Logf("shared captures: %d for training, %d held out", len(tr), len(ho))
	}
}
