package natsout

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// drops counts what a spool gave up, by kind and reason.
type drops map[string]int

func (d drops) add(k kind, reason string, n int) { d[k.String()+"/"+reason] += n }

func testRecord(k kind, seq uint64, size int) *record {
	data := bytes.Repeat([]byte{'x'}, size)
	copy(data, fmt.Sprintf(`{"seq":%d}`, seq))
	return &record{kind: k, seq: seq, id: fmt.Sprintf("s-run-%08d", seq), data: data}
}

func openTestSpool(t *testing.T, dir string, limit int64, d drops) *spool {
	t.Helper()
	s, err := openSpool(dir, limit, d.add)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// drain takes every record out, in order.
func drain(t *testing.T, s *spool) []*record {
	t.Helper()
	var out []*record
	for {
		r, err := s.Next()
		if err != nil {
			t.Fatal(err)
		}
		if r == nil {
			return out
		}
		out = append(out, r)
	}
}

func seqs(recs []*record) []uint64 {
	out := make([]uint64, len(recs))
	for i, r := range recs {
		out[i] = r.seq
	}
	return out
}

// TestSpoolOrderAcrossKindsAndSegments: records of both kinds come back
// in the order they went in, across many segment files, with their ids
// and bytes intact, and the files go once read.
func TestSpoolOrderAcrossKindsAndSegments(t *testing.T) {
	dir := t.TempDir()
	d := drops{}
	s := openTestSpool(t, dir, 1<<20, d) // segments of 128 KiB
	var want []*record
	for i := range 3000 {
		k := kindFlow
		if i%3 == 0 {
			k = kindAlert
		}
		r := testRecord(k, uint64(i+1), 100+i%200)
		want = append(want, r)
		if kept, err := s.Append(r); err != nil || !kept {
			t.Fatal(kept, err)
		}
		if i == 1500 { // some read while writing goes on
			for range 500 {
				r, err := s.Next()
				if err != nil || r == nil {
					t.Fatal(r, err)
				}
				if r.seq != want[0].seq || r.id != want[0].id || !bytes.Equal(r.data, want[0].data) || r.kind != want[0].kind {
					t.Fatalf("got seq %d kind %v, want %d %v", r.seq, r.kind, want[0].seq, want[0].kind)
				}
				want = want[1:]
			}
		}
	}
	if n, _ := s.Len(); n != int64(len(want)) {
		t.Fatalf("Len %d, want %d", n, len(want))
	}
	got := drain(t, s)
	if !slices.Equal(seqs(got), seqs(want)) {
		t.Fatalf("order differs: first got %v, want %v", seqs(got)[:5], seqs(want)[:5])
	}
	if len(d) != 0 {
		t.Errorf("drops %v", d)
	}
	if n, b := s.Len(); n != 0 || b != 0 {
		t.Errorf("empty spool holds %d records, %d bytes", n, b)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != 0 {
		t.Errorf("files left in an empty spool: %v", files)
	}
}

// TestSpoolReopen: a closed spool gives the next run exactly what was
// not taken, in order, and the next run numbers its records after them.
func TestSpoolReopen(t *testing.T) {
	dir := t.TempDir()
	d := drops{}
	s := openTestSpool(t, dir, 1<<20, d)
	for i := range 2000 {
		if _, err := s.Append(testRecord(kind(i%2), uint64(i+1), 300)); err != nil {
			t.Fatal(err)
		}
	}
	taken := 0
	for range 777 {
		if r, _ := s.Next(); r != nil {
			taken++
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTestSpool(t, dir, 1<<20, d)
	if s.lastSeq != 2000 {
		t.Errorf("lastSeq %d after reopen, want 2000", s.lastSeq)
	}
	got := drain(t, s)
	if len(got) != 2000-taken || got[0].seq != uint64(taken+1) || !slices.IsSorted(seqs(got)) {
		t.Fatalf("reopened spool gave %d records from %d, want %d from %d", len(got), got[0].seq, 2000-taken, taken+1)
	}
	if len(d) != 0 {
		t.Errorf("drops %v", d)
	}
	s.Close()
}

// TestSpoolFullDropsFlowsFirst fills a small spool past its bound: the
// oldest flows go first, alerts only once no flow is left, a flow never
// pushes out an alert, and every drop is counted.
func TestSpoolFullDropsFlowsFirst(t *testing.T) {
	d := drops{}
	const size = 1000 // each record takes size + header bytes
	rs := testRecord(kindFlow, 0, size).size()
	s := openTestSpool(t, t.TempDir(), 10*rs, d)
	seq := uint64(0)
	add := func(k kind) {
		seq++
		if _, err := s.Append(testRecord(k, seq, size)); err != nil {
			t.Fatal(err)
		}
	}
	for range 6 {
		add(kindFlow) // seq 1-6
	}
	for range 4 {
		add(kindAlert) // seq 7-10: full
	}
	add(kindAlert) // 11: pushes out flow 1
	add(kindFlow)  // 12: pushes out flow 2
	if d["flow/spool_full"] != 2 || d["alert/spool_full"] != 0 {
		t.Fatalf("drops %v, want 2 flows", d)
	}
	for range 6 {
		add(kindAlert) // 13-18: push out flows 3-6 and 12, then alert 7
	}
	if d["flow/spool_full"] != 7 || d["alert/spool_full"] != 1 {
		t.Fatalf("drops %v, want 7 flows and 1 alert", d)
	}
	add(kindFlow) // 19: the spool holds only alerts: the flow itself is dropped
	if d["flow/spool_full"] != 8 {
		t.Fatalf("drops %v, want the new flow dropped", d)
	}
	got := seqs(drain(t, s))
	want := []uint64{8, 9, 10, 11, 13, 14, 15, 16, 17, 18}
	if !slices.Equal(got, want) {
		t.Fatalf("kept %v, want %v", got, want)
	}
	s.Close()
}

// TestSpoolSmallerBoundOnReopen: a spool reopened with a smaller bound
// gives way at once, flows first.
func TestSpoolSmallerBoundOnReopen(t *testing.T) {
	dir := t.TempDir()
	d := drops{}
	rs := testRecord(kindFlow, 0, 500).size()
	s := openTestSpool(t, dir, 100*rs, d)
	for i := range 20 {
		s.Append(testRecord(kind(i%2), uint64(i+1), 500))
	}
	s.Close()
	s = openTestSpool(t, dir, 12*rs, d)
	if d["flow/spool_full"] != 8 || d["alert/spool_full"] != 0 {
		t.Fatalf("drops %v, want 8 flows", d)
	}
	if n, b := s.Len(); n != 12 || b != 12*rs {
		t.Fatalf("holds %d records, %d bytes", n, b)
	}
	s.Close()
}

// TestSpoolTornTail: a segment cut in the middle of a record (a crash
// while writing) keeps the whole records before the cut; the stretch lost
// is counted.
func TestSpoolTornTail(t *testing.T) {
	dir := t.TempDir()
	d := drops{}
	s := openTestSpool(t, dir, 1<<20, d)
	for i := range 10 {
		s.Append(testRecord(kindAlert, uint64(i+1), 200))
	}
	s.Close()
	files, _ := filepath.Glob(filepath.Join(dir, "alert-*.seg"))
	if len(files) != 1 {
		t.Fatalf("segments %v", files)
	}
	st, _ := os.Stat(files[0])
	if err := os.Truncate(files[0], st.Size()-50); err != nil {
		t.Fatal(err)
	}
	s = openTestSpool(t, dir, 1<<20, d)
	got := drain(t, s)
	if len(got) != 9 || d["alert/corrupt"] != 1 {
		t.Fatalf("%d records after a torn tail, drops %v; want 9 and one corrupt stretch", len(got), d)
	}
	s.Close()
}

// TestSpoolCorruptMiddle: flipped bytes inside a segment lose the rest of
// that segment only.
func TestSpoolCorruptMiddle(t *testing.T) {
	dir := t.TempDir()
	d := drops{}
	s := openTestSpool(t, dir, 1<<20, d)
	for i := range 10 {
		s.Append(testRecord(kindFlow, uint64(i+1), 200))
	}
	s.Close()
	files, _ := filepath.Glob(filepath.Join(dir, "flow-*.seg"))
	b, _ := os.ReadFile(files[0])
	rs := int(testRecord(kindFlow, 1, 200).size())
	b[4*rs+headerSize+30] ^= 0xff // inside the fifth record's body
	os.WriteFile(files[0], b, 0o640)
	s = openTestSpool(t, dir, 1<<20, d)
	got := seqs(drain(t, s))
	if !slices.Equal(got, []uint64{1, 2, 3, 4}) || d["flow/corrupt"] != 1 {
		t.Fatalf("kept %v, drops %v", got, d)
	}
	s.Close()
}

// TestSpoolPrepend: records put back go before everything held, in
// their order, also across a close.
func TestSpoolPrepend(t *testing.T) {
	dir := t.TempDir()
	d := drops{}
	s := openTestSpool(t, dir, 1<<20, d)
	for i := range 100 {
		s.Append(testRecord(kind(i%2), uint64(i+1), 100))
	}
	var out []*record
	for range 30 {
		r, _ := s.Next()
		out = append(out, r)
	}
	s.Next() // 31 is taken; the heads the spool peeked move too
	if err := s.Prepend(out); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openTestSpool(t, dir, 1<<20, d)
	got := seqs(drain(t, s))
	want := slices.Concat(seqs(out), []uint64{})
	for i := uint64(32); i <= 100; i++ {
		want = append(want, i)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("after prepend got %v...\nwant %v...", got[:40], want[:40])
	}
	s.Close()
}

// TestRecordRoundTrip checks the on-disk form against its decoder.
func TestRecordRoundTrip(t *testing.T) {
	r := &record{kind: kindFlow, seq: 1<<40 + 7, id: "sensor-a-1f2e-99", data: []byte(`{"flow_id":1}`)}
	b := appendRecord(nil, r)
	got, n, err := decodeRecord(b)
	if err != nil || n != len(b) || int64(n) != r.size() {
		t.Fatal(err, n, len(b))
	}
	if got.kind != r.kind || got.seq != r.seq || got.id != r.id || !bytes.Equal(got.data, r.data) {
		t.Errorf("round trip: %+v", got)
	}
	for i := range b { // every single-byte change is caught
		c := bytes.Clone(b)
		c[i] ^= 0x41
		if g, _, err := decodeRecord(c); err == nil && (g.seq != r.seq || g.id != r.id || !bytes.Equal(g.data, r.data) || g.kind != r.kind) {
			t.Fatalf("change at byte %d decoded as %+v", i, g)
		}
	}
}
