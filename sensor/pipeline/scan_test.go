package pipeline

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/tlsentry/tlsentry/detector/scan"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/sharedpcaps"
)

// TestScanBaselineOnSharedCaptures measures what detector/scan's
// constants say of the public benign captures (the shared captures, each
// on its own, as the beacon baseline is measured): how many
// client-server pairs send a hello (scan.BenignPairs), the most distinct
// refused stacks one of them shows within the default window
// (scan.BenignMostRefused), and how many would be a scan at the least
// MinStacks the configuration allows, one more (scan.BenignScans).
func TestScanBaselineOnSharedCaptures(t *testing.T) {
	dir := sharedpcaps.PcapDir(t)
	pairs, most, scans := 0, 0, 0
	for _, name := range sharedpcaps.Captures(t) {
		flows, _ := readCapture(t, filepath.Join(dir, name))
		slices.SortStableFunc(flows, func(a, b *flow.Flow) int { return a.Start.Compare(b.Start) })
		tr, err := scan.New(scan.Config{MinStacks: scan.BenignMostRefused + 1})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, f := range flows {
			h := tlsparse.FromFlow(f, nil)
			if h.Client == nil {
				continue
			}
			key := f.Client.AddrPort().Addr().String() + " " + f.Server.AddrPort().String()
			if !seen[key] {
				seen[key] = true
				pairs++
			}
			found, ok := tr.Observe(f.Client.AddrPort().Addr(), f.Server.AddrPort(), f.Start, h.Prints(h.Transport()).JA4, scan.Refused(h))
			if ok {
				scans++
				t.Errorf("%s: %s: a scan, %+v", name, key, found)
			}
			most = max(most, tr.Stacks(f.Client.AddrPort().Addr(), f.Server.AddrPort()))
		}
	}
	t.Logf("%d pairs with a hello, at most %d distinct refused stacks in a window, %d scans", pairs, most, scans)
	if pairs != scan.BenignPairs || scans != scan.BenignScans || most != scan.BenignMostRefused {
		t.Errorf("%d pairs, %d scans, at most %d refused stacks: scan.BenignPairs %d, scan.BenignScans %d, scan.BenignMostRefused %d",
			pairs, scans, most, scan.BenignPairs, scan.BenignScans, scan.BenignMostRefused)
	}
}
