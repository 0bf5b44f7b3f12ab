package exeimage

import (
	"encoding/binary"
	"strings"
	"testing"
)

func TestWritePE(t *testing.T) {
	b := []byte(strings.Repeat("\xff", 0x200))
	WritePE(b, PEHeaderAt)
	if string(b[:2]) != "MZ" || binary.LittleEndian.Uint32(b[0x3c:]) != PEHeaderAt || string(b[0x40:0x40+len(DOSStub)]) != DOSStub ||
		string(b[PEHeaderAt:PEHeaderAt+4]) != "PE\x00\x00" || b[0x40+len(DOSStub)] != 0 || b[PEHeaderAt+6] != 0xff {
		t.Errorf("% x", b[:PEHeaderAt+8])
	}
	short := make([]byte, 0x100) // e_lfanew past the bytes: no signature written
	WritePE(short, 0x400)
	if binary.LittleEndian.Uint32(short[0x3c:]) != 0x400 || strings.Contains(string(short), "PE\x00\x00") {
		t.Errorf("% x", short[:0x40])
	}
}

func TestWriteELF(t *testing.T) {
	b := make([]byte, 32)
	WriteELF(b)
	if string(b[:4]) != "\x7fELF" || b[4] != 2 || b[5] != 1 || b[18] != 0x3e {
		t.Errorf("% x", b)
	}
}
