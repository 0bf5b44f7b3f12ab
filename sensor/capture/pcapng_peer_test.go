package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tlsentry/tlsentry/internal/sharedpcaps"
)

// gopacketFrames reads raw with gopacket's pcapng reader, up to limit
// frames (and stops, keeping what it read, should it panic).
func gopacketFrames(raw []byte, limit int) (frames []readFrame, err error) {
	defer func() {
		if recover() != nil {
			err = io.ErrUnexpectedEOF
		}
	}()
	r, err := pcapgo.NewNgReader(bytes.NewReader(raw), pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		return nil, err
	}
	for range limit {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			return frames, nil
		}
		if err != nil {
			return frames, err
		}
		var link uint32
		if lt, ok := ci.AncillaryData[0].(layers.LinkType); ok {
			link = uint32(lt)
		}
		var ts int64
		if !ci.Timestamp.IsZero() { // a simple packet block has no time
			ts = ci.Timestamp.UnixNano()
		}
		frames = append(frames, readFrame{data, ts, link})
	}
	return frames, nil
}

// peerFile is a pcapng file both readers read alike: both byte orders,
// two sections, interfaces of several link types and decimal
// resolutions, comments, skipped blocks.
func peerFile() []byte {
	var f ngFile
	f.shb(binary.LittleEndian, 1, 0)
	f.idb(1, 0, ngOpt{2, []byte("eth0")})
	f.idb(101, 65535, tsresol(9))
	f.epb(0, 1_700_000_000_123_456, []byte("first packet"))
	f.block(0x00000bad, []byte("custom"))
	f.epb(1, 1_700_000_000_000_000_007, []byte("second"), ngOpt{1, []byte("comment")})
	f.shb(binary.BigEndian, 1, 0)
	f.idb(113, 0, tsresol(3))
	f.epb(0, 1_700_000_002_500, []byte{0x45, 0, 0, 20})
	return f.buf
}

// TestPcapngMatchesGopacket: the same frames, times and link types as
// gopacket's reader, on a crafted file and on every pcapng capture of the
// shared folder (when there).
func TestPcapngMatchesGopacket(t *testing.T) {
	files := map[string][]byte{"crafted": peerFile()}
	if dir, ok := sharedpcaps.Dir(); ok {
		for _, name := range sharedpcaps.Captures(t) {
			raw, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if len(raw) >= 4 && binary.BigEndian.Uint32(raw) == blockSHB {
				files[name] = raw
			}
		}
	} else {
		t.Log("shared captures not found: only the crafted file is compared")
	}
	packets := 0
	for name, raw := range files {
		ours, err := readAll(raw, 1<<20)
		if err != nil {
			t.Errorf("%s: ours: %v", name, err)
			continue
		}
		theirs, err := gopacketFrames(raw, 1<<20)
		if err != nil {
			t.Errorf("%s: gopacket: %v", name, err)
			continue
		}
		if len(ours) != len(theirs) || len(ours) == 0 {
			t.Errorf("%s: %d frames, gopacket %d", name, len(ours), len(theirs))
			continue
		}
		for i := range ours {
			o, g := ours[i], theirs[i]
			if !bytes.Equal(o.Data, g.Data) || o.Time != g.Time || o.Link != g.Link {
				t.Errorf("%s: frame %d: %v, gopacket %v", name, i+1, o, g)
				break
			}
		}
		packets += len(ours)
	}
	t.Logf("%d pcapng files, %d frames alike", len(files), packets)
}

// FuzzPcapngReader: whatever the bytes, the reader neither panics nor
// hands out more than its buffer, every error is a *capture.Error of a
// known class, and the frames it reads before any error are gopacket's.
func FuzzPcapngReader(f *testing.F) {
	f.Add(peerFile())
	var g ngFile
	g.shb(binary.BigEndian, 1, 2)
	g.idb(1, 4, tsresol(0x80|20), g.tsoffset(-5))
	g.spb(60, []byte("abcd"))
	g.pb(0, 7, []byte("obsolete"))
	g.block(blockNRB, make([]byte, 8))
	f.Add(g.buf)
	f.Add(peerFile()[:70])
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) < 4 || binary.BigEndian.Uint32(raw) != blockSHB {
			raw = append(binary.BigEndian.AppendUint32(nil, blockSHB), raw...)
		}
		ours, err := readAll(raw, 10000)
		if err != nil {
			var ce *Error
			known := false
			for _, class := range []error{ErrTruncated, ErrMalformed, ErrUnsupported, ErrEmptyRecords} {
				known = known || errors.Is(err, class)
			}
			if !errors.As(err, &ce) || !known {
				t.Fatalf("error %v (%T) is not a *capture.Error of a known class", err, err)
			}
		}
		for _, fr := range ours {
			if len(fr.Data) > readBuffer {
				t.Fatalf("a frame of %d bytes", len(fr.Data))
			}
		}
		theirs, _ := gopacketFrames(raw, len(ours))
		for i := range min(len(ours), len(theirs)) {
			if !bytes.Equal(ours[i].Data, theirs[i].Data) || ours[i].Link != theirs[i].Link {
				t.Fatalf("frame %d: %v, gopacket %v", i+1, ours[i], theirs[i])
			}
		}
	})
}
