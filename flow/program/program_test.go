package program

import (
	"bytes"
	"encoding/binary"
	"os"
	"testing"

	"github.com/tlsentry/tlsentry/internal/exeimage"
)

// pe is the first 0x100 bytes of a Windows program.
func pe() []byte {
	b := make([]byte, 0x100)
	exeimage.WritePE(b, exeimage.PEHeaderAt)
	return b
}

func TestStarts(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.ReadFile(exe) // this test's own binary: a real ELF
	if err != nil {
		t.Fatal(err)
	}
	self = self[:512]
	withLen := func(b []byte) []byte { return append(binary.LittleEndian.AppendUint32(nil, uint32(len(b))), b...) }
	stubOnly := make([]byte, 300) // e_lfanew past the bytes: the DOS stub's text says it
	exeimage.WritePE(stubOnly, 0x400)
	noStub := bytes.Clone(stubOnly)
	clear(noStub[0x40:])
	// A PE header at 600 of 1024 bytes held, no stub: past what is read,
	// so a holder of 512 bytes and one of 1024 say the same.
	farHeader := make([]byte, 1024)
	exeimage.WritePE(farHeader, 600)
	clear(farHeader[0x40:0x100])
	cases := []struct {
		name string
		b    []byte
		want bool
	}{
		{"an ELF (this test's binary)", self, true},
		{"an ELF after a 4-byte length", withLen(self), true},
		{"a PE", pe(), true},
		{"a PE after a 4-byte length (a stager's handler)", withLen(pe()), true},
		{"a PE whose header lies beyond the bytes, by its DOS stub", stubOnly, true},
		{"MZ, a far e_lfanew and no stub", noStub, false},
		{"a PE header past the first 512 bytes, no stub", farHeader, false},
		{"a PE after 8 bytes", append(make([]byte, 8), pe()...), false},
		{"a PE over HTTP", append([]byte("HTTP/1.1 200 OK\r\n\r\n"), pe()...), false},
		{"MZ too short", []byte("MZ\x90\x00"), false},
		{"ELF magic, class 7", []byte("\x7fELF\x07\x01\x01"), false},
		{"nothing", nil, false},
	}
	for _, tc := range cases {
		if got := Starts(tc.b); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// FuzzStarts: any bytes are judged without a panic, and a program is
// only ever found where its magic is, at byte 0 or 4.
func FuzzStarts(f *testing.F) {
	f.Add(pe())
	f.Add([]byte("\x7fELF\x02\x01\x01\x00"))
	f.Add([]byte("\x00\x10\x00\x00MZ"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if !Starts(b) {
			return
		}
		for _, at := range []int{0, 4} {
			if len(b) >= at+2 && (string(b[at:at+2]) == "MZ" || len(b) >= at+4 && string(b[at:at+4]) == "\x7fELF") {
				return
			}
		}
		t.Fatalf("found a program in % x", b[:min(len(b), 16)])
	})
}
