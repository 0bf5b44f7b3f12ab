package capture

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"
)

// TestPcapReaderMatchesPcapgo: the same packets, times and link type as
// gopacket's reader on the sample capture.
func TestPcapReaderMatchesPcapgo(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/sample.pcap")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := pcapgo.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	ours, err := newPcapReader(bufio.NewReaderSize(bytes.NewReader(raw), 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	if ours.linkType != uint32(ref.LinkType()) {
		t.Fatalf("link type %d, want %d", ours.linkType, ref.LinkType())
	}
	n := 0
	for {
		want, ci, werr := ref.ReadPacketData()
		got, ts, gerr := ours.next()
		if werr == io.EOF || gerr == io.EOF {
			if werr != gerr {
				t.Fatalf("packet %d: EOF mismatch: ours %v, pcapgo %v", n+1, gerr, werr)
			}
			break
		}
		if werr != nil || gerr != nil {
			t.Fatalf("packet %d: %v / %v", n+1, gerr, werr)
		}
		if !bytes.Equal(got, want) || ts != ci.Timestamp.UnixNano() {
			t.Fatalf("packet %d differs", n+1)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no packets")
	}
}

func TestPcapReaderTruncated(t *testing.T) {
	raw, _ := os.ReadFile("../../testdata/sample.pcap")
	for _, cut := range []int{10, 24 + 8, len(raw) - 1} {
		r, err := newPcapReader(bufio.NewReaderSize(bytes.NewReader(raw[:cut]), 1<<20))
		if err != nil {
			if !errors.Is(err, ErrTruncated) {
				t.Errorf("cut %d: %v", cut, err)
			}
			continue
		}
		for {
			_, _, err = r.next()
			if err != nil {
				break
			}
		}
		if !errors.Is(err, ErrTruncated) {
			t.Errorf("cut at %d: %v, want a truncated capture", cut, err)
		}
	}
}

func FuzzPcapReader(f *testing.F) {
	raw, _ := os.ReadFile("../../testdata/sample.pcap")
	f.Add(raw[:min(len(raw), 600)])
	f.Add([]byte("\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\x01\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := newPcapReader(bufio.NewReaderSize(bytes.NewReader(data), 1<<16))
		if err != nil {
			return
		}
		for range 10000 {
			if _, _, err := r.next(); err != nil {
				return
			}
		}
	})
}
