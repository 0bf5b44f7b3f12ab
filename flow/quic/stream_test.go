package quic

import (
	"bytes"
	"testing"
)

type piece struct {
	off  uint64
	data string
}

func TestCryptoStream(t *testing.T) {
	tests := []struct {
		name     string
		limit    int
		pieces   []piece
		want     string // contiguous bytes from 0
		dropped  int
		overlaps int
		spans    int
	}{
		{"in order", 100, []piece{{0, "abc"}, {3, "def"}}, "abcdef", 0, 0, 1},
		{"reversed", 100, []piece{{3, "def"}, {0, "abc"}}, "abcdef", 0, 0, 1},
		{"hole", 100, []piece{{0, "abc"}, {4, "ef"}}, "abc", 0, 0, 2},
		{"duplicate", 100, []piece{{0, "abc"}, {0, "abc"}}, "abc", 0, 1, 1},
		{"first data wins", 100, []piece{{0, "abcd"}, {2, "XYZW"}}, "abcdZW", 0, 1, 1},
		{"fills gaps only", 100, []piece{{2, "cd"}, {6, "g"}, {0, "ABCDEFGH"}}, "ABcdEFgH", 0, 1, 1},
		{"bridges spans", 100, []piece{{1, "b"}, {3, "d"}, {5, "f"}, {0, "0123456"}}, "0b2d4f6", 0, 1, 1},
		{"touching merges", 100, []piece{{4, "ef"}, {0, "abcd"}}, "abcdef", 0, 0, 1},
		{"limit cuts", 4, []piece{{2, "cdef"}, {0, "ab"}}, "abcd", 2, 0, 1},
		{"beyond limit", 4, []piece{{4, "x"}, {100, "y"}, {0, "ab"}}, "ab", 2, 0, 1},
		{"empty piece", 100, []piece{{5, ""}}, "", 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s cryptoStream
			dropped, overlaps := 0, 0
			for _, p := range tt.pieces {
				d, o := s.write(p.off, []byte(p.data), tt.limit)
				dropped += d
				if o {
					overlaps++
				}
			}
			if got := string(s.contiguous()); got != tt.want {
				t.Errorf("contiguous = %q, want %q", got, tt.want)
			}
			if dropped != tt.dropped || overlaps != tt.overlaps || len(s.spans) != tt.spans {
				t.Errorf("dropped %d overlaps %d spans %d, want %d %d %d",
					dropped, overlaps, len(s.spans), tt.dropped, tt.overlaps, tt.spans)
			}
			if cap(s.buf) > tt.limit {
				t.Errorf("buffer capacity %d over the limit %d", cap(s.buf), tt.limit)
			}
		})
	}
}

// Pieces that would open more than maxSpans ranges are refused whole;
// pieces that extend or join existing ranges still go in.
func TestCryptoStreamSpanBound(t *testing.T) {
	var s cryptoStream
	for i := range maxSpans {
		if d, _ := s.write(uint64(1+3*i), []byte{'x'}, 1000); d != 0 {
			t.Fatalf("piece %d refused with %d spans", i, len(s.spans))
		}
	}
	if d, _ := s.write(1+3*maxSpans, []byte("yy"), 1000); d != 2 {
		t.Errorf("piece %d: dropped %d, want 2 (refused)", maxSpans+1, d)
	}
	if d, _ := s.write(2, []byte{'z'}, 1000); d != 0 {
		t.Errorf("extending piece dropped %d bytes", d)
	}
	if d, _ := s.write(0, []byte("0123"), 1000); d != 0 {
		t.Errorf("joining piece dropped %d bytes", d)
	}
	if len(s.spans) != maxSpans-1 {
		t.Errorf("%d spans, want %d", len(s.spans), maxSpans-1)
	}
	if got := string(s.contiguous()); got != "0xz3x" {
		t.Errorf("contiguous = %q, want 0xz3x", got)
	}
}

func TestCryptoStreamReset(t *testing.T) {
	var s cryptoStream
	s.write(0, []byte("secret"), 100)
	s.reset()
	s.write(3, []byte("x"), 100)
	s.write(0, []byte("ab"), 100)
	if got := s.buf[:4]; !bytes.Equal(got, []byte{'a', 'b', 0, 'x'}) {
		t.Errorf("after reset: % x, want the old bytes gone", got)
	}
}

// FuzzCryptoStream compares the stream with a byte-by-byte model: each
// accepted byte below the limit is kept unless one was there already.
func FuzzCryptoStream(f *testing.F) {
	f.Add([]byte{0, 3, 'a', 'b', 'c', 2, 3, 'x', 'y', 'z'}, uint16(64))
	f.Add([]byte{5, 2, 'a', 'b', 0, 5, 1, 2, 3, 4, 5}, uint16(6))
	f.Fuzz(func(t *testing.T, in []byte, limit16 uint16) {
		limit := int(limit16%2048) + 1
		var s cryptoStream
		model := map[int]byte{}
		for len(in) >= 2 {
			off, n := int(in[0]), int(in[1])
			in = in[2:]
			data := in[:min(n, len(in))]
			in = in[len(data):]
			dropped, _ := s.write(uint64(off), data, limit)
			kept := min(len(data), max(0, limit-off))
			switch dropped {
			case len(data) - kept: // accepted up to the limit
				for i := range kept {
					if _, ok := model[off+i]; !ok {
						model[off+i] = data[i]
					}
				}
			case len(data): // refused: only when the span bound is reached
				if kept > 0 && len(s.spans) < maxSpans {
					t.Fatalf("piece at %d refused with %d spans", off, len(s.spans))
				}
			default:
				t.Fatalf("piece at %d len %d: dropped %d", off, len(data), dropped)
			}
			if len(s.spans) > maxSpans || cap(s.buf) > limit {
				t.Fatalf("%d spans, capacity %d: over the bounds", len(s.spans), cap(s.buf))
			}
		}
		var want []byte
		for i := 0; ; i++ {
			c, ok := model[i]
			if !ok {
				break
			}
			want = append(want, c)
		}
		if got := s.contiguous(); !bytes.Equal(got, want) {
			t.Fatalf("contiguous = %x, want %x", got, want)
		}
	})
}
