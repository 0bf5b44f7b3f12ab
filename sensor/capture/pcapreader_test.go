package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
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
	return variant(t, raw, order, magicPcapModified, 0)
}

// variant rewrites a classic pcap (microseconds) with magic number magic
// in the byte order given, each record header followed by the interface
// index, protocol, packet type and a pad byte, then cpu more bytes (SuSE
// 6.3's two CPU bytes and three of padding: 4 more bytes in all with the
// pad).
func variant(t testing.TB, raw []byte, order byteOrder, magic uint32, cpu int) []byte {
	t.Helper()
	in := binary.LittleEndian
	if binary.LittleEndian.Uint32(raw) != magicPcap {
		t.Fatal("not a little-endian microsecond pcap")
	}
	out := order.AppendUint32(nil, magic)
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
		out = append(out, make([]byte, cpu)...)
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

// TestPcapVariants: the record header layouts of 1999's Linux tcpdumps,
// which only their records tell apart (Red Hat 6.1's under the standard
// magic number; SuSE 6.3's and the later patch's under the modified one),
// in either byte order, give the frames of the pcap they were made from;
// so does a file of one packet each way.
func TestPcapVariants(t *testing.T) {
	sample, _ := os.ReadFile("../../testdata/sample.pcap")
	want, err := readAll(sample, 1e6)
	if err != nil {
		t.Fatal(err)
	}
	first := 24 + 16 + int(binary.LittleEndian.Uint32(sample[24+8:]))
	for _, v := range []struct {
		name  string
		magic uint32
		cpu   int
	}{{"rh6_1pcap", magicPcap, 0}, {"modpcap", magicPcapModified, 0}, {"suse6_3pcap", magicPcapModified, 4}} {
		for _, order := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
			got, err := readAll(variant(t, sample, order, v.magic, v.cpu), 1e6)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("%s %v: %d frames (%v), want %d", v.name, order, len(got), err, len(want))
			}
			got, err = readAll(variant(t, sample[:first], order, v.magic, v.cpu), 1e6)
			if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], want[0]) {
				t.Errorf("%s %v, one packet: %d frames (%v)", v.name, order, len(got), err)
			}
		}
	}
	if got, err := readAll(sample[:first], 1e6); err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], want[0]) {
		t.Errorf("standard pcap, one packet: %d frames (%v)", len(got), err)
	}
}

// TestPcapOldVersions: files of versions before 2.3 put the wire length
// before the captured length; of version 2.3, some did and some did not.
// Each reads as the frames of the pcap it was made from.
func TestPcapOldVersions(t *testing.T) {
	// Cut to 60 bytes a packet, so that the two lengths differ.
	cut, err := exec.LookPath("editcap")
	if err != nil {
		t.Skip("needs editcap (Debian: wireshark-common)")
	}
	snapped := filepath.Join(t.TempDir(), "snapped.pcap")
	if b, err := exec.Command(cut, "-F", "pcap", "-s", "60", "../../testdata/sample.pcap", snapped).CombinedOutput(); err != nil {
		t.Fatalf("editcap -s 60: %v: %s", err, b)
	}
	raw := mustRead(t, snapped)
	want, err := readAll(raw, 1e6)
	if err != nil || len(want) == 0 {
		t.Fatalf("snapped: %v", err)
	}
	withVersion := func(minor uint16, swap bool) []byte {
		b := append([]byte(nil), raw...)
		binary.LittleEndian.PutUint16(b[6:], minor)
		for off := 24; off+16 <= len(b); {
			caplen, wire := binary.LittleEndian.Uint32(b[off+8:]), binary.LittleEndian.Uint32(b[off+12:])
			if swap {
				binary.LittleEndian.PutUint32(b[off+8:], wire)
				binary.LittleEndian.PutUint32(b[off+12:], caplen)
			}
			off += 16 + int(caplen)
		}
		return b
	}
	for _, v := range []struct {
		minor uint16
		swap  bool
	}{{2, true}, {3, true}, {3, false}, {4, false}} {
		got, err := readAll(withVersion(v.minor, v.swap), 1e6)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("version 2.%d, lengths swapped %v: %d frames (%v), want %d", v.minor, v.swap, len(got), err, len(want))
		}
	}
}

// TestPcapVariantsAsEditcapWritesThem: Wireshark's editcap writes the
// variants (the oracle's own writer); each reads as the frames tshark
// reads from it.
func TestPcapVariantsAsEditcapWritesThem(t *testing.T) {
	if _, err := exec.LookPath("editcap"); err != nil {
		t.Skip("needs editcap (Debian: wireshark-common)")
	}
	want, err := readAll(mustRead(t, "../../testdata/sample.pcap"), 1e6)
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"rh6_1pcap", "modpcap", "suse6_3pcap", "pcap"} {
		out := filepath.Join(t.TempDir(), format)
		if b, err := exec.Command("editcap", "-F", format, "../../testdata/sample.pcap", out).CombinedOutput(); err != nil {
			t.Fatalf("editcap -F %s: %v: %s", format, err, b)
		}
		got, err := readAll(mustRead(t, out), 1e6)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %d frames (%v), want %d", format, len(got), err, len(want))
		}
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzPcapReader(f *testing.F) {
	raw, _ := os.ReadFile("../../testdata/sample.pcap")
	f.Add(raw[:min(len(raw), 600)])
	first := 24 + 16 + int(binary.LittleEndian.Uint32(raw[24+8:]))
	f.Add(variant(f, raw[:first], binary.LittleEndian, magicPcap, 0))      // Red Hat 6.1's records
	f.Add(variant(f, raw[:first], binary.BigEndian, magicPcapModified, 4)) // SuSE 6.3's
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
