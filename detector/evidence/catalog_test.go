package evidence

import (
	"math"
	"strings"
	"testing"
	"time"
)

// TestCatalogCoversEveryCheck: every check has a sentence, and every
// sentence a check.
func TestCatalogCoversEveryCheck(t *testing.T) {
	ids := map[string]bool{}
	for _, c := range Catalog() {
		if ids[c.ID] {
			t.Errorf("%s listed twice", c.ID)
		}
		ids[c.ID] = true
		if c.Group == "" || !strings.HasSuffix(c.What, ".") {
			t.Errorf("%s: group %q, sentence %q", c.ID, c.Group, c.What)
		}
	}
	for _, id := range CheckIDs() {
		if !ids[id] && !ids[id+"*"] {
			t.Errorf("check %s missing from the catalogue", id)
		}
	}
	for id := range checkWhat {
		if !ids[id] {
			t.Errorf("checkWhat has a sentence for %s, which is no check", id)
		}
	}
}

// TestCalibrationsAreTheWeightsFlowsGet: the rows say what a flow of each
// era is weighed with, breaches raised to the decisive weight.
func TestCalibrationsAreTheWeightsFlowsGet(t *testing.T) {
	split := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	tb := &Table{Flows: 400, SpokeFlows: 400, HelloFlows: 400,
		Rates: map[string]Rate{
			"version.tls10":       {Fired: 40, Applied: 400},
			"hs.client_malformed": {Fired: 0, Applied: 400},
			"proto.not_tls.http":  {Fired: 2, Applied: 400},
		},
		Eras: []Era{
			{Flows: 200, SpokeFlows: 200, HelloFlows: 200, Rates: map[string]Rate{"version.tls10": {Fired: 40, Applied: 200}, "hs.client_malformed": {Applied: 200}, "proto.not_tls.http": {Fired: 2, Applied: 200}}},
			{From: split, Flows: 200, SpokeFlows: 200, HelloFlows: 200, Rates: map[string]Rate{"version.tls10": {Fired: 0, Applied: 200}, "hs.client_malformed": {Applied: 200}}},
		}}
	tb.prepare()
	tb.SetDecisive(13)
	if got := tb.EraStarts(); len(got) != 2 || !got[1].Equal(split) {
		t.Fatalf("era starts %v", got)
	}
	rows := map[string]Calibration{}
	for _, c := range tb.Calibrations() {
		rows[c.ID] = c
	}
	v := rows["version.tls10"]
	if v.Whole.From != -1 || v.Whole.Rate != (Rate{40, 400}) || math.Abs(v.Whole.Bits-Rate{40, 400}.Bits()) > 1e-9 {
		t.Errorf("version.tls10 whole: %+v", v.Whole)
	}
	if len(v.Eras) != 2 || v.Eras[0].From != 0 || v.Eras[1].From != 1 || v.Eras[1].Rate != (Rate{0, 200}) {
		t.Errorf("version.tls10 by era (each era differs from the whole): %+v", v.Eras)
	}
	m := rows["hs.client_malformed"]
	if !m.Breach || !m.Whole.Decides || m.Whole.Bits != 13 {
		t.Errorf("a breach the corpus never showed: %+v", m)
	}
	h, any := rows["proto.not_tls.http"], rows[AnyNotTLS]
	if h.Whole.Rate != (Rate{2, 400}) || any.Whole.Rate != (Rate{0, 400}) || any.Whole.Bits <= h.Whole.Bits {
		t.Errorf("protocol labels: http %+v, unseen %+v", h.Whole, any.Whole)
	}
	if _, ok := rows[AnyPreamble]; !ok {
		t.Error("no row for preambles the corpus never showed")
	}
}
