package detector

import (
	"testing"

	"github.com/tlsentry/tlsentry/detector/evidence"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// TestUpdateLearnsTheNetworksTLDs: a baseline update whose flows name
// servers under a generic TLD the public corpus never used (.shop)
// teaches the table that TLD, and the report says so.
func TestUpdateLearnsTheNetworksTLDs(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	in := evidenceInputs(lab(t, labset.Benign, 4, 2), nil)
	for _, x := range in {
		if x.TLS.Client == nil {
			t.Fatal("a lab benign flow without a hello")
		}
		ch := *x.TLS.Client
		ch.ServerName = "portal.example.shop"
		hs := *x.TLS
		hs.Client = &ch
		x.TLS = &hs
	}
	var rep UpdateReport
	if err := learnEvidence(m.File, in, &rep); err != nil {
		t.Fatal(err)
	}
	var after evidence.Table
	if err := unmarshalSection(m.File, evidenceSection, &after); err != nil {
		t.Fatal(err)
	}
	if rep.TLDsKnownBefore == 0 || rep.TLDsKnownNow != rep.TLDsKnownBefore+1 || after.KnownTLDs["shop"] != 1 {
		t.Errorf("known TLDs %d -> %d, .shop from %d captures", rep.TLDsKnownBefore, rep.TLDsKnownNow, after.KnownTLDs["shop"])
	}
}
