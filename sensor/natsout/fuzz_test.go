package natsout

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodeRecord: any bytes decode to a record or an error, never a
// panic, and what decodes encodes back to the same bytes.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(appendRecord(nil, &record{kind: kindAlert, seq: 1, id: "a-b-1", data: []byte(`{"x":1}`)}))
	f.Add(appendRecord(nil, &record{kind: kindFlow, seq: 1 << 50, id: "x", data: nil}))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, n, err := decodeRecord(b)
		if err != nil {
			return
		}
		if got := appendRecord(nil, r); !bytes.Equal(got, b[:n]) {
			t.Fatalf("re-encoded %x, read %x", got, b[:n])
		}
	})
}

// FuzzOpenSpool: a spool directory holding any bytes (a crash, a disk
// error, a stranger's file) opens, gives what records it can in order,
// and stays within its bound.
func FuzzOpenSpool(f *testing.F) {
	var seed []byte
	for i := range 5 {
		seed = appendRecord(seed, &record{kind: kindFlow, seq: uint64(i + 1), id: "s-r-1", data: []byte(`{"a":1}`)})
	}
	f.Add(seed, []byte("100000000 0\n"))
	f.Add(seed[:len(seed)-3], []byte("100000000 29\n"))
	f.Add([]byte("garbage"), []byte("zz"))
	f.Fuzz(func(t *testing.T, seg, head []byte) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, segmentName(kindFlow, firstIndex)), seg, 0o640)
		os.WriteFile(filepath.Join(dir, "flow"+headSuffix), head, 0o640)
		d := drops{}
		s, err := openSpool(dir, 1<<20, d.add)
		if err != nil {
			return
		}
		defer s.Close()
		var last uint64
		for range 1000 {
			r, err := s.Next()
			if err != nil || r == nil {
				break
			}
			if r.seq < last {
				t.Fatalf("seq %d after %d", r.seq, last)
			}
			last = r.seq
		}
		if n, b := s.Len(); b > s.max || n < 0 || b < 0 {
			t.Fatalf("holds %d records, %d bytes", n, b)
		}
	})
}
