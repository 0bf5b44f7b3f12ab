package features

import (
	"slices"
	"testing"

	"github.com/tlsentry/tlsentry/detector/transcript"
	"github.com/tlsentry/tlsentry/flow"
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

// TestMessageSetsSorted: the handshake message and record type sets are
// the names of what each side sent (the first maxSet; a ClientHello cut
// over records named as a message of its own), sorted without
// repeats, over every lab kind and a made-up transcript with repeats,
// every message type and more values than a set keeps.
func TestMessageSetsSorted(t *testing.T) {
	// want names every value as it comes, as cat would, and sorts them.
	want := func(v *Values, h *tlsparse.Handshake) (client, server, records []string) {
		add := func(s *[]string, n string) {
			if len(*s) < maxSet {
				*s = append(*s, n)
			}
		}
		if h.Server != nil {
			for _, m := range h.Server.MessageTypes {
				add(&server, transcript.MsgName(m))
			}
		}
		sides := [2]string{"client ", "server "}
		names := [...]string{"content type below 20", "change_cipher_spec", "alert", "handshake", "application_data", "heartbeat", "content type above 24"}
		for side, sd := range []*transcript.Side{&v.T.Client, &v.T.Server} {
			for _, r := range sd.Records {
				for _, m := range r.Messages {
					if side == 0 {
						add(&client, transcript.MsgName(m))
					} else {
						add(&server, transcript.MsgName(m))
					}
				}
				add(&records, sides[side]+names[max(19, min(int(r.Type), 25))-19])
			}
			for _, r := range sd.Later {
				if r.Type == transcript.TypeHeartbeat {
					add(&records, sides[side]+"heartbeat")
				}
			}
		}
		for _, r := range v.T.Client.Later {
			for _, m := range r.Messages {
				add(&client, transcript.MsgName(m))
			}
		}
		if h.Client != nil && v.T.Client.HelloCut(len(h.Client.Raw)) {
			add(&client, transcript.HelloCutName)
		}
		return sortedUnique(client), sortedUnique(server), sortedUnique(records)
	}
	check := func(name string, v *Values, h *tlsparse.Handshake) {
		t.Helper()
		c, s, r := want(v, h)
		if !slices.Equal(v.Cats[CClientMsgs], c) || !slices.Equal(v.Cats[CServerMsgs], s) || !slices.Equal(v.Cats[CRecordTypes], r) {
			t.Errorf("%s: messages %v / %v, records %v; want %v / %v, %v", name, v.Cats[CClientMsgs], v.Cats[CServerMsgs], v.Cats[CRecordTypes], c, s, r)
		}
	}
	for _, kind := range append([]string{labset.Benign}, labset.Anomalies()...) {
		for _, f := range labFlows(t, kind, 2) {
			h := tlsparse.FromFlow(f, nil)
			var v Values
			Extract(f, h, &v)
			check(kind, &v, h)
			// The lab's client certificates come in the client's second
			// flight, past the prefix the server's chain fills: the set
			// names them wherever they fall.
			if kind == labset.ClientCert && !slices.Contains(v.Cats[CClientMsgs], transcript.MsgName(transcript.MsgCertificate)) {
				t.Errorf("%s: client messages %v without its Certificate", kind, v.Cats[CClientMsgs])
			}
		}
	}
	// Made-up transcripts: every message type twice, in reverse, and
	// every record type, past the bound.
	f := labFlows(t, labset.Benign, 1)[0]
	h := tlsparse.FromFlow(f, nil)
	var v Values
	Extract(f, h, &v)
	v.T.Client.Records, v.T.Server.Records = nil, nil
	for i := range 300 {
		m := uint8(255 - i%256)
		v.T.Client.Records = append(v.T.Client.Records, transcript.Record{Type: uint8(i % 30), Messages: []uint8{m, m}})
		v.T.Server.Records = append(v.T.Server.Records, transcript.Record{Type: uint8(i % 27), Messages: []uint8{uint8(i)}})
	}
	for c := range NumCats {
		v.Cats[c] = v.Cats[c][:0]
	}
	clear(f, h, &v)
	v.sortSets()
	check("made up", &v, h)
}

// TestLaterRecordTypes: past the prefix, a heartbeat is a record type of
// the flow's; application data there (every TLS 1.2 flow's, as far as a
// capture follows it) is not.
func TestLaterRecordTypes(t *testing.T) {
	f := labFlows(t, labset.Benign, 1)[0]
	if len(f.ClientRecords) == 0 {
		t.Fatal("a lab flow without record headers")
	}
	base := slices.Clone(f.ClientRecords)
	for _, c := range []struct {
		later flow.RecordHeader
		name  string
		want  bool
	}{
		{flow.RecordHeader{Type: 24, Len: 32}, "client heartbeat", true},
		{flow.RecordHeader{Type: 23, Len: 32}, "client application_data", false},
	} {
		// Past everything the prefix showed: the log's end, then more.
		f.ClientRecords = append(slices.Clone(base), flow.RecordHeader{Type: 22, Len: 40}, c.later)
		var v Values
		Extract(f, tlsparse.FromFlow(f, nil), &v)
		if len(v.T.Client.Later) == 0 {
			t.Fatalf("%s: no later records (%d in the prefix, %d headers)", c.name, len(v.T.Client.Records), len(f.ClientRecords))
		}
		if got := slices.Contains(v.Cats[CRecordTypes], c.name) && !slices.ContainsFunc(v.T.Client.Records, func(r transcript.Record) bool { return r.Type == c.later.Type }); got != c.want {
			t.Errorf("%s past the prefix: among the record types %v (%v), want %v", c.name, v.Cats[CRecordTypes], got, c.want)
		}
	}
}
