package detector

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/detector/evidence"
	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// A model trained on a site with the public evidence weights knows the
// private CA the site's chains lead to (the lab's "Example Lab CA"): its
// flows do not say "private CA", where the default's table does; it also
// knows the lab's servers, whose TLS 1.3 certificates are too small for a
// public chain; the embedded default, built from many networks' captures,
// knows none of either; the site's generic TLDs join the corpus's; an
// update keeps what the model knew.
func TestSiteModelKnowsItsCA(t *testing.T) {
	def, err := DefaultEvidence()
	if err != nil {
		t.Fatal(err)
	}
	if len(def.KnownIssuers) != 0 || len(def.KnownFlights) != 0 {
		t.Fatalf("the default knows %d private CAs, %d small-flight servers", len(def.KnownIssuers), len(def.KnownFlights))
	}
	flows := lab(t, labset.Benign, 24, 7)
	f, err := Train(context.Background(), flows, TrainConfig{Kind: model.KindHybrid, Epochs: 1, Batch: 16, Seed: 3, Trees: 20, AlertRate: 0.05, Evidence: def})
	if err != nil {
		t.Fatal(err)
	}
	var site evidence.Table
	if err := unmarshalSection(f, evidenceSection, &site); err != nil {
		t.Fatal(err)
	}
	if len(site.KnownIssuers) != 1 {
		t.Fatalf("the site model knows %d private CAs, want the lab's one", len(site.KnownIssuers))
	}
	// Its rates are the corpus's and the site's flows together.
	if site.Flows != def.Flows+len(flows) || !strings.HasSuffix(site.Corpus, fmt.Sprintf(", and %d flows of this network's training", len(flows))) {
		t.Errorf("the site model's rates count %d flows (%q), want the corpus's %d and the site's %d", site.Flows, site.Corpus, def.Flows, len(flows))
	}
	// The generic TLDs of its server names (the lab's example.com, .net
	// and .org) count as one more capture's each.
	for _, tld := range []string{"com", "net", "org"} {
		if def.KnownTLDs[tld] == 0 || site.KnownTLDs[tld] != def.KnownTLDs[tld]+1 {
			t.Errorf("TLD .%s: the default knows it from %d captures, the site model from %d", tld, def.KnownTLDs[tld], site.KnownTLDs[tld])
		}
	}
	if len(site.KnownFlights) == 0 || !strings.Contains(site.KnownFlights[0], "example.") {
		t.Fatalf("the site model knows small-flight servers %q, want the lab's TLS 1.3 servers", site.KnownFlights)
	}
	says := func(tab *evidence.Table) int {
		n := 0
		for _, fl := range flows {
			in := &evidence.Input{Flow: fl, TLS: tlsparse.FromFlow(fl, nil)}
			for _, fd := range tab.CertFindings(in.TLS.Server.Leaf, issuerOf(in.TLS), "", fl.Start) {
				if fd.ID == "cert.private_issuer" {
					n++
				}
			}
		}
		return n
	}
	if n := says(def); n == 0 {
		t.Error("the default's table does not call the lab CA private")
	}
	if n := says(&site); n != 0 {
		t.Errorf("the site's table calls its own CA private on %d flows", n)
	}
	more := lab(t, labset.LegacyTLS10, 8, 4)
	g, rep, err := Update(f, more)
	if err != nil {
		t.Fatal(err)
	}
	if rep.IssuersKnownBefore != 1 || rep.IssuersKnownNow != 1 || rep.FlightsKnownBefore != len(site.KnownFlights) || rep.FlightsKnownNow != rep.FlightsKnownBefore {
		t.Errorf("update: %+v", rep)
	}
	var after evidence.Table
	if err := unmarshalSection(g, evidenceSection, &after); err != nil || len(after.KnownIssuers) != 1 || after.KnownIssuers[0] != site.KnownIssuers[0] {
		t.Errorf("after the update: %v %v", err, after.KnownIssuers)
	}
	// The update's flows join the rates as the training's did.
	if after.Flows != site.Flows+len(more) || !strings.HasSuffix(after.Corpus, fmt.Sprintf(", and %d flows of this network's baseline updates", len(more))) {
		t.Errorf("after the update the rates count %d flows (%q), want %d", after.Flows, after.Corpus, site.Flows+len(more))
	}
}

func issuerOf(h *tlsparse.Handshake) []byte {
	name, _ := h.Server.ChainIssuer()
	return name
}
