package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/internal/testkit"
)

func gzipped(t testing.TB, raw []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	z := gzip.NewWriter(&b)
	if _, err := z.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestGzipCapture: a gzip-compressed pcap or pcapng gives the frames of
// the capture it holds, whatever the file's name, as Wireshark reads it.
func TestGzipCapture(t *testing.T) {
	sample, err := os.ReadFile("../../testdata/sample.pcap")
	if err != nil {
		t.Fatal(err)
	}
	for name, raw := range map[string][]byte{"pcap": sample, "pcapng": peerFile()} {
		want, err := readAll(raw, 1e6)
		if err != nil || len(want) == 0 {
			t.Fatalf("%s: %d frames, %v", name, len(want), err)
		}
		got, err := readAll(gzipped(t, raw), 1e6)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s gzip-compressed: %d frames (%v), want the %d of the capture", name, len(got), err, len(want))
		}
	}
	// Through OpenFile, under a name that does not say .gz.
	path := filepath.Join(t.TempDir(), "capture.pcap")
	if err := os.WriteFile(path, gzipped(t, sample), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if fr, err := s.Next(); err != nil || fr.LinkType != 1 || fr.Number != 1 {
		t.Errorf("first frame: %+v, %v", fr, err)
	}
}

// TestGzipCaptureProblems: compressed data cut short is a truncated
// capture, corrupt data a malformed one, and a gzip file that holds no
// capture is no capture; each says gzip.
func TestGzipCaptureProblems(t *testing.T) {
	sample, _ := os.ReadFile("../../testdata/sample.pcap")
	z := gzipped(t, sample)
	for _, cut := range []int{4, 10, 100, len(z) / 2, len(z) - 4, len(z) - 1} {
		frames, err := readAll(z[:cut], 1e6)
		if !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), "gzip") {
			t.Errorf("cut at %d of %d: %d frames, %v; want a truncated gzip-compressed capture", cut, len(z), len(frames), err)
		}
	}
	// The CRC-32 of the data, in the trailer.
	bad := bytes.Clone(z)
	bad[len(bad)-8] ^= 0xff
	if _, err := readAll(bad, 1e6); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "gzip") {
		t.Errorf("bad checksum: %v", err)
	}
	// A deflate block of the reserved type 3.
	corrupt := bytes.Clone(z)
	corrupt[10] = 0x07
	if _, err := readAll(corrupt, 1e6); !errors.Is(err, ErrMalformed) {
		t.Errorf("corrupt data: %v", err)
	}
	if _, err := readAll(gzipped(t, []byte("hello, not a capture")), 1); !errors.Is(err, ErrNotCapture) || !strings.Contains(err.Error(), "gzip-compressed") {
		t.Errorf("gzip of text: %v", err)
	}
	if _, err := readAll(gzipped(t, nil), 1); !errors.Is(err, ErrNotCapture) || !strings.Contains(err.Error(), "decompressed file is empty") {
		t.Errorf("gzip of nothing: %v", err)
	}
}

// TestOpenStdin: "-" reads standard input (tcpdump -r -), compressed or
// not, named so in messages, and Close leaves it open.
func TestOpenStdin(t *testing.T) {
	sample, _ := os.ReadFile("../../testdata/sample.pcap")
	testkit.Stdin(t, gzipped(t, sample))
	s, err := OpenFile(Stdin)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for ; ; n++ {
		if _, err := s.Next(); err != nil {
			break
		}
	}
	if n != 115 || s.Name() != "standard input" {
		t.Errorf("%d frames from %q", n, s.Name())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stdin.Stat(); err != nil {
		t.Errorf("standard input closed: %v", err)
	}
	// Read to its end, a second read finds it empty.
	if _, err := OpenFile(Stdin); !errors.Is(err, ErrNotCapture) || !strings.Contains(err.Error(), "standard input") {
		t.Errorf("standard input again: %v", err)
	}
}

// FuzzOpenCapture: any file, compressed or not, opens and reads to an
// error of a known class or its end, without a panic.
func FuzzOpenCapture(f *testing.F) {
	whole, _ := os.ReadFile("../../testdata/sample.pcap")
	sample := whole[:min(len(whole), 600)]
	f.Add(sample)
	f.Add(gzipped(f, sample))
	f.Add(gzipped(f, peerFile()))
	f.Add(modified(f, whole, binary.BigEndian)[:600])
	f.Add(gzipped(f, gzipped(f, sample)))
	f.Fuzz(func(t *testing.T, raw []byte) {
		frames, err := readAll(raw, 10000)
		if err == nil {
			return
		}
		var ce *Error
		known := false
		for _, class := range []error{ErrTruncated, ErrMalformed, ErrUnsupported, ErrEmptyRecords, ErrNotCapture} {
			known = known || errors.Is(err, class)
		}
		if !errors.As(err, &ce) || !known {
			t.Fatalf("after %d frames: error %v (%T) is not a *capture.Error of a known class", len(frames), err, err)
		}
	})
}
