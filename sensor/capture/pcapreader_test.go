package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
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

// modified rewrites a classic pcap (microseconds) as a modified pcap
// (magic a1b2cd34) in the byte order given: each record header followed
// by the interface index, protocol, packet type and a pad byte.
func modified(t testing.TB, raw []byte, order byteOrder) []byte {
	t.Helper()
	in := binary.LittleEndian
	if binary.LittleEndian.Uint32(raw) != magicPcap {
		t.Fatal("not a little-endian microsecond pcap")
	}
	out := order.AppendUint32(nil, magicPcapModified)
	for i := 4; i < 24; i += 4 {
		if i == 4 { // version: two 16-bit fields
			out = order.AppendUint16(out, in.Uint16(raw[4:]))
			out = order.AppendUint16(out, in.Uint16(raw[6:]))
			continue
		}
		out = order.AppendUint32(out, in.Uint32(raw[i:]))
	}
	for b := raw[24:]; len(b) >= 16; {
		caplen := int(in.Uint32(b[8:]))
		for i := 0; i < 16; i += 4 {
			out = order.AppendUint32(out, in.Uint32(b[i:]))
		}
		out = order.AppendUint32(out, 2)      // ifindex
		out = order.AppendUint16(out, 0x0800) // protocol
		out = append(out, 4, 0)               // packet type (outgoing), pad
		out = append(out, b[16:16+caplen]...)
		b = b[16+caplen:]
	}
	return out
}

// TestModifiedPcap: a modified pcap, in either byte order, gives the
// frames of the pcap it was made from; one cut in the extra bytes of a
// record header is truncated.
func TestModifiedPcap(t *testing.T) {
	sample, _ := os.ReadFile("../../testdata/sample.pcap")
	want, err := readAll(sample, 1e6)
	if err != nil {
		t.Fatal(err)
	}
	for _, order := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
		m := modified(t, sample, order)
		got, err := readAll(m, 1e6)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%v: %d frames (%v), want %d", order, len(got), err, len(want))
		}
		_, err = readAll(m[:24+20], 1e6)
		if !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), "20 bytes into a 24-byte packet record header") {
			t.Errorf("%v, cut in the first record header: %v", order, err)
		}
	}
	if got, want := swapped(magicPcapModified), uint32(0x34cdb2a1); got != want {
		t.Errorf("swapped %x, want %x", got, want)
	}
}

func FuzzPcapReader(f *testing.F) {
	raw, _ := os.ReadFile("../../testdata/sample.pcap")
	f.Add(raw[:min(len(raw), 600)])
	f.Add([]byte("\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\x01\x00\x00\x00"))
	f.Add(modified(f, raw, binary.LittleEndian)[:600])
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
