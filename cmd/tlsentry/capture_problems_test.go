package main

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFlowsCaptureProblems: a directory given as a capture, a file whose
// records are all empty and a pcapng file with a damaged block are each
// reported as what they are (a directory was "too short for a header",
// the empty records exited 0 with problems=0, every pcapng problem was
// "truncated"), and the exit status says the input had problems.
func TestFlowsCaptureProblems(t *testing.T) {
	dir := t.TempDir()
	le := binary.LittleEndian

	// A pcap of four records of 0 captured bytes (60 on the wire).
	empty := []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0}
	for i := range 4 {
		empty = le.AppendUint32(empty, uint32(1_700_000_000+i))
		empty = le.AppendUint32(empty, 0)
		empty = le.AppendUint32(empty, 0)
		empty = le.AppendUint32(empty, 60)
	}
	emptyPath := filepath.Join(dir, "empty.pcap")

	// A pcapng file: section header, an Ethernet interface, a packet
	// block whose trailing length says 40 where it is 36.
	block := func(b []byte, typ uint32, body []byte, trailer uint32) []byte {
		b = le.AppendUint32(b, typ)
		b = le.AppendUint32(b, uint32(12+len(body)))
		b = append(b, body...)
		return le.AppendUint32(b, trailer)
	}
	shb := []byte{0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	ng := block(nil, 0x0a0d0d0a, shb, 28)
	ng = block(ng, 1, []byte{1, 0, 0, 0, 0, 0, 0, 0}, 20)
	epb := le.AppendUint32(nil, 0)                 // interface 0
	epb = le.AppendUint64(epb, 0)                  // timestamp
	epb = le.AppendUint32(epb, 4)                  // captured length
	epb = le.AppendUint32(epb, 4)                  // original length
	ng = block(ng, 6, append(epb, 1, 2, 3, 4), 40) // 36 bytes long
	ngPath := filepath.Join(dir, "damaged.pcapng")

	for path, data := range map[string][]byte{emptyPath: empty, ngPath: ng} {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, stderr, err := runCmd(t, "flows", "-r", dir, "-r", emptyPath, "-r", ngPath)
	if err == nil || errors.Is(err, errUsage) {
		t.Fatalf("err %v: want a failure that is not a usage error", err)
	}
	for _, want := range []string{
		dir + ": is a directory, not a capture file",
		"empty.pcap: empty packet records: 4 of 4 packet records have no captured bytes",
		"damaged.pcapng: packet 1: enhanced packet block at byte 48: trailing block length 40 does not match the leading 36",
		"problems=3",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}
