package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// readFrame is a frame read in a test, its data copied.
type readFrame struct {
	Data []byte
	Time int64
	Link uint32
}

func (f readFrame) String() string {
	return fmt.Sprintf("%q at %s link %d", f.Data, time.Unix(0, f.Time).UTC().Format(time.RFC3339Nano), f.Link)
}

// readAll reads a capture held in memory through a FileSource, up to
// limit frames; err is the first error other than io.EOF.
func readAll(raw []byte, limit int) (frames []readFrame, err error) {
	s, err := newFileSource("test", bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	for range limit {
		fr, err := s.Next()
		if err == io.EOF {
			return frames, nil
		}
		if err != nil {
			return frames, err
		}
		frames = append(frames, readFrame{bytes.Clone(fr.Data), fr.Time, fr.LinkType})
	}
	return frames, nil
}

func unix(sec, ns int64) int64 { return time.Unix(sec, ns).UnixNano() }

// TestPcapngReadsEveryPacketBlock: sections in both byte orders and
// versions 1.0 and 1.2, interfaces of several link types, resolutions
// and offsets, enhanced, simple and obsolete packet blocks, and blocks
// the reader skips.
func TestPcapngReadsEveryPacketBlock(t *testing.T) {
	var f ngFile
	f.shb(binary.LittleEndian, 1, 0)
	f.idb(1, 0)               // 0: Ethernet, microseconds
	f.idb(101, 0, tsresol(9)) // 1: raw IP, nanoseconds
	f.block(blockNRB, nil)    // name resolution: skipped
	f.epb(0, 1_700_000_000_123_456, []byte("abc"))
	f.epb(1, 1_700_000_000_000_000_007, []byte("defg"), ngOpt{1, []byte("a comment")})
	f.block(0x00000bad, []byte("custom block, skipped"))
	f.block(blockISB, make([]byte, 12))
	f.spb(5, []byte("hello")) // interface 0, no time of its own
	f.pb(1, 1_700_000_001_000_000_000, []byte("pb"))
	f.shb(binary.BigEndian, 1, 2)
	f.idb(113, 3, tsresol(0x80|10), f.tsoffset(1_700_000_000)) // Linux SLL, 1/1024 s, snap length 3
	f.epb(0, 5*1024+512, []byte("xyz"))
	f.spb(10, []byte("abcd")) // cut at the snap length: 3 bytes
	got, err := readAll(f.buf, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := []readFrame{
		{[]byte("abc"), unix(1_700_000_000, 123_456_000), 1},
		{[]byte("defg"), unix(1_700_000_000, 7), 101},
		{[]byte("hello"), unix(1_700_000_000, 7), 1}, // the last packet's time
		{[]byte("pb"), unix(1_700_000_001, 0), 101},
		{[]byte("xyz"), unix(1_700_000_005, 500_000_000), 113},
		{[]byte("abc"), unix(1_700_000_005, 500_000_000), 113},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("frames:\n%v\nwant\n%v", got, want)
	}
}

// TestPcapngProblems: each kind of damage is reported as what it is,
// at the block where it is, after the packets before it.
func TestPcapngProblems(t *testing.T) {
	le := binary.LittleEndian
	// valid starts a file with one interface and one packet.
	valid := func() *ngFile {
		f := &ngFile{}
		f.shb(le, 1, 0)
		f.idb(1, 0)
		f.epb(0, 1, []byte("first"))
		return f
	}
	cases := []struct {
		name   string
		build  func() []byte
		frames int
		class  error
		msg    string
	}{
		{"cut inside a packet block", func() []byte {
			f := valid()
			off := f.epb(0, 2, []byte("second packet"))
			return f.buf[:off+30]
		}, 1, ErrTruncated, "enhanced packet block at byte 112: capture file is truncated: the file ends 30 bytes into the block's 48"},
		{"cut inside a block header", func() []byte {
			f := valid()
			off := f.epb(0, 2, []byte("second"))
			return f.buf[:off+5]
		}, 1, ErrTruncated, "capture file is truncated: the file ends 5 bytes into a block header at byte 112"},
		{"cut inside a skipped block", func() []byte {
			f := valid()
			off := f.block(blockNRB, make([]byte, 40))
			return f.buf[:off+20]
		}, 1, ErrTruncated, "name resolution block at byte 112: capture file is truncated: the file ends 20 bytes into the block's 52"},
		{"block length below the minimum", func() []byte {
			f := valid()
			off := f.epb(0, 2, nil)
			f.put(off+4, 28)
			return f.buf
		}, 1, ErrMalformed, "enhanced packet block at byte 112: block length 28 is less than the 32 bytes it needs at least"},
		{"block length not a multiple of 4", func() []byte {
			f := valid()
			off := f.epb(0, 2, []byte("second"))
			f.put(off+4, 41)
			return f.buf
		}, 1, ErrMalformed, "enhanced packet block at byte 112: block length 41 is not a multiple of 4"},
		{"block length past the reader's bound", func() []byte {
			f := valid()
			off := f.epb(0, 2, []byte("second"))
			f.put(off+4, 4<<20)
			return f.buf
		}, 1, ErrMalformed, "block length 4194304 is more than the 1048576 bytes this reader takes for a block it reads"},
		{"trailer that does not match", func() []byte {
			f := valid()
			off := f.epb(0, 2, []byte("second"))
			f.put(off+36, 44)
			return f.buf
		}, 1, ErrMalformed, "enhanced packet block at byte 112: trailing block length 44 does not match the leading 40"},
		{"trailer of a skipped block", func() []byte {
			f := valid()
			off := f.block(0x0bad, make([]byte, 8))
			f.put(off+16, 16)
			return f.buf
		}, 1, ErrMalformed, "block of type 0x00000bad at byte 112: trailing block length 16 does not match the leading 20"},
		{"captured length past the block", func() []byte {
			f := valid()
			off := f.epb(0, 2, []byte("four"))
			f.put(off+20, 100)
			return f.buf
		}, 1, ErrMalformed, "enhanced packet block at byte 112: captured length 100 runs past the block (room for 4 bytes)"},
		{"simple packet past the block", func() []byte {
			f := valid()
			f.spb(100, []byte("four"))
			return f.buf
		}, 1, ErrMalformed, "simple packet block at byte 112: captured length 100 runs past the block (room for 4 bytes)"},
		{"interface not described", func() []byte {
			f := valid()
			f.epb(3, 2, []byte("x"))
			return f.buf
		}, 1, ErrMalformed, "interface 3 is not described in this section (it describes 1)"},
		{"packet before any interface", func() []byte {
			f := &ngFile{}
			f.shb(le, 1, 0)
			f.spb(1, []byte("x"))
			return f.buf
		}, 0, ErrMalformed, "simple packet block at byte 52: interface 0 is not described in this section (it describes 0)"},
		{"byte-order magic", func() []byte {
			f := valid()
			off := f.shb(le, 1, 0)
			f.put(off+8, 0x1a2b3c4e)
			return f.buf
		}, 1, ErrMalformed, "section header block at byte 112: byte-order magic 4e3c2b1a is not 1a2b3c4d in either byte order"},
		{"if_tsresol of the wrong size", func() []byte {
			f := valid()
			f.idb(1, 0, ngOpt{optTSResol, []byte{6, 0}})
			return f.buf
		}, 1, ErrMalformed, "interface description block at byte 112: if_tsresol option of 2 bytes (it has 1)"},
		{"if_tsresol too fine", func() []byte {
			f := valid()
			f.idb(1, 0, tsresol(20))
			return f.buf
		}, 1, ErrMalformed, "if_tsresol 10^-20 is finer than this reader takes (10^-19)"},
		{"if_tsoffset of the wrong size", func() []byte {
			f := valid()
			f.idb(1, 0, ngOpt{optTSOffset, []byte{1, 2, 3, 4}})
			return f.buf
		}, 1, ErrMalformed, "if_tsoffset option of 4 bytes (it has 8)"},
		{"option past the block", func() []byte {
			f := valid()
			body := append(f.u16(1), 0, 0)
			body = append(body, f.u32(0)...)
			body = append(body, f.u16(2)...)
			body = append(body, f.u16(200)...)
			body = append(body, "eth0"...)
			f.block(blockIDB, body)
			return f.buf
		}, 1, ErrMalformed, "interface description block at byte 112: option 2 of 200 bytes runs past the block (4 bytes left)"},
		{"packet over the snap length", func() []byte {
			f := valid()
			f.epb(0, 2, make([]byte, maxCaptureLen+4))
			return f.buf
		}, 1, ErrMalformed, "packet record longer than the snap length: 262148 > 262144"},
		{"section of an unknown version", func() []byte {
			f := &ngFile{}
			f.shb(le, 2, 0)
			f.idb(1, 0)
			f.epb(0, 1, []byte("skipped"))
			f.shb(le, 1, 0)
			f.idb(1, 0)
			f.epb(0, 1, []byte("read"))
			return f.buf
		}, 1, ErrUnsupported, "test: the section at byte 0 is pcapng version 2.0 (this reader takes 1.0 and 1.2): its packets were skipped"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			frames, err := readAll(tc.build(), 100)
			if len(frames) != tc.frames {
				t.Errorf("%d frames before the problem, want %d", len(frames), tc.frames)
			}
			var ce *Error
			if !errors.As(err, &ce) || !errors.Is(err, tc.class) {
				t.Fatalf("error %v (%T), want a *capture.Error wrapping %v", err, err, tc.class)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error\n  %v\ndoes not say\n  %s", err, tc.msg)
			}
			for _, class := range []error{ErrTruncated, ErrMalformed, ErrUnsupported} {
				if class != tc.class && errors.Is(err, class) {
					t.Errorf("error %v is also %v", err, class)
				}
			}
		})
	}
}

// TestCaptureFileProblems: a directory, an empty file and files whose
// records are all, or mostly, empty are reported as what they are; a few
// empty records among many are not a problem.
func TestCaptureFileProblems(t *testing.T) {
	dir := t.TempDir()
	if _, err := OpenFile(dir); !errors.Is(err, ErrDirectory) || !strings.Contains(err.Error(), dir+": is a directory, not a capture file") {
		t.Errorf("a directory: %v", err)
	}
	if _, err := newFileSource("test", bytes.NewReader(nil)); !errors.Is(err, ErrNotCapture) || !strings.Contains(err.Error(), "the file is empty") {
		t.Errorf("an empty file: %v", err)
	}
	if _, err := newFileSource("test", bytes.NewReader([]byte{0xd4, 0xc3})); !errors.Is(err, ErrNotCapture) || !strings.Contains(err.Error(), "2 bytes, too short for a header") {
		t.Errorf("a 2-byte file: %v", err)
	}

	pcapOf := func(lens ...int) []byte {
		b := []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0}
		for i, n := range lens {
			rec := binary.LittleEndian.AppendUint32(nil, uint32(1_700_000_000+i))
			rec = binary.LittleEndian.AppendUint32(rec, 0)
			rec = binary.LittleEndian.AppendUint32(rec, uint32(n))
			rec = binary.LittleEndian.AppendUint32(rec, 60)
			b = append(append(b, rec...), make([]byte, n)...)
		}
		return b
	}
	ngOf := func(lens ...int) []byte {
		var f ngFile
		f.shb(binary.BigEndian, 1, 0)
		f.idb(1, 0)
		for i, n := range lens {
			f.epb(0, uint64(i), make([]byte, n))
		}
		return f.buf
	}
	for _, tc := range []struct {
		name string
		raw  []byte
		msg  string // "" for no problem
	}{
		{"pcap of empty records", pcapOf(0, 0, 0, 0), "test: empty packet records: 4 of 4 packet records have no captured bytes"},
		{"pcap of mostly empty records", pcapOf(60, 0, 0), "2 of 3 packet records have no captured bytes"},
		{"pcap with a few empty records", pcapOf(60, 0, 60, 60), ""},
		{"pcapng of empty records", ngOf(0, 0), "2 of 2 packet records have no captured bytes"},
		{"pcapng with a few empty records", ngOf(0, 60, 60), ""},
	} {
		frames, err := readAll(tc.raw, 100)
		n := len(frames)
		if tc.msg == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		var ce *Error
		if !errors.Is(err, ErrEmptyRecords) || !errors.As(err, &ce) || ce.Packet != 0 || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %d frames, then %v; want %q", tc.name, n, err, tc.msg)
		}
	}
	// Reported once: the next call is the end.
	s, err := newFileSource("test", bytes.NewReader(pcapOf(0)))
	if err != nil {
		t.Fatal(err)
	}
	var errs []error
	for range 4 {
		_, err := s.Next()
		errs = append(errs, err)
	}
	if errs[0] != nil || !errors.Is(errs[1], ErrEmptyRecords) || errs[2] != io.EOF || errs[3] != io.EOF {
		t.Errorf("calls to Next: %v", errs)
	}
}
