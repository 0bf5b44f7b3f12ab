package novelty

import (
	"context"
	"reflect"
	"testing"

	"github.com/tlsentry/tlsentry/detector/features"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// TestScoreCoded: a flow whose set features of code points wait unnamed
// (features.ExtractCoded) scores and finds exactly what its named values
// do, with and without leaveOut, for flows of every lab kind against a
// profile of benign ones (whose cipher suites, extensions, groups and
// signature algorithms the odd kinds partly lack), and for a profile
// that never saw a hello.
func TestScoreCoded(t *testing.T) {
	ctx := context.Background()
	// extract gives the flows' features named, and coded.
	extract := func(kind string, n int, seed uint64) (named, coded []*features.Values) {
		fs, err := labset.Flows(ctx, kind, n, seed)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			h := tlsparse.FromFlow(f, nil)
			named, coded = append(named, new(features.Values)), append(coded, new(features.Values))
			features.Extract(f, h, named[len(named)-1])
			features.ExtractCoded(f, h, coded[len(coded)-1])
		}
		return named, coded
	}
	train, _ := extract(labset.Benign, 24, 1)
	benign := fit(t, train)
	train, _ = extract(labset.NonTLSSSH, 8, 1)
	noHello := fit(t, train)
	newSeen := 0
	for _, kind := range append([]string{labset.Benign}, labset.Anomalies()...) {
		named, coded := extract(kind, 4, 5)
		for _, p := range []*Profile{benign, noHello} {
			for _, leaveOut := range []bool{false, true} {
				for i := range named {
					want, wantFound := p.Score(named[i], leaveOut, nil)
					v := *coded[i]
					got, gotFound := p.Score(&v, leaveOut, nil)
					if got != want || !reflect.DeepEqual(gotFound, wantFound) {
						t.Fatalf("%s flow %d (leaveOut %v): coded %v %+v, named %v %+v", kind, i, leaveOut, got, gotFound, want, wantFound)
					}
					for _, f := range wantFound {
						if f.Cat && (f.Index == int(features.CCipher) || f.Index == int(features.CExtension)) {
							newSeen++
						}
					}
				}
			}
		}
	}
	if newSeen == 0 {
		t.Fatal("no flow had a new cipher suite or extension: the coded path was never named")
	}
}
