package features

import (
	"slices"
	"testing"

	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// TestExtractCodedNames: ExtractCoded leaves the four set features of
// code points unnamed, holding the values the hello listed, and Names
// makes of them exactly what Extract gives, over every lab kind; the
// other features are Extract's from the start.
func TestExtractCodedNames(t *testing.T) {
	coded := []Cat{CCipher, CExtension, CGroup, CSigAlg}
	kinds := append([]string{labset.Benign}, labset.Anomalies()...)
	for _, kind := range kinds {
		for _, f := range labFlows(t, kind, 3) {
			h := tlsparse.FromFlow(f, nil)
			var want, got Values
			Extract(f, h, &want)
			ExtractCoded(f, h, &got)
			if got.Vec != want.Vec {
				t.Fatalf("%s: vectors differ", kind)
			}
			for c := range NumCats {
				codes, ok := got.Coded(Cat(c))
				if ok != (h.Client != nil && slices.Contains(coded, Cat(c))) {
					t.Fatalf("%s: %s coded %v", kind, catDefs[c].Name, ok)
				}
				if !ok {
					if !slices.Equal(got.Cats[c], want.Cats[c]) {
						t.Errorf("%s: %s %v, Extract %v", kind, catDefs[c].Name, got.Cats[c], want.Cats[c])
					}
					continue
				}
				if len(got.Cats[c]) != 0 {
					t.Errorf("%s: %s named before Name: %v", kind, catDefs[c].Name, got.Cats[c])
				}
				var names []string
				for _, x := range codes {
					names = append(names, hex16(x))
				}
				if names = sortedUnique(names); !slices.Equal(names, want.Cats[c]) {
					t.Errorf("%s: %s codes %v, Extract %v", kind, catDefs[c].Name, names, want.Cats[c])
				}
			}
			got.Names()
			for c := range NumCats {
				if _, ok := got.Coded(Cat(c)); ok || !slices.Equal(got.Cats[c], want.Cats[c]) {
					t.Errorf("%s: %s named %v (still coded %v), Extract %v", kind, catDefs[c].Name, got.Cats[c], ok, want.Cats[c])
				}
			}
			// A reused Values starts again: nothing left coded or named.
			got.Reset()
			for c := range NumCats {
				if _, ok := got.Coded(Cat(c)); ok || len(got.Cats[c]) != 0 {
					t.Fatalf("%s: %s after Reset: coded %v, %v", kind, catDefs[c].Name, ok, got.Cats[c])
				}
			}
		}
	}
}
